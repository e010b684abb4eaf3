"""Prometheus metrics of the eventing runtime (registered once per process, labelled per use).

The HTTP metrics are in `eventing.http.request_metrics`, the business counters fed from recorded
events in `eventing.business_metrics`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter("eventing_events_appended_total", "Events appended to the event store")

RELAY_PUBLISHED = Counter(
    "eventing_relay_published_total", "Events the outbox relay published", ["relay"]
)
RELAY_ERRORS = Counter(
    "eventing_relay_errors_total", "Publish rounds that failed and will be retried", ["relay"]
)
RELAY_ACTIVE = Gauge(
    "eventing_relay_active", "1 while this process holds the relay's leadership lock", ["relay"]
)
RELAY_LAG = Gauge(
    "eventing_relay_lag_events", "Committed events not yet published by the relay", ["relay"]
)
RELAY_BATCH_SECONDS = Histogram(
    "eventing_relay_batch_seconds", "Time to publish one batch and move the checkpoint", ["relay"]
)

SUBSCRIPTION_APPLIED = Counter(
    "eventing_subscription_applied_total", "Events a subscription handler applied", ["group"]
)
SUBSCRIPTION_DUPLICATES = Counter(
    "eventing_subscription_duplicates_total",
    "Events skipped as already applied (redelivery or republished duplicate)",
    ["group"],
)
SUBSCRIPTION_DEAD_LETTERED = Counter(
    "eventing_subscription_dead_lettered_total",
    "Events sent to the dead-letter topic after bounded retries",
    ["group"],
)
SUBSCRIPTION_LAG = Gauge(
    "eventing_subscription_lag_events",
    "Records on the partition not yet applied by the group",
    ["group", "topic", "partition"],
)

DEADLINES_FIRED = Counter("eventing_deadlines_fired_total", "Deadlines fired", ["kind"])
DEADLINES_FAILED = Counter(
    "eventing_deadlines_failed_total", "Deadline handler failures (retried later)", ["kind"]
)
DEADLINES_DUE = Gauge(
    "eventing_deadlines_due",
    "Deadlines past their due time (business clock) and not fired yet, parked ones excluded",
    ["kind"],
)
DEADLINES_OVERDUE_SECONDS = Gauge(
    "eventing_deadlines_overdue_seconds",
    "How long the oldest deadline past its due time has waited (0 when none is due)",
    ["kind"],
)
DEADLINES_PARKED = Gauge(
    "eventing_deadlines_parked",
    "Deadlines parked after their last failed attempt: they fire only when ops reschedule them",
    ["kind"],
)
IDEMPOTENT_REPLAYS = Counter(
    "eventing_idempotent_replays_total", "Commands answered from a stored Idempotency-Key response"
)

WORKER_UP = Gauge(
    "eventing_worker_up",
    "1 while a background worker runs healthily, 0 while it is down (failed or stalled)",
    ["service", "worker"],
)
WORKER_RESTARTS = Counter(
    "eventing_worker_restarts_total",
    "Restarts of a background worker by its supervisor after a failure",
    ["service", "worker"],
)
