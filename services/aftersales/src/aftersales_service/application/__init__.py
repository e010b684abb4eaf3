"""The aggregate's rules for the kit, the reactions to the order and logistics topics, the case
deadlines, the shop policy and the working tables."""
