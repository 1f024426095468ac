"""Demo data: a county, a street, two communities, users for every role, people."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from points_app.accounts.models import Role, RoleAssignment, User
from points_app.accounts.services import create_user
from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import create_area
from points_app.extensions import db
from points_app.people import units
from points_app.people.models import (
    Household,
    HouseholdCategory,
    Membership,
    Organisation,
    OrganisationKind,
    Pairing,
    Volunteer,
)
from points_app.people.validation import id_check_char

DEMO_PASSWORD = "demo12345"

DEMO_USERS: list[tuple[str, str, Role, str]] = [
    ("admin", "县管理员", Role.admin, "XS"),
    ("committee", "东谷社区两委 陈主任", Role.committee, "XS-DD-DG"),
    ("organiser", "社工 李娜", Role.organiser, "XS-DD-DG"),
    ("gridworker", "网格员 王强", Role.grid_worker, "XS-DD-DG-G1"),
    ("clerk", "爱心超市 周敏", Role.clerk, "XS-DD-DG"),
    ("volunteer", "志愿者 张伟", Role.volunteer, "XS-DD-DG"),
    ("committee2", "丹峰社区两委 何书记", Role.committee, "XS-DD-DF"),
]

SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _area(code: str) -> Area | None:
    return db.session.scalars(select(Area).where(Area.code == code)).first()


def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo data if it is not there yet; return (username, password, role) rows."""
    rows = [(u, DEMO_PASSWORD, f"{role.value} @ {code}") for u, _n, role, code in DEMO_USERS]
    if _area("XS") is not None:
        _load_history()
        return rows

    county = create_area(name="象山县", code="XS", level=AreaLevel.county, parent=None, actor=None)
    street = create_area(
        name="丹东街道", code="XS-DD", level=AreaLevel.street, parent=county, actor=None
    )
    communities = []
    for name, code in (("东谷社区", "XS-DD-DG"), ("丹峰社区", "XS-DD-DF")):
        community = create_area(
            name=name, code=code, level=AreaLevel.community, parent=street, actor=None
        )
        communities.append(community)
        for n in (1, 2):
            grid = create_area(
                name=f"{name[:2]}第{n}网格",
                code=f"{code}-G{n}",
                level=AreaLevel.grid,
                parent=community,
                actor=None,
            )
            create_area(
                name=f"{grid.name}1号微网格",
                code=f"{code}-G{n}-M1",
                level=AreaLevel.microgrid,
                parent=grid,
                actor=None,
            )

    for username, display_name, role, code in DEMO_USERS:
        user = create_user(username=username, password=DEMO_PASSWORD, display_name=display_name)
        area = _area(code)
        assert area is not None
        db.session.add(RoleAssignment(user=user, role=role, area=area))
    db.session.flush()

    volunteers = []
    for i in range(20):
        community = communities[i % 2]
        name = SURNAMES[i] + GIVEN[(i * 7) % len(GIVEN)] + (GIVEN[i] if i % 3 else "")
        volunteer = Volunteer(
            real_name=name,
            phone=f"1390574{i:04d}",
            home_community=community,
            is_party_member=i % 3 == 0,
            unit=units.unit_for(community, "象山县供电公司") if i % 3 == 0 else None,
        )
        volunteers.append(volunteer)
        db.session.add(volunteer)
    volunteer_user = db.session.scalars(select(User).where(User.username == "volunteer")).one()
    volunteers[0].user = volunteer_user
    volunteers[0].real_name = "张伟"

    orgs = [
        Organisation(
            name="东谷社区党支部", kind=OrganisationKind.party_branch, area=communities[0]
        ),
        Organisation(
            name="红帆志愿服务队", kind=OrganisationKind.volunteer_team, area=communities[0]
        ),
        Organisation(
            name="象山县善园社工服务中心",
            kind=OrganisationKind.social_organisation,
            area=communities[1],
        ),
    ]
    db.session.add_all(orgs)
    db.session.flush()
    for volunteer in volunteers[:6]:
        db.session.add(Membership(organisation=orgs[1], volunteer=volunteer))

    categories = list(HouseholdCategory)
    households = []
    for i in range(8):
        community = communities[i % 2]
        # Every other household of a community sits in its first grid, so the demo
        # grid worker has households to visit.
        household_grid = _area(f"{community.code}-G1") if i % 4 < 2 else None
        id_first17 = f"33022519{50 + i:02d}0101{100 + i:03d}"
        household = Household(
            public_no=f"{community.code}-H{i // 2 + 1:03d}",
            head_name=SURNAMES[(i + 5) % 20] + GIVEN[(i * 3) % len(GIVEN)] + "英",
            members_count=1 + i % 4,
            address=f"{community.name}{i + 1}幢{101 + i}室",
            community=community,
            grid=household_grid,
            category=categories[i % len(categories)],
            id_number=id_first17 + id_check_char(id_first17),
            phone=f"1380574{i:04d}",
        )
        households.append(household)
        db.session.add(household)
    db.session.flush()

    start = dt.date(2026, 1, 1)
    for i, household in enumerate(households):
        same_community = [v for v in volunteers if v.home_community_id == household.community_id]
        db.session.add(Pairing(household=household, volunteer=same_community[i], start_date=start))
    db.session.add(Pairing(household=households[0], organisation=orgs[1], start_date=start))
    db.session.add(Pairing(household=households[1], organisation=orgs[2], start_date=start))
    db.session.flush()

    from points_app.store.demo import load_store_demo

    load_store_demo()
    from points_app.events.demo import load_events_demo

    load_events_demo()
    from points_app.issues.demo import load_issues_demo

    load_issues_demo()
    from points_app.ledger.demo import load_ledger_demo

    load_ledger_demo()
    _load_history()
    return rows


def _load_history() -> None:
    # A year of history for the reports; it adds itself once, also to an older demo database.
    from points_app.reports.demo import load_reports_demo

    load_reports_demo()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data (once; running it again changes nothing) and list the demo users."""
    if not current_app.config.get("DEMO_MODE"):
        raise click.ClickException("Demo data is only for demo mode (POINTS_ENV=development).")
    try:
        rows = load_demo()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Demo users (all passwords: {DEMO_PASSWORD}):")
    for username, _password, role in rows:
        click.echo(f"  {username:<12} {role}")
