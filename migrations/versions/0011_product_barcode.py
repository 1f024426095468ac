"""store: a barcode on a product, unique per store, for a USB scanner at the counter

Revision ID: 0011_product_barcode
Revises: 0010_time_to_task
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_product_barcode"
down_revision = "0010_time_to_task"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("barcode", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_products_store_id_barcode"), ["store_id", "barcode"]
        )


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_products_store_id_barcode"), type_="unique")
        batch_op.drop_column("barcode")
