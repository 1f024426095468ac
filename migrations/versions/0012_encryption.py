"""encryption: ID numbers and phones encrypted at rest, with a keyed hash for lookup

Households' ID numbers and phones, volunteers' phones and issues' resident phones move
into `<name>_encrypted` (AES-GCM, points_app/core/crypto.py) and `<name>_hash`
(HMAC-SHA256) columns; existing rows are encrypted with the app's current data key
(POINTS_DATA_KEY), and the downgrade decrypts them back.

Revision ID: 0012_encryption
Revises: 0011_product_barcode
"""

from alembic import op
import sqlalchemy as sa
from flask import current_app

from points_app.core.crypto import EXTENSION

revision = "0012_encryption"
down_revision = "0011_product_barcode"
branch_labels = None
depends_on = None

# (table, plain column, length of the plain column, NOT NULL)
FIELDS = [
    ("households", "id_number", 18, False),
    ("households", "phone", 20, False),
    ("volunteers", "phone", 20, True),
    ("issues", "resident_phone", 20, False),
]


def _keyring():
    return current_app.extensions[EXTENSION]


def _copy(table, source, transform):
    """Set each row's new columns from `source`, through transform(value) -> {column: v}."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {source} FROM {table} WHERE {source} IS NOT NULL"))
    for row_id, value in rows.all():
        values = transform(value)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        bind.execute(
            sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id"),
            {**values, "row_id": row_id},
        )


def upgrade():
    ring = _keyring()
    for table, name, _length, _required in FIELDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column(f"{name}_encrypted", sa.String(length=255), nullable=True)
            )
            batch_op.add_column(sa.Column(f"{name}_hash", sa.String(length=64), nullable=True))
        purpose = f"{table}.{name}"
        _copy(
            table,
            name,
            lambda value, purpose=purpose, name=name: {
                f"{name}_encrypted": ring.encrypt(value, purpose),
                f"{name}_hash": ring.lookup_hash(value, purpose),
            },
        )

    with op.batch_alter_table("households") as batch_op:
        batch_op.drop_constraint(op.f("uq_households_id_number"), type_="unique")
        batch_op.drop_constraint(op.f("ck_households_id_number_length"), type_="check")
        batch_op.drop_column("id_number")
        batch_op.drop_column("phone")
        batch_op.create_unique_constraint(op.f("uq_households_id_number_hash"), ["id_number_hash"])
        batch_op.create_index(op.f("ix_households_phone_hash"), ["phone_hash"], unique=False)
    with op.batch_alter_table("volunteers") as batch_op:
        batch_op.drop_constraint(op.f("uq_volunteers_phone"), type_="unique")
        batch_op.drop_column("phone")
        batch_op.alter_column("phone_encrypted", existing_type=sa.String(255), nullable=False)
        batch_op.alter_column("phone_hash", existing_type=sa.String(64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_volunteers_phone_hash"), ["phone_hash"])
    with op.batch_alter_table("issues") as batch_op:
        batch_op.drop_column("resident_phone")


def downgrade():
    ring = _keyring()
    for table, name, length, _required in FIELDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        purpose = f"{table}.{name}"
        _copy(
            table,
            f"{name}_encrypted",
            lambda value, purpose=purpose, name=name: {name: ring.decrypt(value, purpose)},
        )

    with op.batch_alter_table("issues") as batch_op:
        batch_op.drop_column("resident_phone_hash")
        batch_op.drop_column("resident_phone_encrypted")
    with op.batch_alter_table("volunteers") as batch_op:
        batch_op.drop_constraint(op.f("uq_volunteers_phone_hash"), type_="unique")
        batch_op.drop_column("phone_hash")
        batch_op.drop_column("phone_encrypted")
        batch_op.alter_column("phone", existing_type=sa.String(20), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_volunteers_phone"), ["phone"])
    with op.batch_alter_table("households") as batch_op:
        batch_op.drop_index(op.f("ix_households_phone_hash"))
        batch_op.drop_constraint(op.f("uq_households_id_number_hash"), type_="unique")
        batch_op.drop_column("phone_hash")
        batch_op.drop_column("phone_encrypted")
        batch_op.drop_column("id_number_hash")
        batch_op.drop_column("id_number_encrypted")
        batch_op.create_unique_constraint(op.f("uq_households_id_number"), ["id_number"])
        batch_op.create_check_constraint(
            op.f("ck_households_id_number_length"), "id_number IS NULL OR length(id_number) = 18"
        )
