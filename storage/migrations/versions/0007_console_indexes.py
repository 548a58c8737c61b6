"""Indexes for the console's lists: citizens by folded name, audit entries by target

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 01:00:00

The citizen list is ordered by name then id within a scope, and searched by name; at
province scale (565,625 citizens, PostgreSQL) the slowest filters went from 0.4–0.9 s to
0.1–0.5 s with this index (measured while building the list; docs/performance.md). A
citizen's page reads their decisions' history from the audit log by target.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_citizens_name', 'citizens', ['name_folded', 'id'])
    op.create_index('ix_audit_log_target', 'audit_log', ['target'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_target', 'audit_log')
    op.drop_index('ix_citizens_name', 'citizens')
