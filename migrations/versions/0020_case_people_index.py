"""cases: a person's cases newest first, by index: (subject_id | opened_by_id | assignee_id,
opened_at, id) in place of the indexes on those columns alone (their first column)

Revision ID: 0020_case_people_index
Revises: 0019_case_code_index
Create Date: 2026-11-25 06:00:00

"""
from alembic import op


revision = '0020_case_people_index'
down_revision = '0019_case_code_index'
branch_labels = None
depends_on = None

COLUMNS = ('subject_id', 'opened_by_id', 'assignee_id')


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f'ix_cases_{column}_opened_at', [column, 'opened_at', 'id'], unique=False)
            batch_op.drop_index(f'ix_cases_{column}')


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f'ix_cases_{column}', [column], unique=False)
            batch_op.drop_index(f'ix_cases_{column}_opened_at')
