"""Command handlers, the order-topic policy and the ship-by deadlines of the logistics service."""
