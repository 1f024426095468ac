"""Household cards: tokens, checks at the counter, replacement of a lost card."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from points_app.areas.models import Area
from points_app.core import audit, qr
from points_app.core.db import prepared
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger.models import Account
from points_app.people.models import Household


def household_card_token(household: Household) -> str:
    """The signed token a household's current card carries (no name, no number)."""
    return qr.sign("household", household.id, household.card_version)


def _card_refusal(code: str, message: Any, status: int) -> DomainError:
    return DomainError(code, message, status)


@prepared
def _household_query() -> Select[tuple[Household]]:
    # Areas load only if asked for (a permission check does): most scans never need them.
    return (
        select(Household)
        .where(Household.id == bindparam("id"))
        .options(lazyload(Household.community), lazyload(Household.grid))
    )


def resolve_household_card(
    scanned: qr.ScannedCode | str,
    *,
    community: Area | None = None,
    actor: Any = None,
) -> Household:
    """Return the household a scanned card belongs to, or refuse with a reason a clerk
    understands: `invalid_code` (forged, damaged, not a household card), `card_revoked`
    (an old card after a new one was issued), `household_inactive`, `other_community`
    (the card is for another community's store, or outside the actor's areas)."""
    scanned = _household_code(scanned)
    household = db.session.scalars(_household_query(), {"id": scanned.object_id}).first()
    return _check_card(scanned, household, community=community, actor=actor)


def _household_code(scanned: qr.ScannedCode | str) -> qr.ScannedCode:
    if isinstance(scanned, str):
        try:
            scanned = qr.verify(scanned)
        except DomainError as error:
            if error.code != "invalid_code":
                raise
            raise _card_refusal(
                "invalid_code",
                _l(
                    "The scanner read a code that is not one of our household cards, or the "
                    "card is damaged. Scan it again; if it still fails, type the number "
                    "printed on the card."
                ),
                400,
            ) from None
    if scanned.kind != "household":
        raise _card_refusal(
            "invalid_code",
            _l("This is not a household card. Scan the household's love supermarket card."),
            400,
        )
    return scanned


def _check_card(
    scanned: qr.ScannedCode, household: Household | None, *, community: Area | None, actor: Any
) -> Household:
    """The card's household if the card may be used here; else the refusal."""
    if household is None:
        raise _card_refusal(
            "invalid_code",
            _l("This card belongs to no household. Ask the community office for a new card."),
            400,
        )
    if scanned.extra != household.card_version:
        raise _card_refusal(
            "card_revoked",
            _l(
                "This card was replaced by a newer one (reported lost). Ask the household "
                "for its new card, or the community office to print one."
            ),
            410,
        )
    if not household.is_active:
        raise _card_refusal(
            "household_inactive",
            _l("This household is no longer registered. Ask the community office."),
            410,
        )
    in_community = community is None or household.community_id == community.id
    in_actor_areas = actor is None or can(actor, Permission.redeem, household.community)
    if not (in_community and in_actor_areas):
        raise _card_refusal(
            "other_community",
            _l(
                "This card belongs to a household of another community; it can be used only "
                "at that community's love supermarket."
            ),
            403,
        )
    return household


def household_balance(household: Household) -> int:
    """The household's points balance, without opening an account for it (a page read)."""
    balance = db.session.scalar(select(Account.balance).where(Account.household_id == household.id))
    return int(balance or 0)


def replace_household_card(household: Household, *, actor: Any) -> int:
    """Report a card lost: issue the next card version; the old card stops working at once."""
    new_version = db.session.execute(
        update(Household)
        .where(Household.id == household.id)
        .values(card_version=Household.card_version + 1)
        .returning(Household.card_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(household, "card_version", new_version)
    audit.record(
        actor, "household_card_replaced", "household", household.id, card_version=new_version
    )
    db.session.flush()
    return int(new_version)
