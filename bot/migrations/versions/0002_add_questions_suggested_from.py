"""Add questions.suggested_from

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 15:52:40.452342

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_from', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_suggested_from'), ['suggested_from'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_suggested_from'))
        batch_op.drop_column('suggested_from')

