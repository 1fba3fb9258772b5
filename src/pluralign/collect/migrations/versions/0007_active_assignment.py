"""active assignment: why each conversation's prompt was assigned and with what probability, and the population
model's refits that the assignment rule reads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('probability', sa.Double(), nullable=True))
    op.create_table('fits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('fits')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('probability')
        batch_op.drop_column('assigned')
