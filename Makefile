# The two commands a newcomer needs are `make run` and `make test`; everything else is here for
# day-to-day work. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed
# kustomize renders deploy/k8s/ for `make test` (tests/unit/infra/test_k8s_manifests.py reads
# the version from here) and `make k8s-render`.
KUSTOMIZE_VERSION := v5.8.1
KUSTOMIZE := .cache/kustomize/$(KUSTOMIZE_VERSION)/kustomize
LOCK_INPUTS := requirements/all.in requirements/dev.in requirements/constraints.txt \
	contracts/pyproject.toml eventing/pyproject.toml deploy/local/pyproject.toml \
	services/order/pyproject.toml services/logistics/pyproject.toml services/aftersales/pyproject.toml \
	services/dashboard/pyproject.toml tools/orderctl/pyproject.toml
EDITABLES := contracts eventing deploy/local services/order services/logistics services/aftersales \
	services/dashboard tools/orderctl

# `make test` runs on its own infrastructure, never the one `make run` uses.
TEST_ENV := ORDERS_INFRA_HOME=$(CURDIR)/.run/test ORDERS_PG_PORT=$${ORDERS_TEST_PG_PORT:-26432} \
	ORDERS_KAFKA_PORT=$${ORDERS_TEST_KAFKA_PORT:-29192} \
	ORDERS_KAFKA_CONTROLLER_PORT=$${ORDERS_TEST_KAFKA_CONTROLLER_PORT:-29193} \
	ORDERS_SERVICE_BASE_PORT=$${ORDERS_TEST_SERVICE_BASE_PORT:-18100}

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): $(LOCK_INPUTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	@test ! -L $(VENV) || { echo "$(VENV) is a link to another checkout's venv: installing here would point its editable packages at this tree"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --python $(BIN)/python --quiet -c requirements/constraints.txt -r requirements/all.in
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create .venv and install every package (editable) with pinned versions

.PHONY: lock
lock: ## Re-resolve requirements/constraints.txt after changing a dependency
	@test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv==$(UV_VERSION); }
	$(UV) pip compile requirements/all.in --python-version 3.11 --no-header --annotation-style line \
		$(foreach p,orderflow-contracts orderflow-eventing orderflow-localinfra orderflow-order-service orderflow-logistics-service orderflow-aftersales-service orderflow-dashboard-service orderflow-orderctl,--no-emit-package $(p)) \
		-o requirements/constraints.txt
	@sed -i '1i # Pinned versions of every dependency (direct and transitive). Regenerate with `make lock`.' requirements/constraints.txt

.PHONY: demo
demo: $(STAMP) ## Against a running `make run`: drive a realistic mix of orders, print where to look
	$(BIN)/localinfra demo

# Debian's Prometheus (`apt-get install prometheus`) scraping `make run`'s services on
# localhost:8100-8103 with the recording and alerting rules of deploy/prometheus/.
PROMETHEUS_PORT ?= 9090

.PHONY: prometheus
prometheus: ## Against a running `make run`: Debian's Prometheus on :9090 (PROMETHEUS_PORT), data in .run/prometheus
	@command -v prometheus >/dev/null || { echo "Debian's Prometheus is needed: apt-get install -y prometheus"; exit 1; }
	@mkdir -p .run/prometheus
	prometheus --config.file=deploy/prometheus/prometheus.yml --storage.tsdb.path=.run/prometheus/data \
		--web.listen-address=127.0.0.1:$(PROMETHEUS_PORT)

.PHONY: infra-up infra-down infra-status
infra-up: $(STAMP) ## Start local PostgreSQL + Kafka (idempotent), create databases and topics
	$(BIN)/localinfra up
infra-down: $(STAMP) ## Stop local PostgreSQL + Kafka cleanly
	$(BIN)/localinfra down
infra-status: $(STAMP) ## Show what runs, ports, data dirs, health
	$(BIN)/localinfra status

.PHONY: run
# REPLICAS=3: three processes per service (HTTP and workers each, replica r on the service's
# port + 10 r); BROKERS=3: a three-broker Kafka cluster (a new infra home, or one made with 3).
run: $(STAMP) ## Bring up everything and start the three services (REPLICAS=n, BROKERS=3; Ctrl-C stops all)
	$(BIN)/localinfra run $(if $(REPLICAS),--replicas $(REPLICAS)) $(if $(BROKERS),--brokers $(BROKERS))

.PHONY: test
test: $(STAMP) $(KUSTOMIZE) ## Run the whole suite (unit, integration, e2e) on its own infrastructure
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# `make test-cluster` runs the failover tests (marker `cluster`: tests/e2e/test_cluster_failover.py)
# on a three-broker cluster with three replicas of every service, an infrastructure of its own.
CLUSTER_TEST_ENV := ORDERS_INFRA_HOME=$(CURDIR)/.run/test-cluster ORDERS_KAFKA_BROKERS=3 \
	ORDERS_PG_PORT=$${ORDERS_CLUSTER_PG_PORT:-28432} \
	ORDERS_KAFKA_PORT=$${ORDERS_CLUSTER_KAFKA_PORT:-29392} \
	ORDERS_KAFKA_CONTROLLER_PORT=$${ORDERS_CLUSTER_KAFKA_CONTROLLER_PORT:-29393} \
	ORDERS_SERVICE_BASE_PORT=$${ORDERS_CLUSTER_SERVICE_BASE_PORT:-18300}

.PHONY: test-cluster
test-cluster: $(STAMP) ## Failover tests: 3 brokers, 3 replicas per service, brokers and replicas killed and rolled
	$(CLUSTER_TEST_ENV) $(BIN)/python -m pytest -m cluster $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: $(STAMP) $(KUSTOMIZE) ## Run only the pure unit tests (no infrastructure)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The validators of the OpenAPI, AsyncAPI and JSON Schema documents (Spectral, AsyncAPI CLI,
# ajv), pinned by tools/contract-lint/package-lock.json; Node 20 and npm are needed.
CONTRACT_TOOLS := tools/contract-lint/node_modules/.installed

$(CONTRACT_TOOLS): tools/contract-lint/package.json tools/contract-lint/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20+ and npm are needed (apt-get install nodejs npm)"; exit 1; }
	cd tools/contract-lint && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: contract-tools
contract-tools: $(CONTRACT_TOOLS) ## Install the pinned Node validators `make lint` runs

# kustomize (KUSTOMIZE, defined at the top) is built with Go from the Go module proxy, once.
K8S_OVERLAY ?= single

$(KUSTOMIZE):
	@command -v go >/dev/null || { echo "Go is needed to build kustomize (golang from Debian or go.dev)"; exit 1; }
	GOBIN=$(CURDIR)/$(dir $(KUSTOMIZE)) GOTOOLCHAIN=local go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

.PHONY: k8s-tools k8s-render
k8s-tools: $(KUSTOMIZE) ## Build the pinned kustomize the manifest test renders deploy/k8s/ with
k8s-render: $(KUSTOMIZE) ## Print the Kubernetes manifests of an overlay (K8S_OVERLAY=single|cluster)
	@$(KUSTOMIZE) build deploy/k8s/overlays/$(K8S_OVERLAY)

.PHONY: lint
lint: $(STAMP) $(CONTRACT_TOOLS) ## ruff + mypy + the contract validators (tools/contract-lint)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m localinfra.contract_lint

.PHONY: fmt
fmt: $(STAMP) ## Format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The compatibility baseline is a git ref; CI on a pull request should pass the target branch
# (e.g. `make schemas-check SCHEMAS_BASE=origin/main`).
SCHEMAS_BASE ?= HEAD

.PHONY: schemas schemas-check
schemas: $(STAMP) ## Regenerate JSON Schemas, golden examples, AsyncAPI and docs/events.md
	$(BIN)/python -m contracts.artefacts write --root $(CURDIR)
schemas-check: $(STAMP) ## Fail if generated contract artefacts are stale or a schema change breaks compatibility
	$(BIN)/python -m contracts.artefacts check --root $(CURDIR) --base $(SCHEMAS_BASE)

.PHONY: clean
clean: ## Stop infrastructure and remove .venv, .run (data) and caches
	-test -x $(BIN)/localinfra && $(BIN)/localinfra down
	-test -x $(BIN)/localinfra && $(TEST_ENV) $(BIN)/localinfra down
	-test -x $(BIN)/localinfra && $(BENCH_ENV) $(BIN)/localinfra down
	-test -x $(BIN)/localinfra && $(CLUSTER_TEST_ENV) $(BIN)/localinfra down
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache

# `make bench` runs on its own infrastructure (not `make run`'s nor `make test`'s), so figures
# are not disturbed by tests and tests are not slowed by benchmarks.
BENCH_ENV := ORDERS_INFRA_HOME=$${ORDERS_BENCH_HOME:-$(CURDIR)/.run/bench} ORDERS_PG_PORT=$${ORDERS_BENCH_PG_PORT:-27432} \
	ORDERS_KAFKA_PORT=$${ORDERS_BENCH_KAFKA_PORT:-29292} \
	ORDERS_KAFKA_CONTROLLER_PORT=$${ORDERS_BENCH_KAFKA_CONTROLLER_PORT:-29293} \
	ORDERS_SERVICE_BASE_PORT=$${ORDERS_BENCH_SERVICE_BASE_PORT:-18200}
BENCHMARKS := append relay subscription rebuild ceiling
# Benchmarks 2, 6, 7, 8 and 10 drive HTTP load with Debian's wrk (bench/wrk.py); nothing else needs it.
NEED_WRK = @command -v wrk >/dev/null || { echo "wrk is not installed (the HTTP benchmarks' load generator): sudo apt-get install -y wrk"; exit 1; }

.PHONY: bench $(addprefix bench-,$(BENCHMARKS))
bench: $(STAMP) ## Run every benchmark (BENCH_QUICK=1: short sizes) and record docs/benchmarks.md
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench $(BENCH_ARGS)
bench-append: $(STAMP) ## Benchmark 1: event store appends vs asyncpg INSERT/COPY and eventsourcing
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench append $(BENCH_ARGS)
bench-relay: $(STAMP) ## Benchmark 3: outbox relay backlog vs a raw aiokafka producer
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench relay $(BENCH_ARGS)
bench-subscription: $(STAMP) ## Benchmark 4: subscription catch-up vs raw consume and a naive projector
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench subscription $(BENCH_ARGS)
bench-rebuild: $(STAMP) ## Benchmark 5: read-model rebuild from the store vs a raw sequential read
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench rebuild $(BENCH_ARGS)
bench-ceiling: $(STAMP) ## Benchmark 11: appends/s through the position lock as commit latency grows, vs per-partition locks
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench ceiling $(BENCH_ARGS)
.PHONY: bench-commands bench-reads bench-freshness bench-growth bench-memory bench-lifecycle
bench-commands: $(STAMP) ## Benchmark 2: place + pay over HTTP (order service) vs a CRUD service and a bare INSERT
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench commands $(BENCH_ARGS)
bench-reads: $(STAMP) ## Benchmark 10: GET of an order and /ready over HTTP vs a bare FastAPI GET of one row
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench reads $(BENCH_ARGS)
bench-freshness: $(STAMP) ## Benchmark 6: payment to shipment read model (three services) vs raw Kafka hops
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench freshness $(BENCH_ARGS)
bench-growth: $(STAMP) ## Benchmark 7: command throughput with 1M vs 10M events stored
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench growth $(BENCH_ARGS)
bench-memory: $(STAMP) ## Benchmark 8: peak RSS of each service process under load
	$(NEED_WRK)
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench memory $(BENCH_ARGS)
bench-lifecycle: $(STAMP) ## Benchmark 12: server CPU per command type and per reaction, three services
	$(BENCH_ENV) $(BIN)/localinfra up >/dev/null
	$(BENCH_ENV) $(BIN)/python -m bench lifecycle $(BENCH_ARGS)
