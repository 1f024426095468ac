"""Points over /api/v1: an account, its transfers, and moving points by hand.

Who may see and move what is `points_app.ledger.giving`'s rule: an account one may
neither see nor pay from is not found (404); one that is seen but may not be used so
is `forbidden` (403). Households show only their public number and a masked name.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from points_app.api.idempotency import idempotent
from points_app.api.openapi import api_doc, component
from points_app.api.validation import read_json, read_query
from points_app.api.views import bp
from points_app.core.web import MAX_DB_ID
from points_app.extensions import db
from points_app.ledger import giving, pending, services
from points_app.ledger.models import Account, AccountKind, Transfer, TransferKind
from points_app.ledger.views import account_label

MAX_PER_PAGE = 100

ACCOUNT_REF = component(
    "AccountRef",
    {
        "type": "object",
        "required": ["id", "kind", "name"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [k.value for k in AccountKind]},
            "name": {
                "type": "string",
                "description": "Who holds it; a household as its public number and masked name.",
            },
        },
    },
)
ACCOUNT = component(
    "Account",
    {
        "type": "object",
        "required": ["id", "kind", "community", "owner", "balance", "available", "pending"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [k.value for k in AccountKind]},
            "community": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "owner": {
                "type": "object",
                "required": ["kind", "id", "name"],
                "description": "The volunteer, organisation or household; for a system "
                "account (issuance, store, expiry) `id` is null. A household's `name` is "
                "masked and it has a `public_no`; no ID number or phone is ever shown.",
                "properties": {
                    "kind": {"type": "string", "enum": [k.value for k in AccountKind]},
                    "id": {"type": ["integer", "null"]},
                    "name": {"type": "string"},
                    "public_no": {"type": "string"},
                },
            },
            "balance": {
                "type": "integer",
                "description": "Whole points; only the issuance account goes below zero. "
                "All the account's points, those still on public notice (公示) included: "
                "`balance = available + pending`.",
            },
            "available": {
                "type": "integer",
                "description": "The points that can be spent now: the balance less those "
                "still on public notice. Spending is checked against this part.",
            },
            "pending": {
                "type": "integer",
                "description": "Points earned but still on public notice; they become "
                "available by time alone, on the dates in `pending_until`.",
            },
            "pending_until": {
                "type": "array",
                "description": "When the pending points become spendable, soonest first.",
                "items": {
                    "type": "object",
                    "required": ["points", "until"],
                    "properties": {
                        "points": {"type": "integer"},
                        "until": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    },
)
TRANSFER = component(
    "Transfer",
    {
        "type": "object",
        "required": [
            "id", "kind", "amount", "from_account", "to_account", "memo", "created_at",
            "actor_id", "reference", "reverses_id",
        ],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": [k.value for k in TransferKind]},
            "amount": {"type": "integer", "minimum": 1},
            "from_account": ACCOUNT_REF,
            "to_account": ACCOUNT_REF,
            "memo": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "actor_id": {"type": ["integer", "null"], "description": "The user who moved it."},
            "reference": {
                "type": ["object", "null"],
                "description": "What it came from, e.g. an attendance or a redemption.",
                "properties": {"type": {"type": "string"}, "id": {"type": "integer"}},
            },
            "reverses_id": {"type": ["integer", "null"]},
            "reversed_by_id": {"type": ["integer", "null"]},
            "change": {
                "type": "integer",
                "description": "In an account's history: the amount as it changed that "
                "account (negative when it paid).",
            },
            "balance_after": {
                "type": "integer",
                "description": "In the answer to a POST: the paying account's balance after it.",
            },
        },
    },
)  # fmt: skip
TRANSFER_PAGE = component(
    "TransferPage",
    {
        "type": "object",
        "required": ["account_id", "items", "page", "per_page", "has_next"],
        "properties": {
            "account_id": {"type": "integer"},
            "items": {"type": "array", "items": TRANSFER},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "has_next": {"type": "boolean"},
        },
    },
)
PAGE_QUERY = {
    "type": "object",
    "properties": {
        "page": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 30},
    },
}
TRANSFER_REQUEST = {
    "type": "object",
    "required": ["from_account", "to_account", "amount", "memo"],
    "additionalProperties": False,
    "properties": {
        "from_account": {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID},
        "to_account": {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID},
        "amount": {"type": "integer", "minimum": 1, "maximum": giving.MAX_MOVE},
        "memo": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "What the points are for (kept on the transfer).",
        },
    },
}


def _owner(account: Account) -> dict[str, Any]:
    owner: dict[str, Any] = {"kind": account.kind.value, "id": None, "name": account_label(account)}
    if account.household is not None:
        owner.update(
            id=account.household.id,
            name=account.household.masked_name,
            public_no=account.household.public_no,
        )
    elif account.owner is not None:
        owner["id"] = account.owner.id
    return owner


def account_ref(account: Account) -> dict[str, Any]:
    """An account named in a transfer: id, kind and who holds it (households masked)."""
    return {"id": account.id, "kind": account.kind.value, "name": account_label(account)}


def account_json(account: Account) -> dict[str, Any]:
    """An account as the API shows it, with its balance, available and pending points
    read fresh."""
    held = pending.holdings_of(account)
    return {
        "id": account.id,
        "kind": account.kind.value,
        "community": {"id": account.community.id, "name": account.community.name},
        "owner": _owner(account),
        "balance": held.balance,
        "available": held.available,
        "pending": held.pending,
        "pending_until": [
            {"points": points, "until": until.isoformat()} for until, points in held.waiting
        ],
    }


def transfer_json(transfer: Transfer, seen_from: Account | None = None) -> dict[str, Any]:
    """A transfer as the API shows it; `seen_from` adds the change to that account."""
    out: dict[str, Any] = {
        "id": transfer.id,
        "kind": transfer.kind.value,
        "amount": transfer.amount,
        "from_account": account_ref(transfer.debit_account),
        "to_account": account_ref(transfer.credit_account),
        "memo": transfer.memo,
        "created_at": transfer.created_at.isoformat(),
        "actor_id": transfer.actor_id,
        "reference": (
            {"type": transfer.reference_type, "id": transfer.reference_id}
            if transfer.reference is not None
            else None
        ),
        "reverses_id": transfer.reverses_id,
        "reversed_by_id": transfer.reversed_by.id if transfer.reversed_by else None,
    }
    if seen_from is not None:
        out["change"] = transfer.signed_amount(seen_from)
    return out


def _get(account_id: int) -> Account | None:
    return db.session.get(Account, account_id) if 0 < account_id <= MAX_DB_ID else None


def _visible_account(account_id: int) -> Account:
    account = _get(account_id)
    if account is None or not giving.may_view(current_user, account):
        abort(404)
    return account


@bp.get("/accounts/<int:account_id>")
@api_doc(
    "A points account: who holds it and its balance",
    description="Committee members and organisers see the accounts of their areas; a "
    "volunteer sees their own.",
    tags=["points"],
    responses={200: ("The account", ACCOUNT), 404: "`not_found`"},
)
def get_account(account_id: int) -> Any:
    return account_json(_visible_account(account_id))


@bp.get("/accounts/<int:account_id>/transfers")
@api_doc(
    "An account's transfers, newest first",
    description="Paginated: `?page=` (from 1) and `?per_page=` (at most 100); "
    "`has_next` says whether another page follows.",
    tags=["points"],
    query=PAGE_QUERY,
    responses={200: ("One page of transfers", TRANSFER_PAGE), 404: "`not_found`"},
)
def account_transfers(account_id: int) -> Any:
    account = _visible_account(account_id)
    query = read_query(PAGE_QUERY)
    page, per_page = query["page"], query["per_page"]
    transfers, has_next = services.history(account, page=page, per_page=per_page)
    return {
        "account_id": account.id,
        "items": [transfer_json(t, seen_from=account) for t in transfers],
        "page": page,
        "per_page": per_page,
        "has_next": has_next,
    }


def _payer(account_id: int) -> Account:
    account = _get(account_id)
    if account is None or not (
        giving.may_view(current_user, account) or giving.may_pay_from(current_user, account)
    ):
        abort(404)
    return account


def _receiver(account_id: int, payer: Account) -> Account:
    """The receiving account, if the caller may see it or could pay it from `payer`."""
    account = _get(account_id)
    if account is None:
        abort(404)
    reachable = (
        giving.may_view(current_user, account)
        or (giving.may_pay_from(current_user, payer) and account.area_id == payer.area_id)
        or giving.is_paired(payer, account)
    )
    if not reachable:
        abort(404)
    return account


@bp.post("/transfers")
@api_doc(
    "Move points from one account to another",
    description="Who may move what: from a community's issuance account, a user who may "
    "issue points there, to a volunteer, organisation or household account of that "
    "community (a transfer of kind `issue`); from a volunteer's own account, the "
    "volunteer, to a household they are paired with today; from an organisation's "
    "account, a user who manages people there, to a household it is paired with today "
    "(kind `give`). The Idempotency-Key is required: a retry gives the first transfer "
    "back and moves nothing more.",
    tags=["points"],
    body=TRANSFER_REQUEST,
    responses={
        201: ("The transfer made", TRANSFER),
        403: "`forbidden`: the caller may not move points out of this account, or not to that one.",
        404: "`not_found`: no such account among those the caller may see.",
        409: "`insufficient_points` (`details.missing`, `details.balance`; when points on "
        "public notice are why, also `details.available`, `details.pending` and "
        "`details.spendable_on`, the local date enough become spendable).",
    },
)
@idempotent
def create_transfer() -> Any:
    data = read_json(TRANSFER_REQUEST)
    payer = _payer(data["from_account"])
    receiver = _receiver(data["to_account"], payer)
    transfer = giving.move_points(
        debit=payer,
        credit=receiver,
        amount=data["amount"],
        actor=current_user,
        memo=data["memo"],
    )
    return {**transfer_json(transfer), "balance_after": payer.balance}, 201
