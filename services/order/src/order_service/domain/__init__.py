"""The order aggregate's rules: commands, state, decide/evolve, errors, and the stock rule."""

from order_service.domain.decide import decide, order_decider
from order_service.domain.state import INITIAL_STATE, OrderState, OrderStatus, evolve

__all__ = ["INITIAL_STATE", "OrderState", "OrderStatus", "decide", "evolve", "order_decider"]
