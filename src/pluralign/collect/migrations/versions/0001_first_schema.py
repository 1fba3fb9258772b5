"""the first schema: people, prompts, conversations, candidate sets, choices

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables, each after those its foreign keys name."""
    _people()
    _prompts()
    _settings()
    _conversations()
    _candidate_sets()
    _choices()


def _people() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('consented_at', sa.DateTime(), nullable=True),
    sa.Column('survey', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )


def _prompts() -> None:
    op.create_table('prompts',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def _settings() -> None:
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def _conversations() -> None:
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.String(length=200), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'prompt_id')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_prompt_id'), ['prompt_id'], unique=False)


def _candidate_sets() -> None:
    op.create_table('candidate_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.String(length=200), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('sampler', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'turn')
    )
    with op.batch_alter_table('candidate_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_sets_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidate_sets_prompt_id'), ['prompt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidate_sets_status'), ['status'], unique=False)


def _choices() -> None:
    op.create_table('choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('candidate_set_id', sa.Integer(), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('chosen', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('order', sa.JSON(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('seconds', sa.Double(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_set_id'], ['candidate_sets.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'turn'),
    sa.UniqueConstraint('nonce')
    )
    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choices_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_choices_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_choices_person_id'))
        batch_op.drop_index(batch_op.f('ix_choices_conversation_id'))

    op.drop_table('choices')
    with op.batch_alter_table('candidate_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_sets_status'))
        batch_op.drop_index(batch_op.f('ix_candidate_sets_prompt_id'))
        batch_op.drop_index(batch_op.f('ix_candidate_sets_conversation_id'))

    op.drop_table('candidate_sets')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_prompt_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_person_id'))

    op.drop_table('conversations')
    op.drop_table('settings')
    op.drop_table('prompts')
    op.drop_table('people')
