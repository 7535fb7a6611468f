"""follow-up waits: the open cases in their follow-up that anyone holding a role in the case's
unit may take (a new online request waiting for a counselor), kept by the engine, so that "Tugas
saya" and the case lists read them by index (filled here from the open cases in follow-up)

Revision ID: 0022_follow_up_waits
Revises: 0021_open_tasks
Create Date: 2026-11-25 13:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

import app.database


revision = '0022_follow_up_waits'
down_revision = '0021_open_tasks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up_waits',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_follow_up_waits_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_follow_up_waits_unit_id_units')),
    sa.PrimaryKeyConstraint('case_id', 'role', name=op.f('pk_follow_up_waits'))
    )
    with op.batch_alter_table('follow_up_waits', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_waits_role_opened_at', ['role', 'opened_at', 'case_id'], unique=False)
    _fill(op.get_bind())


def _fill(bind):
    """The engine's rule (app/sop/access.py: follow_up_open_roles) over the open cases with no
    step active or still to come, of a procedure version with a follow-up: each of its
    `follow_up.closed_by` roles that is a team role nobody serves or served the case in."""
    open_roles = {}
    for version_id, definition in bind.execute(sa.text("SELECT id, definition FROM procedure_versions")):
        definition = json.loads(definition) if isinstance(definition, str) else definition
        follow_up = definition.get('follow_up') or {}
        team_roles = set(definition.get('team_roles') or ['counselor'])
        roles = [r for r in dict.fromkeys(follow_up.get('closed_by') or []) if r in team_roles]
        if roles:
            open_roles[version_id] = roles
    if not open_roles:
        return
    cases = bind.execute(sa.text(
        "SELECT c.id, c.code, c.unit_id, c.opened_at, c.procedure_version_id FROM cases c WHERE c.state = 'open' "
        "AND NOT EXISTS (SELECT 1 FROM case_steps s WHERE s.case_id = c.id AND s.state IN ('active', 'pending'))")).all()
    cases = [c for c in cases if c[4] in open_roles]
    served = {}
    for case_id, role in bind.execute(sa.text(
            "SELECT m.case_id, m.role FROM case_members m JOIN cases c ON c.id = m.case_id WHERE c.state = 'open'")):
        served.setdefault(case_id, set()).add(role)
    rows = [{'c': case_id, 'r': role, 'k': code, 'u': unit_id, 'o': opened_at}
            for case_id, code, unit_id, opened_at, version_id in cases
            for role in open_roles[version_id] if role not in served.get(case_id, ())]
    if rows:
        bind.execute(sa.text("INSERT INTO follow_up_waits (case_id, role, code, unit_id, opened_at) "
                             "VALUES (:c, :r, :k, :u, :o)"), rows)


def downgrade():
    with op.batch_alter_table('follow_up_waits', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_waits_role_opened_at')
    op.drop_table('follow_up_waits')
