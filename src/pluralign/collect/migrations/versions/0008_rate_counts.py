"""rate limits kept in the database, so that several processes serving one study share them (unlogged on PostgreSQL:
a count lost in a crash costs nothing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table('rate_counts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('previous', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    prefixes=unlogged
    )


def downgrade() -> None:
    op.drop_table('rate_counts')
