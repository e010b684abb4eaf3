"""The logistics read models: shipments (queues, figures), tracking history, exceptions."""

from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables
from logistics_service.projections.projector import project_shipments
from logistics_service.projections.tables import READ_MODEL_TABLES

_TABLES: ProjectionTables[ConsumedEvent] = ProjectionTables(READ_MODEL_TABLES, project_shipments)

SHIPMENTS = Projection(
    name="shipments",
    description="Shipments by queue (awaiting dispatch, overdue, exceptions), tracking history, "
    "exceptions, per-carrier and per-shop figures.",
    tables=_TABLES,
    topics=(Service.LOGISTICS,),
    subscription="read-model",
)

PROJECTIONS: tuple[Projection, ...] = (SHIPMENTS,)

__all__ = ["PROJECTIONS", "SHIPMENTS"]
