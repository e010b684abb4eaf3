"""Every way the order's rules refuse a command, each with a stable problem code."""

from __future__ import annotations

from eventing.decider import DomainError, Rejection


class OrderInvalid(DomainError):
    """Base of the refusals caused by the command itself (422)."""

    code = "order-invalid"
    kind = Rejection.INVALID
    title = "The order is not valid"


class NoItems(OrderInvalid):
    code = "order-has-no-items"
    title = "An order needs at least one item"


class InvalidQuantity(OrderInvalid):
    code = "invalid-quantity"
    title = "Quantities must be positive"


class DuplicateSkuLine(OrderInvalid):
    code = "duplicate-sku-line"
    title = "Each SKU may appear on one line only"


class MixedCurrencies(OrderInvalid):
    code = "mixed-currencies"
    title = "An order is paid in one currency"


class InvalidAmount(OrderInvalid):
    code = "invalid-amount"
    title = "An amount is negative or malformed"


class PayableMismatch(OrderInvalid):
    code = "payable-mismatch"
    title = "The payable sent does not equal items + shipping - discount"


class NegativePayable(OrderInvalid):
    code = "negative-payable"
    title = "The discount exceeds items and shipping"


class InvalidReceiverName(OrderInvalid):
    code = "invalid-receiver-name"
    title = "The receiver's name is missing or too long"


class InvalidPhone(OrderInvalid):
    code = "invalid-phone"
    title = "The phone is not a number a courier can call"


class InvalidAddress(OrderInvalid):
    code = "invalid-address"
    title = "The address lacks a required part"


class ChannelNotAllowed(DomainError):
    code = "channel-not-allowed"
    kind = Rejection.FORBIDDEN
    title = "This caller may not place orders through this channel"


class InvalidPresaleTerms(OrderInvalid):
    code = "invalid-presale-terms"
    title = "Deposit and balance do not add up, or the balance window is wrong"


class InvalidPolicyDuration(OrderInvalid):
    code = "invalid-policy-duration"
    title = "A policy duration is not valid"


class OrderAlreadyExists(DomainError):
    code = "order-already-exists"
    kind = Rejection.CONFLICT
    title = "An order with this id already exists"


class OrderNotFound(DomainError):
    code = "order-not-found"
    kind = Rejection.NOT_FOUND
    title = "No such order"


class OrderNotPayable(DomainError):
    code = "order-not-payable"
    kind = Rejection.CONFLICT
    title = "The order does not take payments now"


class PaymentStageMismatch(DomainError):
    code = "payment-stage-mismatch"
    kind = Rejection.CONFLICT
    title = "The order expects a payment for another stage"


class PaymentAmountMismatch(DomainError):
    code = "payment-amount-mismatch"
    kind = Rejection.INVALID
    title = "The amount paid is not the amount due"


class BalanceWindowNotOpen(DomainError):
    code = "balance-window-not-open"
    kind = Rejection.CONFLICT
    title = "The presale balance cannot be paid yet"


class BalanceWindowClosed(DomainError):
    code = "balance-window-closed"
    kind = Rejection.CONFLICT
    title = "The presale balance deadline has passed"


class OrderAlreadyShipped(DomainError):
    code = "order-already-shipped"
    kind = Rejection.CONFLICT
    title = "The order has shipped; only an after-sales case can change it now"


class OrderNotOpen(DomainError):
    code = "order-not-open"
    kind = Rejection.CONFLICT
    title = "The order is cancelled, closed or completed"


class AddressUnchanged(DomainError):
    code = "address-unchanged"
    kind = Rejection.INVALID
    title = "The new receiver equals the current one"


class ErasureBlocked(DomainError):
    code = "erasure-blocked"
    kind = Rejection.CONFLICT
    title = "The buyer has an order whose parcel has not left yet"


class PaymentWindowClosed(DomainError):
    code = "payment-window-closed"
    kind = Rejection.CONFLICT
    title = "The payment was made after the order's payment deadline"


class PaymentWindowStillOpen(DomainError):
    code = "payment-window-still-open"
    kind = Rejection.CONFLICT
    title = "The payment deadline has not passed yet"


class OrderNotAwaitingPayment(DomainError):
    code = "order-not-awaiting-payment"
    kind = Rejection.CONFLICT
    title = "The order is not waiting for a payment"


class OrderNotAwaitingBalance(DomainError):
    code = "order-not-awaiting-balance"
    kind = Rejection.CONFLICT
    title = "The order is not a presale order waiting for its balance"


class BalanceReminderAlreadySent(DomainError):
    code = "balance-reminder-already-sent"
    kind = Rejection.CONFLICT
    title = "The balance reminder was already sent"


class BalanceDeadlineNotReached(DomainError):
    code = "balance-deadline-not-reached"
    kind = Rejection.CONFLICT
    title = "The balance deadline has not passed yet"


class OrderNotPaid(DomainError):
    code = "order-not-paid"
    kind = Rejection.CONFLICT
    title = "The order has not been paid in full"


class RefundExceedsRefundable(DomainError):
    code = "refund-exceeds-refundable"
    kind = Rejection.CONFLICT
    title = "The refund is larger than what is left to refund"


class OrderNotShipped(DomainError):
    code = "order-not-shipped"
    kind = Rejection.CONFLICT
    title = "The order has not shipped yet"


class OrderAlreadyCompleted(DomainError):
    code = "order-already-completed"
    kind = Rejection.CONFLICT
    title = "Receipt was already confirmed"


class AutoConfirmNotDue(DomainError):
    code = "auto-confirm-not-due"
    kind = Rejection.CONFLICT
    title = "The receipt window has not run out yet"


class InvalidExtension(DomainError):
    code = "invalid-auto-confirm-extension"
    kind = Rejection.INVALID
    title = "Auto-confirm cannot be extended by this many days (see the shop's policy)"


class AutoConfirmAlreadyExtended(DomainError):
    code = "auto-confirm-already-extended"
    kind = Rejection.CONFLICT
    title = "Auto-confirm was already extended once"


class AutoConfirmWindowOver(DomainError):
    code = "auto-confirm-window-over"
    kind = Rejection.CONFLICT
    title = "The receipt window has already run out"


class OrderNotCompleted(DomainError):
    code = "order-not-completed"
    kind = Rejection.CONFLICT
    title = "Only a completed order can be rated"


class OrderAlreadyRated(DomainError):
    code = "order-already-rated"
    kind = Rejection.CONFLICT
    title = "The order was already rated"


class InvalidRatingScore(DomainError):
    code = "invalid-rating-score"
    kind = Rejection.INVALID
    title = "Scores are whole numbers from 1 to 5"


class PaymentReminderAlreadySent(DomainError):
    code = "payment-reminder-already-sent"
    kind = Rejection.CONFLICT
    title = "The buyer was already reminded to pay"


class OrderNotRated(DomainError):
    code = "order-not-rated"
    kind = Rejection.CONFLICT
    title = "The order has no rating yet"


class RatingAlreadyAnswered(DomainError):
    code = "rating-already-answered"
    kind = Rejection.CONFLICT
    title = "The rating was already answered"


class RatingAnswerWindowOver(DomainError):
    code = "rating-answer-window-over"
    kind = Rejection.CONFLICT
    title = "The time to answer the rating has run out"


class NotTheShopsSeller(DomainError):
    code = "not-the-shops-seller"
    kind = Rejection.FORBIDDEN
    title = "Only a seller of the order's shop can answer its rating"


class RatingAlreadyAppended(DomainError):
    code = "rating-already-appended"
    kind = Rejection.CONFLICT
    title = "The buyer already added a follow-up comment"


class RatingAppendWindowOver(DomainError):
    code = "rating-append-window-over"
    kind = Rejection.CONFLICT
    title = "The time to add a follow-up comment has run out"


class InvalidRatingReply(OrderInvalid):
    code = "invalid-rating-reply"
    title = "An answer or follow-up comment is empty or longer than 500 characters"


class InvalidStockLevel(DomainError):
    code = "invalid-stock-level"
    kind = Rejection.INVALID
    title = "Stock levels, warning lines and purchase limits cannot be negative"


class StockBelowReserved(DomainError):
    code = "stock-below-reserved"
    kind = Rejection.CONFLICT
    title = "On-hand stock cannot go below what open orders have reserved"


class TextTooLong(OrderInvalid):
    code = "text-too-long"
    title = "A note or comment is longer than 2000 characters"


class InvalidLineItem(OrderInvalid):
    code = "invalid-line-item"
    title = "A line's SKU code or title is empty or too long"


class SkuNotFound(DomainError):
    code = "sku-not-found"
    kind = Rejection.NOT_FOUND
    title = "The shop has no stock record for this SKU"


class InsufficientStock(DomainError):
    """Not raised by the decider (a refusal for stock is recorded as `order.stock_rejected`);
    its code and title name the problem the API answers with."""

    code = "insufficient-stock"
    kind = Rejection.CONFLICT
    title = "Some SKUs lack stock or exceed the buyer's purchase limit"
