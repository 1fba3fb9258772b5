"""a choice's nonce is unique per person, not across the study: one person's nonce never makes another's a duplicate

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraints as batch mode copies them


def _nonce_constraint() -> str:
    """The name of the first schema's unique constraint on ``nonce`` (PostgreSQL named it; SQLite did not)."""
    found = next(c["name"] for c in sa.inspect(op.get_bind()).get_unique_constraints("choices")
                 if c["column_names"] == ["nonce"])
    return found or "uq_choices_nonce"


def upgrade() -> None:
    old = _nonce_constraint()
    with op.batch_alter_table('choices', schema=None, naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint(old, type_='unique')
        batch_op.create_unique_constraint('uq_choices_person_id_nonce', ['person_id', 'nonce'])


def downgrade() -> None:
    with op.batch_alter_table('choices', schema=None, naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint('uq_choices_person_id_nonce', type_='unique')
        batch_op.create_unique_constraint('uq_choices_nonce', ['nonce'])
