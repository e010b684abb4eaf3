"""Every way the after-sales rules refuse a command, each with a stable problem code."""

from __future__ import annotations

from eventing.decider import DomainError, Rejection


class RefundRequestInvalid(DomainError):
    """Base of the refusals caused by the command itself (422)."""

    code = "refund-request-invalid"
    kind = Rejection.INVALID
    title = "The refund request is not valid"


class RefundAmountNotPositive(RefundRequestInvalid):
    code = "refund-amount-not-positive"
    title = "A refund asks for a positive amount"


class RefundCurrencyMismatch(RefundRequestInvalid):
    code = "refund-currency-mismatch"
    title = "A refund is paid in the order's currency"


class RefundItemsNotInOrder(RefundRequestInvalid):
    code = "refund-items-not-in-order"
    title = "The refund names SKUs the order does not contain"


class ReturnNeedsItems(RefundRequestInvalid):
    code = "return-needs-items"
    title = "A return names the items sent back"


class ShippingFeeRefundHasNoItems(RefundRequestInvalid):
    code = "shipping-fee-refund-has-no-items"
    title = "A return shipping fee refund is for an amount, not for items"


class ReturnAddressRequired(RefundRequestInvalid):
    code = "return-address-required"
    title = "Approving a return needs a returns address (none in the shop policy)"


class RulingAmountInvalid(RefundRequestInvalid):
    code = "ruling-amount-invalid"
    title = "The ruling's amount does not fit its outcome"


class OrderPaymentNotYetKnown(DomainError):
    code = "order-payment-not-yet-known"
    kind = Rejection.NOT_YET_KNOWN
    title = "The payment of this order has not reached the aftersales service yet; retry later"


class NotTheOrdersBuyer(DomainError):
    code = "not-the-orders-buyer"
    kind = Rejection.FORBIDDEN
    title = "Only the buyer of an order can ask for its refund"


class RefundCaseNotFound(DomainError):
    code = "refund-case-not-found"
    kind = Rejection.NOT_FOUND
    title = "No such refund case"


class RefundConflict(DomainError):
    """Base of the refusals caused by the state of the order's after-sales (409)."""

    code = "refund-conflict"
    kind = Rejection.CONFLICT
    title = "The refund case does not allow this now"


class OrderNeverPaid(RefundConflict):
    code = "order-never-paid"
    title = "The order closed without being paid: there is nothing to refund"


class RefundCaseAlreadyExists(RefundConflict):
    code = "refund-case-already-exists"
    title = "A refund case with this id exists already"


class RefundAmountExceedsRefundable(RefundConflict):
    code = "refund-amount-exceeds-refundable"
    title = "The amount exceeds what was paid minus what is refunded or reserved by open cases"


class RefundItemsExceedOrdered(RefundConflict):
    code = "refund-items-exceed-ordered"
    title = "More units asked for than ordered minus those in other cases"


class GoodsNotShipped(RefundConflict):
    code = "goods-not-shipped"
    title = "A return needs goods that were shipped"


class RefundCaseEnded(RefundConflict):
    code = "refund-case-ended"
    title = "The refund case has ended"


class RefundCaseNotAwaitingAnswer(RefundConflict):
    code = "refund-case-not-awaiting-answer"
    title = "The refund case is not waiting for the seller's answer"


class RefundCaseNotAmendable(RefundConflict):
    code = "refund-case-not-amendable"
    title = "Only a case awaiting the seller or refused by the seller can be amended"


class RefundCaseNotRejected(RefundConflict):
    code = "refund-case-not-rejected"
    title = "Only a case the seller refused can be escalated"


class AppealWindowExpired(RefundConflict):
    code = "appeal-window-expired"
    title = "The time to amend or escalate after the rejection has run out"


class InterceptCaseNotWithdrawable(RefundConflict):
    code = "intercept-case-not-withdrawable"
    title = "A case recovering a parcel shipped after cancellation cannot be withdrawn"


class InterceptCaseNotAmendable(RefundConflict):
    code = "intercept-case-not-amendable"
    title = "A case recovering a parcel shipped after cancellation cannot be amended"


class ReturnNotExpected(RefundConflict):
    code = "return-not-expected"
    title = "The case is not waiting for the buyer to ship goods back"


class ReturnWindowExpired(RefundConflict):
    code = "return-window-expired"
    title = "The time to ship the goods back has run out"


class ReturnNotAwaitingReceipt(RefundConflict):
    code = "return-not-awaiting-receipt"
    title = "No return is on its way to the seller in this case"


class RefundCaseNotDisputed(RefundConflict):
    code = "refund-case-not-disputed"
    title = "The case is not in a dispute"


class EvidenceWindowClosed(RefundConflict):
    code = "evidence-window-closed"
    title = "Evidence is no longer accepted in this dispute"


class EvidenceAlreadyAdded(RefundConflict):
    code = "evidence-already-added"
    title = "This piece of evidence was added already"


class ComplaintInvalid(DomainError):
    """Base of the complaint refusals caused by the command itself (422)."""

    code = "complaint-invalid"
    kind = Rejection.INVALID
    title = "The complaint command is not valid"


class ComplaintRemedyInvalid(ComplaintInvalid):
    code = "complaint-remedy-invalid"
    title = "The remedy does not fit its kind (refund case, waybill, amount or note)"


class ComplaintCompensationInvalid(ComplaintInvalid):
    code = "complaint-compensation-invalid"
    title = "A compensation is positive, in the order's currency and at most what was paid"


class NotTheOrdersBuyerToComplain(DomainError):
    code = "complaint-not-by-the-orders-buyer"
    kind = Rejection.FORBIDDEN
    title = "Only the buyer of an order (or customer service for them) can complain about it"


class ComplaintNotFound(DomainError):
    code = "complaint-not-found"
    kind = Rejection.NOT_FOUND
    title = "No such complaint"


class ComplaintConflict(DomainError):
    """Base of the complaint refusals caused by where the complaint stands (409)."""

    code = "complaint-conflict"
    kind = Rejection.CONFLICT
    title = "The complaint does not allow this now"


class ComplaintAlreadyExists(ComplaintConflict):
    code = "complaint-already-exists"
    title = "A complaint with this id exists already"


class ComplaintAlreadyOpen(ComplaintConflict):
    code = "complaint-already-open"
    title = "An open complaint about the same thing and category exists on this order"


class ComplaintNotAtThisStep(ComplaintConflict):
    code = "complaint-not-at-this-step"
    title = "The complaint is not at the step this command takes"


class ComplaintDeadlinePassed(ComplaintConflict):
    code = "complaint-deadline-passed"
    title = "The time for this step has run out (the complaint escalates or closes)"


class ComplaintRemedyCaseUnknown(ComplaintConflict):
    code = "complaint-remedy-case-unknown"
    title = "The remedy names a refund case that is not one of this order's"
