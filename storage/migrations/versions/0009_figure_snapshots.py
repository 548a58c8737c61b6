"""Snapshots of the console's figures for big subtrees (a province's dashboard), and
assessments by decision time (a decision voids the snapshots of its subtree)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:00:00

The dashboard's aggregate query takes ~1.2 s for a province of 557,000 registered
citizens on the 2-core machine (docs/performance.md); its few thousand grouped rows are
kept here and computed again every 5 minutes by the scheduler (bot/console/snapshots.py).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'figure_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('window_starts', TIME, nullable=True),
        sa.Column('window_ends', TIME, nullable=True),
        sa.Column('competences', sa.JSON(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('citizens', sa.Integer(), nullable=False),
        sa.Column('audit_mark', sa.Integer(), nullable=False),
        sa.Column('computed_at', TIME, nullable=False),
        sa.Column('took_ms', sa.Integer(), nullable=False),
        sa.Column('read_at', TIME, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'))
    op.create_index('ix_assessments_decided_at', 'assessments', ['decided_at'])


def downgrade() -> None:
    op.drop_index('ix_assessments_decided_at', 'assessments')
    op.drop_table('figure_snapshots')
