"""units.admin_code: the official commune/ward code, for reading pre-2025 commune names

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_code', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_units_admin_code'), ['admin_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_admin_code'))
        batch_op.drop_column('admin_code')
