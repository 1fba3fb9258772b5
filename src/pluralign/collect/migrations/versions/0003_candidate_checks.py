"""a candidate set keeps what the worker's checks found in its generated answers and did about them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidate_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checks', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('candidate_sets', schema=None) as batch_op:
        batch_op.drop_column('checks')
