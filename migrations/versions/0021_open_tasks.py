"""open tasks: the active steps anyone holding a role in the case's unit may act on beyond the
team, kept by the engine, so that "Tugas saya" and the case lists read the work waiting for a role
by index (filled here from the active steps of open cases)

Revision ID: 0021_open_tasks
Revises: 0020_case_people_index
Create Date: 2026-11-25 08:40:00

"""
import json

from alembic import op
import sqlalchemy as sa

import app.database


revision = '0021_open_tasks'
down_revision = '0020_case_people_index'
branch_labels = None
depends_on = None

SPECIAL_ACTORS = {'subject', 'assignee'}


def upgrade():
    op.create_table('open_tasks',
    sa.Column('case_step_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_open_tasks_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_step_id'], ['case_steps.id'], name=op.f('fk_open_tasks_case_step_id_case_steps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_tasks_unit_id_units')),
    sa.PrimaryKeyConstraint('case_step_id', 'role', name=op.f('pk_open_tasks'))
    )
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_open_tasks_role_due_at', ['role', 'due_at', 'active_at', 'case_step_id'], unique=False)
        batch_op.create_index('ix_open_tasks_role_opened_at', ['role', 'opened_at', 'case_id'], unique=False)
    _fill(op.get_bind())


def _fill(bind):
    """The engine's rule (app/sop/access.py: open_roles) over the active steps of open cases: each
    role of the step but the subject and the assignee, a team role of the case's procedure version
    only while nobody serves or served the case in it."""
    team_roles = {}
    for version_id, definition in bind.execute(sa.text("SELECT id, definition FROM procedure_versions")):
        definition = json.loads(definition) if isinstance(definition, str) else definition
        team_roles[version_id] = set(definition.get('team_roles') or ['counselor'])
    served = {}
    for case_id, role in bind.execute(sa.text(
            "SELECT m.case_id, m.role FROM case_members m JOIN cases c ON c.id = m.case_id WHERE c.state = 'open'")):
        served.setdefault(case_id, set()).add(role)
    rows = [{'s': step_id, 'r': role, 'c': case_id, 'k': code, 'u': unit_id, 'o': opened_at, 'd': due_at,
             'a': active_at}
            for step_id, role, case_id, code, unit_id, opened_at, due_at, active_at, version_id in bind.execute(sa.text(
                "SELECT s.id, a.role, c.id, c.code, c.unit_id, c.opened_at, s.due_at, s.active_at, "
                "c.procedure_version_id FROM case_steps s "
                "JOIN cases c ON c.id = s.case_id JOIN case_step_actors a ON a.case_step_id = s.id "
                "WHERE s.state = 'active' AND c.state = 'open'"))
            if role not in SPECIAL_ACTORS
            and (role not in team_roles[version_id] or role not in served.get(case_id, ()))]
    if rows:
        bind.execute(sa.text("INSERT INTO open_tasks (case_step_id, role, case_id, code, unit_id, opened_at, due_at, "
                             "active_at) VALUES (:s, :r, :c, :k, :u, :o, :d, :a)"), rows)


def downgrade():
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_open_tasks_role_opened_at')
        batch_op.drop_index('ix_open_tasks_role_due_at')
        batch_op.drop_index(batch_op.f('ix_open_tasks_case_id'))
    op.drop_table('open_tasks')
