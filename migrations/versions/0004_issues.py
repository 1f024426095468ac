"""issues: talk sessions, issues, their timeline, evaluations and photos

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issue_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('talk_day', sa.Integer(), nullable=False),
    sa.Column('grid_days', sa.Integer(), nullable=False),
    sa.Column('community_days', sa.Integer(), nullable=False),
    sa.Column('street_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('community_days > 0', name=op.f('ck_issue_settings_community_days_positive')),
    sa.CheckConstraint('grid_days > 0', name=op.f('ck_issue_settings_grid_days_positive')),
    sa.CheckConstraint('street_days > 0', name=op.f('ck_issue_settings_street_days_positive')),
    sa.CheckConstraint('talk_day BETWEEN 1 AND 28', name=op.f('ck_issue_settings_talk_day_in_month')),
    sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_issue_settings_community_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_settings')),
    sa.UniqueConstraint('community_id', name=op.f('uq_issue_settings_community_id'))
    )

    op.create_table('talk_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('chair', sa.String(length=100), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(chair) > 0', name=op.f('ck_talk_sessions_chair_not_empty')),
    sa.CheckConstraint('length(place) > 0', name=op.f('ck_talk_sessions_place_not_empty')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_talk_sessions_area_id_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_talk_sessions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_sessions'))
    )
    with op.batch_alter_table('talk_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_talk_sessions_area_held', ['area_id', 'held_on'], unique=False)

    op.create_table('issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('neighbour_dispute', 'property_management', 'illegal_building', 'environment', 'public_services', 'legal', 'other', name='issue_category', native_enum=False, length=30), nullable=False),
    sa.Column('channel', sa.Enum('talk_session', 'grid_visit', 'online', 'hometown_talk', 'hotline', name='issue_channel', native_enum=False, length=20), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('raised', 'deliberating', 'handling', 'evaluating', 'closed', 'rejected', 'merged', name='issue_state', native_enum=False, length=20), nullable=False),
    sa.Column('level', sa.Enum('grid', 'community', 'street', name='handling_level', native_enum=False, length=20), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('resident_name', sa.String(length=50), nullable=True),
    sa.Column('resident_phone', sa.String(length=20), nullable=True),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_session_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('decided_session_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(state = 'merged') = (merged_into_id IS NOT NULL)", name=op.f('ck_issues_merged_has_target')),
    sa.CheckConstraint("state <> 'handling' OR due_on IS NOT NULL", name=op.f('ck_issues_handling_has_due')),
    sa.CheckConstraint("state <> 'handling' OR level IS NOT NULL", name=op.f('ck_issues_handling_has_level')),
    sa.CheckConstraint("state <> 'rejected' OR rejection_reason IS NOT NULL", name=op.f('ck_issues_rejected_has_reason')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_issues_title_not_empty')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_issues_not_merged_self')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_issues_area_id_areas')),
    sa.ForeignKeyConstraint(['decided_session_id'], ['talk_sessions.id'], name=op.f('fk_issues_decided_session_id_talk_sessions')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['issues.id'], name=op.f('fk_issues_merged_into_id_issues')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_issues_raised_by_id_users')),
    sa.ForeignKeyConstraint(['raised_session_id'], ['talk_sessions.id'], name=op.f('fk_issues_raised_session_id_talk_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issues'))
    )
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issues_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_decided_session_id'), ['decided_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_raised_by_id'), ['raised_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issues_raised_session_id'), ['raised_session_id'], unique=False)
        batch_op.create_index('ix_issues_state_due', ['state', 'due_on'], unique=False)

    op.create_table('talk_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('residents', 'party_members', 'residents_committee', 'property_company', 'owners_committee', 'resident_units', 'stakeholders', 'legal_adviser', name='attendee_kind', native_enum=False, length=30), nullable=False),
    sa.Column('names', sa.String(length=500), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 1', name=op.f('ck_talk_attendees_count_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['talk_sessions.id'], name=op.f('fk_talk_attendees_session_id_talk_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_attendees'))
    )
    with op.batch_alter_table('talk_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_attendees_session_id'), ['session_id'], unique=False)

    op.create_table('issue_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('is_solved', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('is_by_proxy', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name=op.f('ck_issue_evaluations_satisfaction_1_to_5')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_evaluations_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_issue_evaluations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_evaluations'))
    )
    with op.batch_alter_table('issue_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issue_evaluations_issue_id'), ['issue_id'], unique=False)

    op.create_table('issue_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_issue_photos_size_positive')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_photos_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_issue_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_photos')),
    sa.UniqueConstraint('filename', name=op.f('uq_issue_photos_filename'))
    )
    with op.batch_alter_table('issue_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issue_photos_issue_id'), ['issue_id'], unique=False)

    op.create_table('issue_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.Enum('raised', 'deliberating', 'handling', 'evaluating', 'closed', 'rejected', 'merged', name='issue_state', native_enum=False, length=20), nullable=True),
    sa.Column('to_state', sa.Enum('raised', 'deliberating', 'handling', 'evaluating', 'closed', 'rejected', 'merged', name='issue_state', native_enum=False, length=20), nullable=False),
    sa.Column('level', sa.Enum('grid', 'community', 'street', name='handling_level', native_enum=False, length=20), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_issue_events_actor_id_users')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['issue_evaluations.id'], name=op.f('fk_issue_events_evaluation_id_issue_evaluations')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_issue_events_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['talk_sessions.id'], name=op.f('fk_issue_events_session_id_talk_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issue_events'))
    )
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issue_events_issue_id'), ['issue_id'], unique=False)


def downgrade():
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issue_events_issue_id'))
    op.drop_table('issue_events')

    with op.batch_alter_table('issue_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issue_photos_issue_id'))
    op.drop_table('issue_photos')

    with op.batch_alter_table('issue_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issue_evaluations_issue_id'))
    op.drop_table('issue_evaluations')

    with op.batch_alter_table('talk_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_attendees_session_id'))
    op.drop_table('talk_attendees')

    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_state_due')
        batch_op.drop_index(batch_op.f('ix_issues_raised_session_id'))
        batch_op.drop_index(batch_op.f('ix_issues_raised_by_id'))
        batch_op.drop_index(batch_op.f('ix_issues_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_issues_decided_session_id'))
        batch_op.drop_index(batch_op.f('ix_issues_created_at'))
        batch_op.drop_index(batch_op.f('ix_issues_closed_at'))
        batch_op.drop_index(batch_op.f('ix_issues_area_id'))
    op.drop_table('issues')

    with op.batch_alter_table('talk_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_talk_sessions_area_held')
    op.drop_table('talk_sessions')

    op.drop_table('issue_settings')
