"""The pure rules of an order's after-sales: refund cases, returns, time-outs and disputes."""
