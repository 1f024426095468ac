"""Totals the reports keep so a county's year does not mean reading a million transfers.

The ledger is append-only (transfers are never changed or deleted, and each is written
at the moment it happens), so once a local day is over its points totals never change.
`flask report rollup` (nightly) adds the days that ended since its last run; the figures
read these rows for those days and the transfers themselves for the days after.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from points_app.core.db import utcnow
from points_app.extensions import Model


class LedgerDayTotal(Model):
    """Points issued (net of reversals) and given to households, per area and local day.

    `area_id` is the area of the account the points are counted against: the issuance
    account for points issued, the household's account for points given.
    """

    __tablename__ = "ledger_day_totals"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)
    points_issued: Mapped[int] = mapped_column(BigInteger, default=0)
    points_given: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupMark(Model):
    """The last local day a rollup has added (every day up to it is in its table)."""

    __tablename__ = "report_rollups"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    through_day: Mapped[dt.date]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
