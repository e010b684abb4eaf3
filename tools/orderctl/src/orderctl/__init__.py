"""orderctl: the operators' command line for the order-lifecycle platform."""
