"""The officer console: accounts with lock-out, the audit log, recognition decisions,
points per competence, accent-free names for search, merged units

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 23:30:00

Officers of role "province_admin" (the demo's, before this) become "admin". Names are
folded and competence points are left empty here: `flask --app wsgi db upgrade` fills
them afterwards from the criteria files (bot/console/backfill.py), which the schema
layer cannot read.
"""
import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TIME = sa.DateTime(timezone=True)


def _fold(name):
    bare = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).lower().split())


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', TIME, nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=48), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    with op.batch_alter_table('officers') as batch:
        batch.alter_column('unit_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('locked_until', TIME, nullable=True))
        batch.add_column(sa.Column('last_login_at', TIME, nullable=True))
    op.execute("UPDATE officers SET role = 'admin' WHERE role = 'province_admin'")
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('competence_points', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('decided_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('decided_at', TIME, nullable=True))
    with op.batch_alter_table('citizens') as batch:
        batch.add_column(sa.Column('name_folded', sa.String(length=100), nullable=True))
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_units_merged_into', 'units', ['merged_into_id'], ['id'])
    # the dashboard and the citizen list read citizens by unit and assessments by period
    op.create_index('ix_assessments_period', 'assessments', ['period', 'citizen_id'])
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, name FROM citizens WHERE name IS NOT NULL")).all()
    for citizen_id, name in rows:
        bind.execute(sa.text("UPDATE citizens SET name_folded = :f WHERE id = :id"),
                     {"f": _fold(name), "id": citizen_id})


def downgrade() -> None:
    op.drop_index('ix_assessments_period', 'assessments')
    with op.batch_alter_table('units') as batch:
        batch.drop_constraint('fk_units_merged_into', type_='foreignkey')
        batch.drop_column('merged_into_id')
    with op.batch_alter_table('citizens') as batch:
        batch.drop_column('name_folded')
    with op.batch_alter_table('assessments') as batch:
        for column in ('decided_at', 'decided_by', 'decision_reason', 'decision',
                       'competence_points'):
            batch.drop_column(column)
    op.execute("UPDATE officers SET role = 'province_admin' WHERE role = 'admin'")
    with op.batch_alter_table('officers') as batch:
        for column in ('last_login_at', 'locked_until', 'failed_logins', 'active'):
            batch.drop_column(column)
    op.drop_index('ix_audit_log_at', 'audit_log')
    op.drop_table('audit_log')
