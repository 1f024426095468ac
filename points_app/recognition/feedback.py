"""Quarterly feedback to work units (一单一表一卡): what each in-service Party member of a
unit did in the community that quarter — registration, needs claimed and completed
(三单), events served, hours, issues served — and whether it was sent."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from points_app.areas.models import Area
from points_app.core.audit import record
from points_app.core.clock import local_date, local_zone
from points_app.core.db import utcnow
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    EventIssue,
    Need,
    NeedStatus,
    PartyRegistration,
)
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind, Volunteer
from points_app.recognition.models import FeedbackSent


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter on the community's calendar."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str | None, today: dt.date) -> Quarter:
        """'2026-Q4' (or '2026-4'); the quarter of `today` when missing or garbage."""
        try:
            year, number = (text or "").upper().replace("Q", "").split("-")
            quarter = cls(int(year), int(number))
            if 2000 <= quarter.year <= 2100 and 1 <= quarter.number <= 4:
                return quarter
        except ValueError:
            pass
        return cls(today.year, (today.month - 1) // 3 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        following = (
            dt.date(self.year + 1, 1, 1)
            if self.number == 4
            else dt.date(self.year, 3 * self.number + 1, 1)
        )
        return following - dt.timedelta(days=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The UTC moments the quarter starts and ends."""
        zone = local_zone()
        end = self.last_day + dt.timedelta(days=1)
        return (
            dt.datetime.combine(self.first_day, dt.time(), tzinfo=zone).astimezone(dt.UTC),
            dt.datetime.combine(end, dt.time(), tzinfo=zone).astimezone(dt.UTC),
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def following(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass
class MemberRow:
    """One member's quarter in the community."""

    name: str
    registered_on: dt.date | None = None
    needs_claimed: int = 0
    needs_done: int = 0
    events: int = 0
    minutes: int = 0
    issues: int = 0

    @property
    def hours(self) -> str:
        return f"{self.minutes / 60:.2f}".rstrip("0").rstrip(".")


@dataclass
class UnitFeedback:
    """A work unit's table for the quarter."""

    unit: Organisation
    members: list[MemberRow] = field(default_factory=list)
    sent: FeedbackSent | None = None


def _counts(stmt: Any) -> Counter[int]:
    return Counter({row[0]: int(row[1]) for row in db.session.execute(stmt)})


def quarterly_feedback(community: Area, quarter: Quarter) -> list[UnitFeedback]:
    """The community's work units, each with its members' quarter, in name order."""
    units = list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.area_id == community.id, Organisation.kind == OrganisationKind.unit)
            .order_by(Organisation.name)
        )
    )
    if not units:
        return []
    members = list(
        db.session.scalars(
            select(Volunteer)
            .where(Volunteer.work_unit_id.in_([u.id for u in units]))
            .order_by(Volunteer.real_name, Volunteer.id)
        )
    )
    ids = [m.id for m in members]
    start, end = quarter.bounds()
    registered: dict[int, dt.datetime] = {
        volunteer_id: at
        for volunteer_id, at in db.session.execute(
            select(PartyRegistration.volunteer_id, PartyRegistration.registered_at).where(
                PartyRegistration.volunteer_id.in_(ids),
                PartyRegistration.community_id == community.id,
                PartyRegistration.year == quarter.year,
            )
        )
    }
    claimed = _counts(
        select(Need.claimed_by_id, func.count(Need.id))
        .where(
            Need.claimed_by_id.in_(ids),
            Need.community_id == community.id,
            Need.claimed_at >= start,
            Need.claimed_at < end,
        )
        .group_by(Need.claimed_by_id)
    )
    done = _counts(
        select(Need.claimed_by_id, func.count(Need.id))
        .where(
            Need.claimed_by_id.in_(ids),
            Need.community_id == community.id,
            Need.status == NeedStatus.done,
            Need.done_at >= start,
            Need.done_at < end,
        )
        .group_by(Need.claimed_by_id)
    )
    served = (
        Attendance.volunteer_id.in_(ids),
        Attendance.status == AttendanceStatus.approved,
        Attendance.checked_in_at >= start,
        Attendance.checked_in_at < end,
    )
    events = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in db.session.execute(
            select(Attendance.volunteer_id, func.count(Attendance.id), func.sum(Attendance.minutes))
            .where(*served)
            .group_by(Attendance.volunteer_id)
        )
    }
    issues = _counts(
        select(Attendance.volunteer_id, func.count(func.distinct(EventIssue.issue_id)))
        .join(EventIssue, EventIssue.event_id == Attendance.event_id)
        .where(*served)
        .group_by(Attendance.volunteer_id)
    )
    sent = {
        row.unit_id: row
        for row in db.session.scalars(
            select(FeedbackSent).where(
                FeedbackSent.unit_id.in_([u.id for u in units]),
                FeedbackSent.year == quarter.year,
                FeedbackSent.quarter == quarter.number,
            )
        )
    }
    tables = {u.id: UnitFeedback(unit=u, sent=sent.get(u.id)) for u in units}
    for member in members:
        assert member.work_unit_id is not None
        count, minutes = events.get(member.id, (0, 0))
        at = registered.get(member.id)
        tables[member.work_unit_id].members.append(
            MemberRow(
                name=member.real_name,
                registered_on=local_date(at) if at else None,
                needs_claimed=claimed[member.id],
                needs_done=done[member.id],
                events=count,
                minutes=minutes,
                issues=issues[member.id],
            )
        )
    return list(tables.values())


def mark_sent(
    unit: Organisation, quarter: Quarter, *, actor: Any, now: dt.datetime | None = None
) -> FeedbackSent:
    """Record that the unit's feedback for the quarter was sent (once)."""
    if unit.kind is not OrganisationKind.unit:
        raise DomainError("not_a_unit", _l("Feedback goes to work units only."), 422)
    if not can(actor, Permission.issue_points, unit.area):
        raise Forbidden(str(_l("You may not send this community's feedback.")))
    try:
        with db.session.begin_nested():
            row = FeedbackSent(
                unit_id=unit.id,
                year=quarter.year,
                quarter=quarter.number,
                sent_at=now or utcnow(),
                sent_by_id=getattr(actor, "id", None),
            )
            db.session.add(row)
    except IntegrityError:
        raise DomainError(
            "already_sent", _l("This quarter's feedback was already marked as sent."), 409
        ) from None
    record(actor, "unit_feedback.sent", "organisation", unit.id, quarter=str(quarter))
    return row


def headers() -> list[str]:
    """The columns of a unit's table, in the current language."""
    return [
        _("Name"),
        _("Registered"),
        _("Needs claimed"),
        _("Needs completed"),
        _("Events served"),
        _("Hours"),
        _("Issues served"),
    ]


def _cells(row: MemberRow) -> list[Any]:
    return [
        row.name,
        row.registered_on.isoformat() if row.registered_on else "",
        row.needs_claimed,
        row.needs_done,
        row.events,
        float(row.hours),
        row.issues,
    ]


def feedback_xlsx(community: Area, quarter: Quarter, tables: list[UnitFeedback]) -> bytes:
    """The quarter's feedback as an XLSX workbook, one sheet per work unit."""
    from openpyxl import Workbook

    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    used: set[str] = set()
    for n, table in enumerate(tables, start=1):
        title = "".join(c for c in table.unit.name if c not in "[]:*?/\\")[:28] or str(n)
        while title in used:
            title = f"{title[:25]}-{n}"
        used.add(title)
        sheet = book.create_sheet(title)
        sheet.append([f"{community.name} · {table.unit.name} · {quarter}"])
        sheet.append(headers())
        for row in table.members:
            sheet.append(_cells(row))
    if not tables:
        book.create_sheet(str(quarter))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
