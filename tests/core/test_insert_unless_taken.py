"""One-statement inserts for the hot paths: a row written, or skipped when its key is taken."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from points_app.api.models import IdempotencyRecord
from points_app.core.db import insert_row, insert_unless_taken
from points_app.extensions import db


def _record(user_id: int, key: str) -> IdempotencyRecord:
    return IdempotencyRecord(user_id=user_id, key=key, method="POST", path="/x", fingerprint="f")


def test_a_new_row_is_written_once_and_its_object_is_persistent_with_defaults(app, make_user):
    user = make_user()
    record = _record(user.id, "k1")
    assert insert_unless_taken(record, unique=("user_id", "key")) is True
    state = inspect(record)
    assert state.persistent and record.id is not None
    assert record.created_at is not None and record.response_status is None  # default, NULL
    assert db.session.get(IdempotencyRecord, record.id) is record
    db.session.commit()
    assert db.session.scalar(select(func.count(IdempotencyRecord.id))) == 1


def test_a_taken_key_writes_nothing_and_leaves_the_object_out_of_the_session(app, make_user):
    user = make_user()
    insert_row(_record(user.id, "k1"))
    second = _record(user.id, "k1")
    assert insert_unless_taken(second, unique=("user_id", "key")) is False
    assert second not in db.session and second.id is None
    db.session.commit()
    assert db.session.scalar(select(func.count(IdempotencyRecord.id))) == 1
