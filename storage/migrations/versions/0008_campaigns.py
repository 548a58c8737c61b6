"""Campaigns: named periods (the learning week), broadcasts' targeting by channel, course
and weak indicators, their cost estimate, courses' authors, replies as typed, an
officer's own phone for test messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 03:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_campaigns_unit_id', 'campaigns', ['unit_id'])
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('weak_only', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column('estimate', sa.JSON(), nullable=True))
        batch.create_foreign_key('fk_broadcasts_campaign', 'campaigns', ['campaign_id'], ['id'])
        batch.create_foreign_key('fk_broadcasts_course', 'courses', ['course_id'], ['id'])
        batch.create_index('ix_broadcasts_campaign_id', ['campaign_id'])
        batch.create_index('ix_broadcasts_course_id', ['course_id'])
    with op.batch_alter_table('courses') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('updated_at', TIME, nullable=True))
    with op.batch_alter_table('course_signups') as batch:
        batch.add_column(sa.Column('raw_text', sa.Text(), nullable=True))
    with op.batch_alter_table('officers') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('officers') as batch:
        batch.drop_column('phone')
    with op.batch_alter_table('course_signups') as batch:
        batch.drop_column('raw_text')
    with op.batch_alter_table('courses') as batch:
        batch.drop_column('updated_at')
        batch.drop_column('created_by')
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_index('ix_broadcasts_course_id')
        batch.drop_index('ix_broadcasts_campaign_id')
        batch.drop_constraint('fk_broadcasts_course', type_='foreignkey')
        batch.drop_constraint('fk_broadcasts_campaign', type_='foreignkey')
        for column in ('estimate', 'weak_only', 'course_id', 'campaign_id', 'channel'):
            batch.drop_column(column)
    op.drop_index('ix_campaigns_unit_id', 'campaigns')
    op.drop_table('campaigns')
