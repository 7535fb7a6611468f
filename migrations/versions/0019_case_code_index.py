"""cases: one index for a service's cases by state and time (code, state, opened_at), in place of
the index on the code alone (its first column)

Revision ID: 0019_case_code_index
Revises: 0018_puspaga
Create Date: 2026-11-25 03:40:00

"""
from alembic import op


revision = '0019_case_code_index'
down_revision = '0018_puspaga'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_code_state_opened_at', ['code', 'state', 'opened_at'], unique=False)
        batch_op.drop_index('ix_cases_code')


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_code', ['code'], unique=False)
        batch_op.drop_index('ix_cases_code_state_opened_at')
