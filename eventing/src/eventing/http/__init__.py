"""The HTTP conventions all three services share: problems, auth, masking, commands, paging."""
