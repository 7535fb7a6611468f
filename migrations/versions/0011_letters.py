"""letters: one current letter per case step and type, the reason of a new version, simple templates

Revision ID: 0011_letters
Revises: 0010_accounts
Create Date: 2026-11-25 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_letters'
down_revision = '0010_accounts'
branch_labels = None
depends_on = None

CURRENT = "superseded_by_id IS NULL"


def upgrade():
    with op.batch_alter_table('letter_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=10), server_default='html', nullable=False))

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=300), nullable=True))

    # Before this revision one click could give a case step a second numbered letter. Where that
    # happened, the latest letter stands and the earlier ones are marked as superseded by it (the
    # verify page then says so), so that the unique index below can hold.
    op.execute(sa.text(
        "UPDATE letters SET superseded_by_id = (SELECT MAX(l2.id) FROM letters l2 "
        "WHERE l2.case_id = letters.case_id AND l2.step_key = letters.step_key "
        "AND l2.doc_type = letters.doc_type AND l2.superseded_by_id IS NULL), "
        "reason = 'Terbit ganda sebelum pembaruan 0010; digantikan oleh surat terakhir.' "
        "WHERE superseded_by_id IS NULL AND case_id IS NOT NULL AND step_key IS NOT NULL AND id < ("
        "SELECT MAX(l2.id) FROM letters l2 WHERE l2.case_id = letters.case_id AND l2.step_key = letters.step_key "
        "AND l2.doc_type = letters.doc_type AND l2.superseded_by_id IS NULL)"))

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('uq_letters_current_step_letter', ['case_id', 'step_key', 'doc_type'], unique=True,
                              sqlite_where=sa.text(CURRENT), postgresql_where=sa.text(CURRENT))


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('uq_letters_current_step_letter', sqlite_where=sa.text(CURRENT),
                            postgresql_where=sa.text(CURRENT))
        batch_op.drop_column('reason')

    with op.batch_alter_table('letter_templates', schema=None) as batch_op:
        batch_op.drop_column('mode')
