"""inbound_events becomes the inbound queue: what processing needs, and its state

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:00:00

Rows already stored were processed when they were stored (the webhook ran the whole
conversation before answering), so `status` defaults to "processed": the existing rows
take it, and so does every row a not-yet-restarted process of the old version writes
during a rolling upgrade. The new code always says "pending" itself.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("status = 'pending'")
FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('profile', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='processed',
                                      nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_inbound_pending', ['id'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_inbound_pending_contact', ['channel', 'address', 'id'],
                              unique=False, postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_inbound_failed', ['id'], unique=False,
                              postgresql_where=FAILED, sqlite_where=FAILED)


def downgrade() -> None:
    # The old version cannot process a queued message: refuse rather than lose one.
    waiting = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM inbound_events WHERE status IN ('pending', 'failed')")).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} inbound event(s) are pending or parked as failed; process "
                           "or retry them (`flask --app wsgi inbound failed`) before downgrading")
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_failed', sqlite_where=FAILED)
        batch_op.drop_index('ix_inbound_pending_contact', sqlite_where=PENDING)
        batch_op.drop_index('ix_inbound_pending', sqlite_where=PENDING)
        for column in ('processed_at', 'error', 'next_attempt_at', 'attempts', 'status', 'sent_at',
                       'profile', 'attachments', 'kind', 'text', 'address', 'channel'):
            batch_op.drop_column(column)
