"""thread reads: how far each reader has read a case's conversation (the newest message a
reading showed them), so that what is unread is counted by message, not by the time of the
reading (filled here from the access log's readings of the conversation)

Revision ID: 0023_thread_reads
Revises: 0022_follow_up_waits
Create Date: 2026-11-25 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023_thread_reads'
down_revision = '0022_follow_up_waits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('thread_reads',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_thread_reads_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_thread_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_thread_reads'))
    )
    # Each reader's last reading of the conversation ('percakapan', online.thread.READ) read up to
    # the newest message written by then.
    op.execute("""
        INSERT INTO thread_reads (case_id, user_id, message_id)
        SELECT r.case_id, r.user_id, max(m.id)
        FROM (SELECT case_id, user_id, max(at) AS last_at FROM case_access_log
              WHERE action = 'read' AND fields = 'percakapan' GROUP BY case_id, user_id) r
        JOIN thread_messages m ON m.case_id = r.case_id AND m.created_at <= r.last_at
        GROUP BY r.case_id, r.user_id""")


def downgrade():
    op.drop_table('thread_reads')
