"""The delivery's signer is kept sealed for the buyer (a Sealed object, JSONB), never in clear.

Revision ID: logistics_0002
Revises: logistics_0001
"""

from __future__ import annotations

from alembic import op

revision = "logistics_0002"
down_revision: str | None = "logistics_0001"
branch_labels = None
depends_on = None

# A clear signer cannot be sealed here (the keys are not in this database): it is dropped, as
# the read model is rebuilt from the events, where it is sealed. Downgrading drops the sealed
# ones, which the old column could not hold.
_UPGRADE = """
ALTER TABLE public.shipments ALTER COLUMN signed_by TYPE jsonb USING NULL;
COMMENT ON COLUMN public.shipments.signed_by IS
    'The signer, sealed for the buyer (a Sealed object).'
"""

_DOWNGRADE = """
COMMENT ON COLUMN public.shipments.signed_by IS NULL;
ALTER TABLE public.shipments ALTER COLUMN signed_by TYPE varchar(64) USING NULL
"""


def upgrade() -> None:
    for statement in _UPGRADE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for statement in _DOWNGRADE.split(";"):
        if statement.strip():
            op.execute(statement)
