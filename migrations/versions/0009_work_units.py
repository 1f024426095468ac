"""work units: a Party member's work unit becomes an organisation of kind `unit`;
quarterly feedback sent to units

The free-text `volunteers.work_unit` becomes `volunteers.work_unit_id`, a reference to an
organisation of kind `unit` in the volunteer's home community. The same text (trimmed,
inner spaces made one) in one community becomes one unit; if the community already has
an organisation of that name, it is used. Downgrade writes the names back as text and
removes the units nothing else refers to.

Revision ID: 0009_work_units
Revises: 0008_recognition
Create Date: 2026-12-01 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0009_work_units"
down_revision = "0008_recognition"
branch_labels = None
depends_on = None


def _clean(text):
    return " ".join((text or "").split())


def upgrade():
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_volunteers_work_unit_id'), ['work_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_volunteers_work_unit_id_organisations'), 'organisations', ['work_unit_id'], ['id'])

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, home_community_id, work_unit FROM volunteers WHERE work_unit IS NOT NULL"
    )).all()
    units = {}
    for volunteer_id, community_id, text in rows:
        name = _clean(text)[:100]
        if not name:
            continue
        key = (community_id, name)
        if key not in units:
            found = conn.execute(
                sa.text("SELECT id FROM organisations WHERE area_id = :a AND name = :n"),
                {"a": community_id, "n": name},
            ).scalar()
            if found is None:
                conn.execute(
                    sa.text(
                        "INSERT INTO organisations (name, kind, area_id, created_at) "
                        "VALUES (:n, 'unit', :a, CURRENT_TIMESTAMP)"
                    ),
                    {"n": name, "a": community_id},
                )
                found = conn.execute(
                    sa.text("SELECT id FROM organisations WHERE area_id = :a AND name = :n"),
                    {"a": community_id, "n": name},
                ).scalar_one()
            units[key] = found
        conn.execute(
            sa.text("UPDATE volunteers SET work_unit_id = :u WHERE id = :v"),
            {"u": units[key], "v": volunteer_id},
        )

    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_column('work_unit')

    # The committee's record of each quarter's feedback sent to a unit.
    op.create_table('unit_feedback_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quarter BETWEEN 1 AND 4', name=op.f('ck_unit_feedback_sent_quarter_range')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_unit_feedback_sent_year_sane')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_unit_feedback_sent_sent_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['organisations.id'], name=op.f('fk_unit_feedback_sent_unit_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_feedback_sent')),
    sa.UniqueConstraint('unit_id', 'year', 'quarter', name=op.f('uq_unit_feedback_sent_unit_id_year_quarter'))
    )


def downgrade():
    op.drop_table('unit_feedback_sent')
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_unit', sa.String(length=100), nullable=True))

    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE volunteers SET work_unit = "
        "(SELECT name FROM organisations WHERE organisations.id = volunteers.work_unit_id) "
        "WHERE work_unit_id IS NOT NULL"
    ))
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_volunteers_work_unit_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_volunteers_work_unit_id'))
        batch_op.drop_column('work_unit_id')
    # The units nothing else refers to go; the old schema had no such kind.
    conn.execute(sa.text(
        "DELETE FROM organisations WHERE kind = 'unit' "
        "AND id NOT IN (SELECT organisation_id FROM accounts WHERE organisation_id IS NOT NULL) "
        "AND id NOT IN (SELECT organisation_id FROM memberships) "
        "AND id NOT IN (SELECT organisation_id FROM pairings WHERE organisation_id IS NOT NULL) "
        "AND id NOT IN (SELECT organisation_id FROM projects WHERE organisation_id IS NOT NULL) "
        "AND id NOT IN (SELECT donor_organisation_id FROM stock_moves "
        "WHERE donor_organisation_id IS NOT NULL)"
    ))
    conn.execute(sa.text(
        "UPDATE organisations SET kind = 'resident_unit' WHERE kind = 'unit'"
    ))
