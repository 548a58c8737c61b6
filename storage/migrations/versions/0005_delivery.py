"""Delivery: outbox rows planned per citizen and routed when sent, attempts, rate
buckets, broadcasts, courses, the scheduler's job runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:00:00

Existing outbox rows keep their channel and provider (they were routed when queued);
`lease_until` stays empty, so a row an old process left in "sending" is taken as
expired and checked again by the sweeper (bot/delivery/recovery.py).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

QUEUED = sa.text("status = 'queued'")
SENDING = sa.text("status = 'sending'")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sms_text', sa.Text(), nullable=False),
        sa.Column('target_group', sa.String(length=64), nullable=True),
        sa.Column('assessment', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('send_at', TIME, nullable=False),
        sa.Column('planned', sa.Integer(), nullable=True),
        sa.Column('request_key', sa.String(length=64), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', TIME, nullable=False),
        sa.Column('planned_at', TIME, nullable=True),
        sa.Column('cancelled_at', TIME, nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_key'))
    op.create_table(
        'courses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('starts_at', TIME, nullable=False),
        sa.Column('ends_at', TIME, nullable=False),
        sa.Column('indicators', sa.JSON(), nullable=False),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_courses_unit_id', 'courses', ['unit_id'])
    op.create_index('ix_courses_starts_at', 'courses', ['starts_at'])
    op.create_table(
        'course_signups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('citizen_id', sa.Integer(), nullable=False),
        sa.Column('coming', sa.Boolean(), nullable=False),
        sa.Column('answered_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'citizen_id'))
    op.create_index('ix_course_signups_citizen_id', 'course_signups', ['citizen_id'])
    op.create_table(
        'rate_buckets',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('tokens', sa.Float(), nullable=False),
        sa.Column('updated_at', TIME, nullable=False),
        sa.PrimaryKeyConstraint('name'))
    op.create_table(
        'job_runs',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('started_at', TIME, nullable=False),
        sa.Column('finished_at', TIME, nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('name'))
    op.create_table(
        'delivery_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('at', TIME, nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_delivery_attempts_outbox_id', 'delivery_attempts', ['outbox_id'])
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('citizen_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sms_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('template_data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', TIME, nullable=True))
        batch_op.add_column(sa.Column('route', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('tried', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.create_foreign_key('fk_outbox_citizen_id', 'citizens', ['citizen_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_outbox_broadcast_id', 'broadcasts', ['broadcast_id'], ['id'])
        batch_op.create_index('ix_outbox_citizen_id', ['citizen_id'])
        batch_op.create_index('ix_outbox_broadcast_id', ['broadcast_id'])
        batch_op.drop_index('ix_outbox_due')
    # outside the batch: SQLite's table copy cannot carry an index on an expression
    op.create_index('ix_outbox_queue', 'outbox', [sa.column('priority').desc(), 'next_attempt_at', 'id'],
                    postgresql_where=QUEUED, sqlite_where=QUEUED)
    op.create_index('ix_outbox_leased', 'outbox', ['lease_until'],
                    postgresql_where=SENDING, sqlite_where=SENDING)


def downgrade() -> None:
    # The old dispatcher cannot route a row planned per citizen: refuse rather than lose it.
    waiting = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM outbox WHERE channel = 'auto' AND status IN ('queued', 'sending')"
    )).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} planned message(s) are not yet sent; cancel their "
                           "broadcasts or let them go out before downgrading")
    op.drop_index('ix_outbox_leased', table_name='outbox', sqlite_where=SENDING)
    op.drop_index('ix_outbox_queue', table_name='outbox', sqlite_where=QUEUED)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'])
        batch_op.drop_index('ix_outbox_broadcast_id')
        batch_op.drop_index('ix_outbox_citizen_id')
        batch_op.drop_constraint('fk_outbox_broadcast_id', type_='foreignkey')
        batch_op.drop_constraint('fk_outbox_citizen_id', type_='foreignkey')
        for column in ('tried', 'route', 'lease_until', 'template_data', 'sms_text',
                       'broadcast_id', 'citizen_id'):
            batch_op.drop_column(column)
    op.drop_index('ix_delivery_attempts_outbox_id', table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_table('job_runs')
    op.drop_table('rate_buckets')
    op.drop_index('ix_course_signups_citizen_id', table_name='course_signups')
    op.drop_table('course_signups')
    op.drop_index('ix_courses_starts_at', table_name='courses')
    op.drop_index('ix_courses_unit_id', table_name='courses')
    op.drop_table('courses')
    op.drop_table('broadcasts')
