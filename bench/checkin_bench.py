"""Check-in throughput: POST /api/v1/checkins against gunicorn, as a ratio to /hello.

    python -m bench.checkin_bench [--db sqlite|postgresql] [--workers 4] [--clients 32]
                                  [--seconds 10] [--events 400]

Seeds one community with one volunteer (and API token) per client and many events on
now, each with its printable code. Every request is a real, new check-in: client i
checks volunteer i into the next event on its list, so each request writes one
attendance (and its history row) and nothing is refused. The bare /hello route of the
same server, measured in the same run, is the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import requests

from bench.util import Result, fresh_database, gunicorn, load, machine_summary

SECRET = "bench-only-secret"  # the SECRET_KEY bench.util gives gunicorn: codes must match


def seed(url: str, clients: int, events: int) -> tuple[list[str], list[str]]:
    """Create the community, volunteers with tokens and events; return (tokens, codes)."""
    from points_app import create_app
    from points_app.accounts.models import Role, RoleAssignment, User
    from points_app.api.services import issue_token
    from points_app.areas.models import AreaLevel
    from points_app.areas.services import create_area
    from points_app.config import normalise_database_url
    from points_app.core import qr
    from points_app.core.db import utcnow
    from points_app.events import services
    from points_app.events.models import EventKind
    from points_app.extensions import db
    from points_app.people.models import Volunteer

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": SECRET,
            "SERVER_NAME": "127.0.0.1",
        }
    )
    with app.app_context(), app.test_request_context():
        county = create_area(name="县", code="B", level=AreaLevel.county, parent=None, actor=None)
        street = create_area(
            name="街道", code="B-S", level=AreaLevel.street, parent=county, actor=None
        )
        community = create_area(
            name="社区", code="B-S-C", level=AreaLevel.community, parent=street, actor=None
        )
        organiser = User(username="organiser", display_name="organiser", password_hash="x")
        db.session.add(organiser)
        db.session.add(RoleAssignment(user=organiser, role=Role.organiser, area=community))
        tokens = []
        for i in range(clients):
            user = User(username=f"v{i}", display_name=f"v{i}", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Volunteer(
                    real_name=f"志愿者{i}",
                    phone=f"1370000{i:04d}",
                    home_community=community,
                    user_id=user.id,
                )
            )
            tokens.append(issue_token(user)[1])
        now = utcnow()
        codes = []
        for n in range(events):
            event = services.create_event(
                services.EventData(
                    title=f"活动{n}",
                    kind=EventKind.volunteer,
                    area=community,
                    starts_at=now - dt.timedelta(minutes=10),
                    ends_at=now + dt.timedelta(hours=3),
                ),
                actor=organiser,
            )
            codes.append(qr.code_url(services.event_token(event)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tokens, codes


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.checkin_bench")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=400)
    args = parser.parse_args()

    print(f"machine: {machine_summary()}")
    print(f"database: {args.db}; gunicorn workers: {args.workers}; clients: {args.clients}")
    with fresh_database(args.db) as url:
        tokens, codes = seed(url, args.clients, args.events)
        with gunicorn(url, workers=args.workers) as base:
            hello = load(
                lambda s: s.get(base + "/hello", timeout=10),
                name=f"GET /hello ({args.db}, {args.workers}w)",
                clients=args.clients,
                seconds=args.seconds,
            )

            def setup(session: requests.Session, index: int) -> dict[str, Any]:
                session.headers["Authorization"] = f"Bearer {tokens[index]}"
                return {"next": 0}

            def check_in(session: requests.Session, state: dict[str, Any]) -> requests.Response:
                code = codes[state["next"] % len(codes)]
                state["next"] += 1
                return session.post(base + "/api/v1/checkins", json={"code": code}, timeout=30)

            checkin = load(
                check_in,
                name=f"POST /api/v1/checkins ({args.db}, {args.workers}w)",
                clients=args.clients,
                seconds=args.seconds,
                setup=setup,
                ok=lambda r: r.status_code == 201,
                # each client has one event per request; warm-up uses some of them
                max_requests=args.clients * (args.events - 50),
            )
    print(Result.HEADER)
    print(hello.row())
    print(checkin.row())
    print(f"statuses: hello {hello.statuses}, check-in {checkin.statuses}")
    ratio = checkin.per_second / hello.per_second if hello.per_second else 0.0
    print(f"check-in / hello throughput ratio: {ratio:.2f} (goal >= 0.20)")


if __name__ == "__main__":
    main()
