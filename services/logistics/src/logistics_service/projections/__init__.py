"""The logistics read models: shipments (queues, figures), tracking history, exceptions."""

from contracts.parties import Service
from eventing.encoding import ConsumedEvent
from eventing.projections import Projection
from eventing.rebuild import ProjectionTables
from logistics_service.projections.projector import project_shipment_events, project_shipments
from logistics_service.projections.tables import READ_MODEL_TABLES

_TABLES: ProjectionTables[ConsumedEvent] = ProjectionTables(
    READ_MODEL_TABLES, project_shipments, batch_projector=project_shipment_events
)

SHIPMENTS = Projection(
    name="shipments",
    description="Shipments by queue (awaiting dispatch, overdue, exceptions), tracking history, "
    "exceptions, per-carrier and per-shop figures.",
    tables=_TABLES,
    topics=(Service.LOGISTICS,),
    # Projected in each appending transaction: a shipment is in its queue once its command
    # commits (docs/architecture.md, "Read models projected inline").
    inline=True,
)

PROJECTIONS: tuple[Projection, ...] = (SHIPMENTS,)

__all__ = ["PROJECTIONS", "SHIPMENTS"]
