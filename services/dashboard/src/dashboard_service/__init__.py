"""The dashboard service: the business's figures per shop and for the whole platform, kept
from the three topics like any outside consumer would (it reads no other service's database)."""

NAME = "dashboard"
"""Its name: database, consumer groups (`<prefix>dashboard.<purpose>`), process and logs."""
