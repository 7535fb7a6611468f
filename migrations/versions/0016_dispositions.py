"""dispositions: the disposisi chain of a case (from whom, to whom, instruction, deadline, done)

Revision ID: 0016_dispositions
Revises: 0015_referrals
Create Date: 2026-11-24 23:50:00

"""
from alembic import op
import sqlalchemy as sa

import app.database


# revision identifiers, used by Alembic.
revision = '0016_dispositions'
down_revision = '0015_referrals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('step_key', sa.String(length=40), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('from_user_id', sa.Integer(), nullable=False),
    sa.Column('from_role', sa.String(length=40), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=False),
    sa.Column('to_role', sa.String(length=40), nullable=False),
    sa.Column('instructions', sa.String(length=300), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('given_at', app.database.UTCDateTime(), nullable=False),
    sa.Column('done_at', app.database.UTCDateTime(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_step', sa.String(length=40), nullable=True),
    sa.Column('done_note', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dispositions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_dispositions_done_by_id_users')),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_dispositions_from_user_id_users')),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_dispositions_to_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions'))
    )
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispositions_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_dispositions_to_user_id_done_at', ['to_user_id', 'done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_index('ix_dispositions_to_user_id_done_at')
        batch_op.drop_index(batch_op.f('ix_dispositions_case_id'))

    op.drop_table('dispositions')
