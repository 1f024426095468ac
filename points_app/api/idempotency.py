"""`@idempotent`: a retried POST returns its first response and changes nothing more.

The client sends `Idempotency-Key: <1-255 characters>`. Keys belong to the user who
sent them. The first request with a key inserts its record (user, key, fingerprint of
method + path + query + canonical JSON body) before the handler runs, and the
response is stored in that record in the same transaction as the handler's effect,
so both are committed together or neither is. A second request with the same key:

- same fingerprint: gets the stored status and body again (header
  `Idempotent-Replayed: true`); the handler does not run;
- different fingerprint: 422 `idempotency_mismatch`.

Two requests with one key at the same moment produce one effect: on SQLite the
write transaction (BEGIN IMMEDIATE) serialises them; on PostgreSQL the second
insert waits on the unique index until the first commits, fails, and the second
then answers from the stored record.

A handler under `@idempotent` does NOT commit: it returns its response (a dict and a
status, or a Response) and the decorator commits the effect and the record at once
(a commit inside the handler raises RuntimeError). A DomainError from the handler,
or any response with a status of 400 or more, rolls everything back and stores
nothing, so a retry with the same key runs again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar, overload

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import TextClause, Update, bindparam, event, select, text, update
from sqlalchemy.orm import Session

from points_app.api.auth import Unauthorized
from points_app.api.models import IdempotencyRecord
from points_app.api.validation import invalid
from points_app.core.db import UTCDateTime, prepared, utcnow
from points_app.core.errors import DomainError
from points_app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_fingerprint() -> str:
    """sha256 of the method, path, sorted query and canonical JSON body of this request."""
    raw = request.get_data(cache=True)
    try:
        body = (
            json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            if raw.strip()
            else ""
        )
    except (ValueError, RecursionError):
        body = "raw:" + hashlib.sha256(raw).hexdigest()
    query = json.dumps(sorted(request.args.items(multi=True)), ensure_ascii=False)
    digest = hashlib.sha256()
    for part in (request.method, request.path, query, body):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    ).first()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise DomainError(
            "idempotency_mismatch",
            _("This Idempotency-Key was already used for a different request."),
            status=422,
        )
    if record.response_status is None:
        # Cannot happen with the record written atomically; refuse rather than guess.
        raise DomainError(
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still being processed. Try again."),
            status=409,
        )
    response = (
        jsonify(record.response_body)
        if record.response_body is not None
        else current_app.response_class(status=record.response_status)
    )
    response.status_code = record.response_status
    response.headers["Idempotent-Replayed"] = "true"
    return response


@event.listens_for(Session, "before_commit")
def _refuse_commit(session: Any) -> None:
    # Listening once on every session costs less than adding and removing a listener on
    # each request's session (SQLAlchemy's event registry is slow to change).
    if not session.info.get(_RUNNING_HANDLER) or session.in_nested_transaction():
        return  # not inside a handler; or releasing a SAVEPOINT (begin_nested)
    raise RuntimeError(
        "An @idempotent handler must not commit: return the response and the decorator "
        "commits the effect together with its idempotency record."
    )


_RUNNING_HANDLER = "idempotent_handler_running"


def _run(view: Callable[..., Any], args: Any, kwargs: Any) -> Response:
    """Run the handler with commits refused; return its response (rolled back if >= 400)."""
    info = db.session().info
    info[_RUNNING_HANDLER] = True
    try:
        response = current_app.make_response(view(*args, **kwargs))
    finally:
        info.pop(_RUNNING_HANDLER, None)
    return response


@prepared
def _claim_statement() -> TextClause:
    # Written out: SQLAlchemy's dialect-specific ON CONFLICT constructs are compiled anew on
    # every execution, and this runs on every keyed request. Both SQLite and PostgreSQL
    # accept this form.
    return text(
        "INSERT INTO idempotency_records"
        ' (user_id, "key", method, path, fingerprint, created_at)'
        " VALUES (:user_id, :key, :method, :path, :fingerprint, :created_at)"
        ' ON CONFLICT (user_id, "key") DO NOTHING RETURNING id'
    ).bindparams(bindparam("created_at", type_=UTCDateTime()))


@prepared
def _store_response_statement() -> Update:
    return (
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == bindparam("record_id"))
        .values(response_status=bindparam("status"), response_body=bindparam("body"))
    )


def _claim(user_id: int, key: str, fingerprint: str) -> int | None:
    """Insert the record for a new key and return its id; None if the key is taken.

    One statement: the insert does nothing when the key exists. On PostgreSQL it first
    waits for an uncommitted insert of the same key, so it sees the winner's record.
    """
    return db.session.connection().scalar(
        _claim_statement(),
        {
            "user_id": user_id,
            "key": key,
            "method": request.method,
            "path": request.path[:500],
            "fingerprint": fingerprint,
            "created_at": utcnow(),
        },
    )


def _handle(view: Callable[..., Any], required: bool, args: Any, kwargs: Any) -> Response:
    key = request.headers.get(HEADER)
    if key is None and not required:
        response = _run(view, args, kwargs)
        if response.status_code >= 400:
            db.session.rollback()
        else:
            db.session.commit()
        return response
    if key is None or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid(
            HEADER,
            _("Send an Idempotency-Key header of 1 to %(n)d characters.", n=MAX_KEY_LENGTH),
        )
    if not current_user.is_authenticated:
        raise Unauthorized(_("Sign in first: send Authorization: Bearer <token>."))
    user_id = int(current_user.id)
    fingerprint = request_fingerprint()

    record_id = _claim(user_id, key, fingerprint)
    if record_id is None:
        existing = _find(user_id, key)
        if existing is None:
            raise DomainError(
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still being processed. Try again."),
                status=409,
            )
        return _replay(existing, fingerprint)

    response = _run(view, args, kwargs)
    if response.status_code >= 400:
        db.session.rollback()
        return response
    db.session.connection().execute(
        _store_response_statement(),
        {
            "record_id": record_id,
            "status": response.status_code,
            "body": response.get_json(silent=True),
        },
    )
    db.session.commit()
    return response


@overload
def idempotent(view: F) -> F: ...


@overload
def idempotent(*, required: bool = True) -> Callable[[F], F]: ...


def idempotent(view: Any = None, *, required: bool = True) -> Any:
    """Make a POST handler answer a repeated Idempotency-Key with its first response.

    `@idempotent` requires the header (422 `validation_error` without it);
    `@idempotent(required=False)` runs an un-keyed request normally.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            return _handle(fn, required, args, kwargs)

        wrapper.api_idempotent = "required" if required else "optional"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorate(view)
    return decorate
