"""Check-in throughput: POST /api/v1/checkins against gunicorn, as a ratio to /hello.

    python -m bench.checkin_bench [--db sqlite|postgresql] [--workers 4] [--connections 32]
                                  [--seconds 10] [--events 500] [--runs 1]

Seeds one community with one volunteer (and API token) per connection and many events
on now, each with its printable code. wrk sends the requests (bench/requests.lua);
every one is a real, new check-in of one volunteer into one event, no pair twice, so
each writes one attendance and nothing is refused. The bare /hello route of the same
server, measured just before in the same run and by the same wrk script, is the
baseline. Afterwards the attendances in the database must match wrk's 201s (give or
take the requests still in flight when wrk stopped) and `ledger verify` must pass.
"""

from __future__ import annotations

import argparse
import datetime as dt

from bench.loadgen import Request, json_request
from bench.scenario import Scenario, main_loop

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


def requests_for(tokens: list[str], codes: list[str]) -> list[Request]:
    """Every (volunteer, event) pair once, event by event, so the requests in flight at
    one moment are different volunteers' check-ins."""
    return [
        json_request("POST", "/api/v1/checkins", {"code": code}, Authorization=f"Bearer {token}")
        for code in codes
        for token in tokens
    ]


def build(url: str, args: argparse.Namespace) -> Scenario:
    """Seed the database and give the check-in scenario's requests."""
    tokens, codes = seed(url, args.connections, args.events)
    return Scenario(
        name="POST /api/v1/checkins",
        requests=requests_for(tokens, codes),
        expect_status=201,
        table="attendances",
    )


def main() -> None:
    main_loop(
        prog="python -m bench.checkin_bench",
        build=build,
        extra=lambda parser: parser.add_argument("--events", type=int, default=500),
        goal=0.20,
    )


if __name__ == "__main__":
    main()
