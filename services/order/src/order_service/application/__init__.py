"""The order aggregate's rules for the kit: reactions, deadlines, shop policy, side tables."""
