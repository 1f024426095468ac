"""Reports at county scale: the dashboard's time and a 100k-row XLSX export.

    nice python -m bench.reports_bench [--db sqlite|postgresql|both] [--runs 20]
        [--scale 1.0] [--instructions]

1. Builds a county on a fresh database (newest migration) with Core bulk inserts:
   33 communities in 3 streets, 20,000 volunteers, 100,000 approved attendances at
   5,000 events, 1,000,000 transfers, 50,000 issues (two timeline lines each, ratings on
   the closed ones), 5,000 talk sessions, 20,000 redemptions, spread over three years.
   `--scale 0.1` builds a tenth of it. The three years end with yesterday, as in a
   database in use: nothing is dated today or later. Then stores the day totals of the
   points figures for every day before today, as the nightly `flask report rollup` keeps
   them.
2. The dashboard (`GET /reports/`, the 365 days to yesterday: a third of the data) for
   the county and for one community,
   signed in as an administrator, in process through the test client (no network): p50 and
   p95 over the runs after one warm-up. Goal: under 500 ms.
   With `--instructions` (needs valgrind), also the instructions per dashboard request
   in the app's process (`bench.instructions`), which other work on the machine does
   not change.
3. `flask report export attendances --format xlsx` over all three years (100,000 rows)
   in a child process: wall time and the child's peak resident memory. Goal: under 30 s
   and 200 MB.

`--db postgresql` needs `.ci/with-postgres` (or BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from bench.util import BIN, ROOT, app_env, fresh_database, machine_summary

UTC = dt.UTC
SPAN = dt.timedelta(days=3 * 365)
# The data ends where today begins (Asia/Shanghai): a database in use holds nothing dated
# in the future, and the nightly rollup has stored every day before today.
TODAY = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
END = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.timezone(dt.timedelta(hours=8)))
START = END - SPAN
YEAR_FROM, YEAR_TO = TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=1)
BATCH = 20_000


def _app(url: str) -> Any:
    from points_app import create_app
    from points_app.config import TestConfig, normalise_database_url

    class Cfg(TestConfig):
        # A serving app, as gunicorn's workers build it (so it freezes its start-up
        # objects: points_app.core.memory), on the bench's database.
        TESTING = False
        SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        WTF_CSRF_ENABLED = False

    return create_app(Cfg)


def _insert(table: Any, rows: Iterator[dict[str, Any]]) -> int:
    from sqlalchemy import insert

    from points_app.extensions import db

    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        db.session.execute(insert(table), batch)
        count += len(batch)
    db.session.commit()
    return count


def _when(rng: random.Random) -> dt.datetime:
    # Three hours short of the end, so a two-hour event started then is over by today.
    return START + dt.timedelta(seconds=rng.randrange(int(SPAN.total_seconds()) - 3 * 3600))


def build_county(scale: float) -> dict[str, Any]:
    """Fill the (empty, migrated) database; return ids the measurements need."""
    from sqlalchemy import select

    from points_app.accounts.models import Role, RoleAssignment, User
    from points_app.areas.models import Area, AreaLevel
    from points_app.core.crypto import keyring
    from points_app.events.models import Attendance, Event, EventKind
    from points_app.extensions import db
    from points_app.issues.models import (
        Issue,
        IssueEvaluation,
        IssueEvent,
        TalkSession,
    )
    from points_app.ledger.models import Account, Transfer
    from points_app.people.models import Household, Organisation, Volunteer
    from points_app.store.models import Redemption, Store

    rng = random.Random(33)
    n = {k: max(int(v * scale), 10) for k, v in {
        "volunteers": 20_000, "events": 5_000, "attendances": 100_000, "transfers": 1_000_000,
        "issues": 50_000, "sessions": 5_000, "households": 3_300, "redemptions": 20_000,
    }.items()}  # fmt: skip

    county = Area(name="象山县", code="BENCH", level=AreaLevel.county, path="")
    db.session.add(county)
    db.session.flush()
    county.path = f"/{county.id}/"
    communities: list[Area] = []
    grids: list[Area] = []
    for s in range(3):
        street = Area(name=f"街道{s}", code=f"B{s}", level=AreaLevel.street, parent=county)
        db.session.add(street)
        db.session.flush()
        street.path = f"{county.path}{street.id}/"
        for c in range(11):
            community = Area(name=f"社区{s}-{c}", code=f"B{s}-{c}", level=AreaLevel.community,
                             parent=street)  # fmt: skip
            db.session.add(community)
            db.session.flush()
            community.path = f"{street.path}{community.id}/"
            grid = Area(name=f"网格{s}-{c}", code=f"B{s}-{c}-G", level=AreaLevel.grid,
                        parent=community)  # fmt: skip
            db.session.add(grid)
            db.session.flush()
            grid.path = f"{community.path}{grid.id}/"
            communities.append(community)
            grids.append(grid)
    admin = User(username="bench-admin", display_name="bench", password_hash="x")
    db.session.add(admin)
    db.session.flush()
    db.session.add(RoleAssignment(user=admin, role=Role.admin, area=county))
    db.session.commit()
    cids = [c.id for c in communities]
    gids = [g.id for g in grids]

    # 50 work units (单位) employ the Party members, who are a third of the volunteers.
    _insert(Organisation.__table__, (
        {"name": f"单位{u}", "kind": "unit", "area_id": cids[u % 33], "created_at": START}
        for u in range(50)
    ))  # fmt: skip
    units = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
    ring = keyring()

    def volunteers() -> Iterator[dict[str, Any]]:
        for i in range(n["volunteers"]):
            phone = f"1{i:010d}"
            yield {"real_name": f"志愿者{i}", "home_community_id": cids[i % 33],
                   "phone_encrypted": ring.encrypt(phone, "volunteers.phone"),
                   "phone_hash": ring.lookup_hash(phone, "volunteers.phone"),
                   "is_party_member": i % 3 == 0,
                   "work_unit_id": units[i % 50] if i % 3 == 0 else None,
                   "created_at": START}  # fmt: skip

    _insert(Volunteer.__table__, volunteers())
    vids = list(db.session.scalars(select(Volunteer.id).order_by(Volunteer.id)))
    kinds = [EventKind.volunteer, EventKind.party_report, EventKind.welfare_day,
             EventKind.legal_talk]  # fmt: skip

    def events() -> Iterator[dict[str, Any]]:
        for i in range(n["events"]):
            start = _when(rng)
            yield {"title": f"活动{i}", "kind": kinds[i % 4], "area_id": gids[i % 33],
                   "starts_at": start, "ends_at": start + dt.timedelta(hours=2), "place": "",
                   "description": "", "signup_required": False, "points_rule": "per_hour",
                   "points_value": 1, "needs_checkout": True, "needs_approval": True,
                   "rotates_code": False, "people_served": rng.randrange(100),
                   "is_cancelled": False, "created_at": start}  # fmt: skip

    _insert(Event.__table__, events())
    evs = list(db.session.execute(select(Event.id, Event.starts_at, Event.area_id)))
    per_event = max(n["attendances"] // len(evs), 1)

    def attendances() -> Iterator[dict[str, Any]]:
        for event_id, start, _area_id in evs:
            base = rng.randrange(len(vids) - per_event)
            for j in range(per_event):
                yield {"event_id": event_id, "volunteer_id": vids[base + j],
                       "status": "approved", "checked_in_at": start, "minutes": 120,
                       "points_awarded": 2, "is_manual": False, "needs_review": False,
                       "review_note": "", "created_at": start}  # fmt: skip

    _insert(Attendance.__table__, attendances())

    _insert(Account.__table__, (
        {"kind": kind, "area_id": cid, "balance": 0, "created_at": START}
        for cid in cids for kind in ("issuance", "store_sink")
    ))  # fmt: skip
    _insert(Household.__table__, (
        {"public_no": f"H{i}", "head_name": f"户主{i}", "members_count": 1, "address": "某幢",
         "community_id": cids[i % 33], "category": "dibao", "card_version": 1,
         "is_active": True, "created_at": START} for i in range(n["households"])
    ))  # fmt: skip
    hids = list(db.session.execute(select(Household.id, Household.community_id)))
    _insert(Account.__table__, (
        {"kind": "volunteer", "volunteer_id": v, "area_id": cids[i % 33], "balance": 0,
         "created_at": START} for i, v in enumerate(vids[: n["households"] * 3])
    ))  # fmt: skip
    _insert(Account.__table__, (
        {"kind": "household", "household_id": h, "area_id": c, "balance": 0,
         "created_at": START} for h, c in hids
    ))  # fmt: skip
    system = {(a.area_id, a.kind.value): a.id for a in db.session.scalars(
        select(Account).where(Account.kind.in_(["issuance", "store_sink"])))}  # fmt: skip
    people = list(db.session.execute(
        select(Account.id, Account.area_id).where(Account.kind == "volunteer")))  # fmt: skip
    homes = list(db.session.execute(
        select(Account.id, Account.area_id).where(Account.kind == "household")))  # fmt: skip

    def transfers() -> Iterator[dict[str, Any]]:
        for i in range(n["transfers"]):
            when = _when(rng)
            if i % 10 < 7:
                acc, area = people[i % len(people)]
                debit, credit, kind = system[(area, "issuance")], acc, "earn"
            elif i % 10 < 9:
                acc, area = people[i % len(people)]
                debit, credit, kind = acc, homes[i % len(homes)][0], "give"
            else:
                acc, area = homes[i % len(homes)]
                debit, credit, kind = acc, system[(area, "store_sink")], "redeem"
            yield {"debit_account_id": debit, "credit_account_id": credit, "amount": 2,
                   "kind": kind, "memo": "", "created_at": when}  # fmt: skip

    _insert(Transfer.__table__, transfers())

    def issues() -> Iterator[dict[str, Any]]:
        for i in range(n["issues"]):
            created = _when(rng)
            closed = i % 10 < 7
            yield {"title": f"事项{i}", "description": "", "category": ["environment", "legal",
                   "neighbour_dispute", "other"][i % 4], "channel": "grid_visit",
                   "area_id": gids[i % 33], "state": "closed" if closed else "handling",
                   "level": "grid", "due_on": (created + dt.timedelta(days=10)).date(),
                   "is_anonymous": False, "created_at": created,
                   "closed_at": min(created + dt.timedelta(days=rng.randrange(1, 30)),
                                    END - dt.timedelta(minutes=1)) if closed else None,
                   }  # fmt: skip

    _insert(Issue.__table__, issues())
    rows = list(db.session.execute(select(Issue.id, Issue.created_at, Issue.closed_at)))
    _insert(IssueEvent.__table__, (
        {"issue_id": i, "from_state": src, "to_state": dst, "level": "grid", "at": at,
         "note": ""}
        for i, created, closed in rows
        for src, dst, at in ((None, "raised", created),
                             ("raised", "closed" if closed else "handling", closed or created))
    ))  # fmt: skip
    _insert(IssueEvaluation.__table__, (
        {"issue_id": i, "satisfaction": 3 + i % 3, "is_solved": True, "comment": "",
         "is_by_proxy": True, "at": closed} for i, _c, closed in rows if closed
    ))  # fmt: skip
    _insert(TalkSession.__table__, (
        {"area_id": cids[i % 33], "held_on": (_when(rng)).date(), "place": "议事厅",
         "chair": "主任", "minutes": "", "created_at": START} for i in range(n["sessions"])
    ))  # fmt: skip
    _insert(Store.__table__, (
        {"community_id": c, "name": f"超市{c}", "opening_hours": "", "address": "",
         "void_days": 0, "is_active": True, "created_at": START} for c in cids
    ))  # fmt: skip
    stores = {s.community_id: s.id for s in db.session.scalars(select(Store))}
    _insert(Redemption.__table__, (
        {"store_id": stores[hids[i % len(hids)][1]], "household_id": hids[i % len(hids)][0],
         "clerk_id": admin.id, "total_points": 4, "item_count": 2, "balance_after": 0,
         "status": "completed", "idempotency_key": f"k{i}", "request_hash": "h",
         "created_at": _when(rng)} for i in range(n["redemptions"])
    ))  # fmt: skip
    return {"admin": admin.id, "county": county.id, "community": cids[0],
            "code": county.code, "sizes": n}  # fmt: skip


def signed_in_client(app: Any, admin_id: int) -> Any:
    """A test client signed in as the bench's administrator (in an app context)."""
    from points_app.accounts.models import User
    from points_app.accounts.sessions import start_session
    from points_app.extensions import db

    client = app.test_client()
    token = start_session(db.session.get_one(User, admin_id))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{admin_id}.{token}"
        session["_fresh"] = True
    return client


def dashboard_url(area_id: int) -> str:
    """The dashboard of an area for the 365 days to yesterday."""
    return f"/reports/?area={area_id}&period=custom&start={YEAR_FROM}&end={YEAR_TO}"


def time_dashboard(
    app: Any, ids: dict[str, Any], runs: int
) -> dict[str, tuple[float, float, float]]:
    """p50 and p95 in ms of the dashboard (the 365 days to yesterday), and
    the median CPU time of this process per request: on SQLite (which runs in process)
    that is the work itself, whatever else the machine is doing."""
    client = signed_in_client(app, ids["admin"])
    out = {}
    for level in ("county", "community"):
        url = dashboard_url(ids[level])
        assert client.get(url).status_code == 200  # warm-up
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            reply = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert reply.status_code == 200
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        out[level] = (statistics.median(times), p95, statistics.median(cpu))
    return out


def time_export(url: str, code: str) -> tuple[float, float, int, float]:
    """Seconds, peak resident MB, rows and CPU seconds of the 100k-row attendances XLSX,
    in a child process (the CLI). The peak is the largest of this process's children so
    far (`ru_maxrss`), so nothing bigger may run as a child before it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = before.ru_utime + before.ru_stime
    with tempfile.TemporaryDirectory(prefix="points-export-") as folder:
        out = os.path.join(folder, "attendances.xlsx")
        t = time.perf_counter()
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "points_app", "report", "export", "attendances",
             "--area", code, "--from", str(START.date()), "--to", str(YEAR_TO), "--format", "xlsx",
             "--output", out],
            cwd=ROOT, env=app_env(url), capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        seconds = time.perf_counter() - t
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        rows = int(result.stderr.split()[0])
    return seconds, peak_mb, rows, usage.ru_utime + usage.ru_stime - cpu_before


def _analyse(kind: str) -> None:
    """Statistics for the planner (and, on PostgreSQL, the visibility map for index-only
    scans), as a database that has been in use would have."""
    from sqlalchemy import text

    from points_app.extensions import db

    if kind == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def run(kind: str, runs: int, scale: float, count_instructions: bool = False) -> None:
    from points_app.extensions import db
    from points_app.reports import rollup

    with fresh_database(kind) as url:
        app = _app(url)
        with app.app_context():
            t = time.perf_counter()
            ids = build_county(scale)
            _analyse(kind)
            built = time.perf_counter() - t
            print(f"{kind}: built {ids['sizes']} in {built:.0f} s")
            # What the nightly `flask report rollup` has done on a database in use: the
            # day totals of every day that is over (here the first run, over 3 years).
            t = time.perf_counter()
            days = rollup.roll_up()
            db.session.commit()
            _analyse(kind)
            print(f"{kind}: rolled up {days} days in {time.perf_counter() - t:.1f} s")
            timings = time_dashboard(app, ids, runs)
            db.session.remove()
            db.engine.dispose()
        seconds, peak, rows, cpu = time_export(url, ids["code"])
        if count_instructions:  # after the export: its peak memory is the largest child's
            from bench import instructions

            for level in ("county", "community"):
                millions = instructions.count(url, ids["admin"], ids[level])
                print(f"{kind}: {level} dashboard, {millions:,.0f} M instructions a request "
                      "(callgrind; the app's process only)")  # fmt: skip
        load = os.getloadavg()
        print("| database | county p50 / p95 (CPU) | community p50 / p95 (CPU) | XLSX rows | "
              "XLSX time (CPU) | XLSX peak RSS | load avg (1/5/15 min) |")  # fmt: skip
        print("| --- | --- | --- | --- | --- | --- | --- |")
        county, community = timings["county"], timings["community"]
        print(f"| {kind} | {county[0]:.0f} / {county[1]:.0f} ms ({county[2]:.0f}) | "
              f"{community[0]:.0f} / {community[1]:.0f} ms ({community[2]:.0f}) | {rows:,} | "
              f"{seconds:.1f} s ({cpu:.1f}) | {peak:.0f} MB | "
              f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reports_bench")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per dashboard (needs valgrind)")  # fmt: skip
    args = parser.parse_args()
    if args.instructions:
        from bench import instructions

        if not instructions.available():
            parser.error("--instructions needs valgrind and callgrind_control on the PATH")
    print(f"machine: {machine_summary()}")
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(kind, args.runs, args.scale, args.instructions)


if __name__ == "__main__":
    main()
