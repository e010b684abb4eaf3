"""Every way the shipment rules refuse a command, each with a stable problem code.

The code becomes the problem type `https://orderflow.dev/problems/<code>`; the kind decides the
HTTP status (422 invalid, 409 conflict, retryable 409 not-yet-known, 404, 403).
"""

from __future__ import annotations

from eventing.decider import DomainError, Rejection


class ShipmentNotRequested(DomainError):
    """The shipment does not exist yet: the order's payment has not reached logistics."""

    code = "shipment-not-requested"
    kind = Rejection.NOT_YET_KNOWN
    title = "The shipment has not been requested yet"


class OrderAlreadyCancelled(DomainError):
    """The order was cancelled or closed before dispatch: nothing ships any more."""

    code = "order-cancelled"
    kind = Rejection.CONFLICT
    title = "The order was cancelled"


class ShipmentAlreadyDispatched(DomainError):
    """The parcel already left; a second dispatch would ship the order twice."""

    code = "shipment-already-dispatched"
    kind = Rejection.CONFLICT
    title = "The shipment was already dispatched"


class ReceiverIncomplete(DomainError):
    """Dispatch check 1: the receiver lacks a name, a valid phone or a full address."""

    code = "receiver-incomplete"
    kind = Rejection.CONFLICT
    title = "The receiver is incomplete"


class ReceiverErased(DomainError):
    """Dispatch check 1: the buyer's personal data was erased, so there is no one to ship to."""

    code = "receiver-erased"
    kind = Rejection.CONFLICT
    title = "The receiver was erased"


class ContentsMismatch(DomainError):
    """Dispatch check 2: the packed contents differ from the order's items and quantities."""

    code = "contents-mismatch"
    kind = Rejection.INVALID
    title = "The packed contents do not match the order"


class UnknownCarrier(DomainError):
    """Dispatch check 3: the carrier code is not in the catalogue."""

    code = "unknown-carrier"
    kind = Rejection.INVALID
    title = "Unknown carrier"


class InvalidTrackingNumber(DomainError):
    """Dispatch check 3: the tracking number is not one the carrier issues."""

    code = "invalid-tracking-number"
    kind = Rejection.INVALID
    title = "The tracking number is not valid for the carrier"


class NothingToShip(DomainError):
    """A shipment was requested without any item."""

    code = "nothing-to-ship"
    kind = Rejection.INVALID
    title = "Nothing to ship"


class InvalidShippingWindow(DomainError):
    """A ship-by policy whose target is not positive or whose limit comes before its target."""

    code = "invalid-shipping-window"
    kind = Rejection.INVALID
    title = "Invalid ship-by window"


class ReceiverChangeAfterDispatch(DomainError):
    """The parcel already left with the old receiver; the address can no longer change."""

    code = "receiver-change-after-dispatch"
    kind = Rejection.CONFLICT
    title = "The receiver cannot change after dispatch"


class ShipmentNotDispatched(DomainError):
    """Tracking, exceptions and delivery need a parcel that left (its dispatch may be late)."""

    code = "shipment-not-dispatched"
    kind = Rejection.NOT_YET_KNOWN
    title = "The shipment has not been dispatched yet"


class WaybillNotOnShipment(DomainError):
    """The waybill is not one this shipment travelled under."""

    code = "waybill-not-on-shipment"
    kind = Rejection.INVALID
    title = "The waybill does not belong to this shipment"


class ExceptionNotFound(DomainError):
    """No exception with this id was opened on the shipment."""

    code = "exception-not-found"
    kind = Rejection.NOT_FOUND
    title = "No such logistics exception"


class ExceptionAlreadyResolved(DomainError):
    """The exception was settled already."""

    code = "exception-already-resolved"
    kind = Rejection.CONFLICT
    title = "The logistics exception was already resolved"


class ExceptionAlreadyOpen(DomainError):
    """An exception of the same kind is still open: follow that one up instead."""

    code = "exception-already-open"
    kind = Rejection.CONFLICT
    title = "An exception of this kind is already open"


class ExceptionIdTaken(DomainError):
    """The exception id was used for a different exception."""

    code = "exception-id-taken"
    kind = Rejection.CONFLICT
    title = "The exception id is already used"


class ExceptionAfterDelivery(DomainError):
    """A delivered parcel can be damaged, but not delayed, lost or misaddressed any more."""

    code = "exception-after-delivery"
    kind = Rejection.CONFLICT
    title = "This exception cannot be opened after delivery"


class InvalidResolution(DomainError):
    """A resolution without what it needs (a claim amount, a new waybill) or with what it must not
    carry."""

    code = "invalid-resolution"
    kind = Rejection.INVALID
    title = "Invalid exception resolution"


class WaybillAlreadyUsed(DomainError):
    """A reshipment must travel under a waybill the shipment has not used before."""

    code = "waybill-already-used"
    kind = Rejection.INVALID
    title = "The waybill was already used for this shipment"


class ParcelNotDelivered(DomainError):
    """An exception can only be resolved as delivered once the delivery is recorded."""

    code = "parcel-not-delivered"
    kind = Rejection.CONFLICT
    title = "The parcel has not been delivered"


class ShipmentAlreadyDelivered(DomainError):
    """Delivery of the current parcel was recorded already."""

    code = "shipment-already-delivered"
    kind = Rejection.CONFLICT
    title = "The shipment was already delivered"


class DeliveryBeforeDispatch(DomainError):
    """A parcel cannot be signed for before it left."""

    code = "delivery-before-dispatch"
    kind = Rejection.INVALID
    title = "Delivery time is before dispatch"


class DeadlineNotReached(DomainError):
    """A ship-by deadline was reported missed before it was due."""

    code = "deadline-not-reached"
    kind = Rejection.CONFLICT
    title = "The deadline has not passed yet"


class ShipmentNotFound(DomainError):
    """A seller acted on a shipment that is not their shop's, or not known yet: the same answer
    either way (and the same as a read's), so a command does not reveal which orders exist."""

    code = "shipment-not-found"
    kind = Rejection.NOT_FOUND
    title = "No such shipment"


class WaybillInUse(DomainError):
    """The waybill already travels with another order (checked by the application against the
    waybill index, since one shipment's rules cannot see other orders)."""

    code = "waybill-in-use"
    kind = Rejection.CONFLICT
    title = "The waybill is already used by another order"
