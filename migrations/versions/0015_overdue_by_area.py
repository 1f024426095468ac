"""overdue issues by area: the (state, due_on) index puts the area before the deadline

The reports count the issues being handled past their deadline for a report's areas. With
the deadline before the area, SQLite read every issue of each area through the area's own
index (a county: 50,000 issues, 93 ms at bench scale); with the area before the deadline,
one search per area finds only its overdue ones, for one community or the whole county.

Revision ID: 0015_overdue_by_area
Revises: 0014_reports_rollup
Create Date: 2026-12-01 14:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_overdue_by_area'
down_revision = '0014_reports_rollup'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_state_due')
        batch_op.create_index('ix_issues_state_due', ['state', 'area_id', 'due_on', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_state_due')
        batch_op.create_index('ix_issues_state_due', ['state', 'due_on', 'area_id', 'created_at'], unique=False)
