"""accounts: self-registration (e-mail confirmation) and the profile request forms reuse

Accounts that exist already could sign in, so they count as confirmed from their creation.

Revision ID: 0010_accounts
Revises: 0009_scale
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.database


# revision identifiers, used by Alembic.
revision = '0010_accounts'
down_revision = '0009_scale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', app.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('nim', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('prodi', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('graduation_year', sa.Integer(), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at WHERE email_confirmed_at IS NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('graduation_year')
        batch_op.drop_column('prodi')
        batch_op.drop_column('nim')
        batch_op.drop_column('email_confirmed_at')
