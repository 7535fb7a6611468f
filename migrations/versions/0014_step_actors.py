"""step actors as rows: case_step_actors replaces the comma string case_steps.actor_roles

Revision ID: 0014_step_actors
Revises: 0013_workshops
Create Date: 2026-11-24 23:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_step_actors'
down_revision = '0013_workshops'
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade():
    op.create_table('case_step_actors',
    sa.Column('case_step_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['case_step_id'], ['case_steps.id'], name=op.f('fk_case_step_actors_case_step_id_case_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_step_id', 'role', name=op.f('pk_case_step_actors'))
    )
    with op.batch_alter_table('case_step_actors', schema=None) as batch_op:
        batch_op.create_index('ix_case_step_actors_role_case_step_id', ['role', 'case_step_id'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text(
            "INSERT INTO case_step_actors (case_step_id, role) "
            "SELECT DISTINCT id, role FROM case_steps, unnest(string_to_array(actor_roles, ',')) AS role "
            "WHERE role <> ''"))
    else:
        _copy_in_batches(bind, "SELECT id, actor_roles FROM case_steps WHERE id > :after ORDER BY id LIMIT :n",
                         lambda row: {(row[0], role) for role in row[1].split(',') if role},
                         "INSERT INTO case_step_actors (case_step_id, role) VALUES (:a, :b)")
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.drop_column('actor_roles')


def downgrade():
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_roles', sa.String(length=200), nullable=False, server_default=','))
    bind = op.get_bind()
    roles: dict[int, list[str]] = {}
    for step_id, role in bind.execute(sa.text("SELECT case_step_id, role FROM case_step_actors")):
        roles.setdefault(step_id, []).append(role)
    for step_id, names in roles.items():
        bind.execute(sa.text("UPDATE case_steps SET actor_roles = :r WHERE id = :i"),
                     {"r": "," + ",".join(names) + ",", "i": step_id})
    with op.batch_alter_table('case_steps', schema=None) as batch_op:
        batch_op.alter_column('actor_roles', server_default=None)
    op.drop_table('case_step_actors')


def _copy_in_batches(bind, select, rows_of, insert):
    after = 0
    while True:
        rows = bind.execute(sa.text(select), {"after": after, "n": BATCH}).all()
        if not rows:
            return
        pairs = [{"a": a, "b": b} for row in rows for a, b in rows_of(row)]
        if pairs:
            bind.execute(sa.text(insert), pairs)
        after = rows[-1][0]
