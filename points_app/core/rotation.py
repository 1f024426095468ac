"""Re-encrypt every encrypted value with the current data key (`flask rotate-key`)."""

from __future__ import annotations

from sqlalchemy import text

from points_app.core.crypto import keyring
from points_app.core.encrypted import ENCRYPTED_COLUMNS
from points_app.extensions import db


def rotate_data_key() -> int:
    """Decrypt each stored value with whichever known key wrote it, encrypt and hash it
    again with the current key; return how many values changed. Flushes, never commits."""
    ring = keyring()
    changed = 0
    for column in ENCRYPTED_COLUMNS:
        table, name = column.split(".")
        rows = db.session.execute(
            text(f"SELECT id, {name}_encrypted FROM {table} WHERE {name}_encrypted IS NOT NULL")
        ).all()
        for row_id, stored in rows:
            if ring.is_current(stored):
                continue
            plain = ring.decrypt(stored, column)
            db.session.execute(
                text(
                    f"UPDATE {table} SET {name}_encrypted = :stored, {name}_hash = :hashed "
                    "WHERE id = :row_id"
                ),
                {
                    "stored": ring.encrypt(plain, column),
                    "hashed": ring.lookup_hash(plain, column),
                    "row_id": row_id,
                },
            )
            changed += 1
    db.session.flush()
    return changed
