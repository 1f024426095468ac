"""Serving a household without a working card: find it by the number printed on the card,
or by the last four digits of its phone, then check the person with the phone's last four
digits. Every look-up and every check, passed or failed, is an audit entry."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from points_app.accounts.models import User
from points_app.areas.models import Area
from points_app.core import audit
from points_app.core.audit import AuditEntry
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.people.models import Household

# A household number as printed on the card: letters, digits and dashes (XS-DD-DG-H001).
NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,39}$")
LAST_FOUR = re.compile(r"^[0-9]{4}$")
# Failed checks of one household within a day before the counter stops trying.
MAX_FAILED_CHECKS = 5
MAX_PHONE_MATCHES = 20


def looks_like_number(text: str) -> bool:
    """True if what the scanner or the clerk typed could be a household number."""
    return bool(NUMBER_PATTERN.match(text.strip()))


def _may_serve(actor: User, community: Area) -> None:
    if not can(actor, Permission.redeem, community):
        raise Forbidden(str(_l("You may not serve households at this store.")))


def find_household_by_number(text: str, *, community: Area, actor: User) -> Household:
    """The active household of `community` with the number printed on its card, or
    `unknown_number`; the look-up is audited. A number of another community is unknown."""
    _may_serve(actor, community)
    number = text.strip().upper()
    household = None
    if looks_like_number(number):
        household = db.session.scalars(
            select(Household).where(
                func.upper(Household.public_no) == number,
                Household.community_id == community.id,
            )
        ).first()
    audit.record(
        actor, "household_looked_up_by_number", "household",
        household.id if household else None, found=household is not None,
    )  # fmt: skip
    if household is None:
        raise DomainError(
            "unknown_number",
            _l(
                "“%(text)s” is neither a household card of ours nor the number of a household "
                "of this community. Scan the card again, or type the number printed under "
                "its QR code (for example XS-DD-DG-H001); without a number, find the "
                "household by the last four digits of its phone.",
                text=text.strip()[:40],
            ),
            404,
        )
    if not household.is_active:
        raise DomainError(
            "household_inactive",
            _l(
                "Household %(no)s is no longer registered, so it cannot redeem. "
                "Send the person to the community office.",
                no=household.public_no,
            ),
            410,
        )
    return household


def _last_four(phone: str | None) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def bad_digits_message() -> Any:
    """What to type in the phone field."""
    return _l("Type the last four digits of the household's phone, for example 1234.")


def _bad_digits() -> DomainError:
    return DomainError("validation_error", bad_digits_message(), 422)


def find_households_by_phone(last_four: str, *, community: Area, actor: User) -> list[Household]:
    """Active households of `community` whose phone ends in these four digits (compared in
    Python: phones are stored encrypted); the search is audited."""
    _may_serve(actor, community)
    last_four = last_four.strip()
    if not LAST_FOUR.match(last_four):
        raise _bad_digits()
    households = db.session.scalars(
        select(Household)
        .where(Household.community_id == community.id, Household.is_active.is_(True))
        .order_by(Household.public_no)
    ).all()
    found = [h for h in households if hmac.compare_digest(_last_four(h.phone), last_four)]
    audit.record(
        actor, "household_searched_by_phone", "area", community.id,
        matches=len(found),
    )  # fmt: skip
    if not found:
        raise DomainError(
            "no_phone_match",
            _l(
                "No household of this community has a phone ending in %(digits)s. Ask the "
                "person for the number on their card, or send them to the community office.",
                digits=last_four,
            ),
            404,
        )
    return found[:MAX_PHONE_MATCHES]


def _failed_checks_today(household: Household, now: dt.datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "household_check_failed",
                AuditEntry.object_type == "household",
                AuditEntry.object_id == household.id,
                AuditEntry.at >= now - dt.timedelta(days=1),
            )
        )
        or 0
    )


def check_household_without_card(
    household: Household,
    *,
    last_four: str,
    community: Area,
    actor: User,
    how: str,
    now: dt.datetime | None = None,
) -> Household:
    """Let a household without a working card be served once the person gave the last four
    digits of the household's phone; refuse `phone_mismatch`, `no_phone_on_file` or
    `too_many_tries`. Passed and failed checks are audited (`how`: number or phone)."""
    now = now or utcnow()
    _may_serve(actor, community)
    if household.community_id != community.id or not household.is_active:
        raise DomainError(
            "other_community",
            _l(
                "This household cannot be served at this store: it belongs to another "
                "community or is no longer registered. Send the person to the community office."
            ),
            403,
        )
    last_four = last_four.strip()
    if not LAST_FOUR.match(last_four):
        raise _bad_digits()
    on_file = _last_four(household.phone)
    if not on_file:
        raise DomainError(
            "no_phone_on_file",
            _l(
                "Household %(no)s has no phone on file, so it cannot be checked without its "
                "card. Ask the community office to print a new card (or to add the phone).",
                no=household.public_no,
            ),
            409,
        )
    if _failed_checks_today(household, now) >= MAX_FAILED_CHECKS:
        raise DomainError(
            "too_many_tries",
            _l(
                "Too many wrong phone digits for household %(no)s today. Do not serve it "
                "without its card; send the person to the community office.",
                no=household.public_no,
            ),
            429,
        )
    if not hmac.compare_digest(on_file, last_four):
        audit.record(actor, "household_check_failed", "household", household.id, how=how)
        db.session.flush()
        raise DomainError(
            "phone_mismatch",
            _l(
                "The last four digits do not match the phone of household %(no)s. Ask the "
                "person again; if they still do not match, do not serve the household "
                "without its card.",
                no=household.public_no,
            ),
            409,
        )
    audit.record(actor, "household_served_without_card", "household", household.id, how=how)
    db.session.flush()
    return household


def household_in_community(household_id: Any, community: Area) -> Household | None:
    """The household with this id if it belongs to `community` (a form's hidden field)."""
    try:
        hid = int(household_id)
    except (TypeError, ValueError):
        return None
    household = db.session.get(Household, hid) if 0 < hid < 2**31 else None
    return household if household and household.community_id == community.id else None
