"""The dashboard's one read model: `FIGURES`, fed by the three topics, which the service runs
live and orderctl rebuilds and verifies (`orderctl rebuild dashboard`)."""

from __future__ import annotations

from contracts.parties import SERVICES
from dashboard_service.projections.projector import project_figures
from dashboard_service.projections.tables import APPLIED_TIME_COLUMNS, READ_MODEL_TABLES
from eventing.encoding import ConsumedEvent
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables

_TABLES: ProjectionTables[ConsumedEvent] = ProjectionTables(READ_MODEL_TABLES, project_figures)

FIGURES = Projection(
    name="figures",
    description="Orders, payments, shipments and refund cases by business time, and each "
    "shop's latest event: the figures per shop and for the whole platform.",
    tables=_TABLES,
    topics=SERVICES,
    subscription="figures",  # the deployed consumer group `dashboard.figures`
    applied_time_columns=APPLIED_TIME_COLUMNS,
)

PROJECTIONS: tuple[Projection, ...] = (FIGURES,)

__all__ = ["FIGURES", "PROJECTIONS"]
