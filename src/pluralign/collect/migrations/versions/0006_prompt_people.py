"""how many people each prompt was given to, kept on the prompt: assigning a task reads it instead of counting every
conversation of the study

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=False, server_default='0'))
    op.execute("update prompts set people = (select count(*) from conversations where conversations.prompt_id = "
               "prompts.id)")


def downgrade() -> None:
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_column('people')
