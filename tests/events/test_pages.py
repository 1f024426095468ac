"""Every event page opens for the people who use it; projects and the needs list work."""

from __future__ import annotations

import html
import re

import pytest

from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.events import party, projects, services
from points_app.events.models import NeedSource, NeedStatus, ProjectStatus
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind
from tests.qrcodes import decode_svg


def _h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def test_organiser_pages_open_and_show_what_they_are_for(app, client, sign_in_as, people, event):
    sign_in_as(people["organiser"])
    title = event.title
    for path, heading, shown in (
        ("/events", "Events", [title]),
        ("/events/new", "New event", ['name="title"', 'name="starts_at"']),
        (f"/events/{event.id}", title, [event.place]),
        (f"/events/{event.id}/edit", "Edit event", [f'value="{title}"']),
        (f"/events/{event.id}/qr", title, ["<svg"]),
        (f"/events/{event.id}/poster", title, ["<svg"]),
        (f"/events/{event.id}/scan", title, ['name="code"']),
        ("/projects", "Venture projects", []),
        ("/needs", "Needs list", []),
        (f"/volunteers/{people['v'].id}/card", "张伟", ["<svg"]),
    ):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert _h1(page) == heading, path
        for text in shown:
            assert text in page, (path, text)
    present = client.get(f"/events/{event.id}/present.json")
    assert present.status_code == 200
    assert present.get_json() == {"count": 0, "present": [], "total": 0}


def test_the_event_qr_svg_reads_back_as_the_events_code(app, client, sign_in_as, people, event):
    sign_in_as(people["organiser"])
    response = client.get(f"/events/{event.id}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    (url,) = decode_svg(response.get_data(as_text=True))
    with app.test_request_context():
        assert services.event_from_code(qr.verify(url)).id == event.id


def test_volunteer_pages_open(client, sign_in_as, people, event):
    sign_in_as(people["vol_user"])
    for path, heading in (("/events", "Events"), ("/me/service", "My service"),
                          ("/needs", "Needs list")):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert _h1(response.get_data(as_text=True)) == heading, path
    assert client.get(f"/events/{event.id}").status_code == 404


def test_organiser_opening_a_person_card_can_check_them_in(app, client, sign_in_as, people, event):
    with app.test_request_context():
        token = services.person_token(people["v2"])
        url = qr.code_url(token)
    sign_in_as(people["organiser"])
    page = client.get(f"/q/{token}").get_data(as_text=True)
    assert "李娜" in page and event.title in page
    client.post(f"/events/{event.id}/scan", data={"code": url})
    assert [p["name"] for p in services.present(event)] == ["李娜"]


def test_project_is_published_claimed_and_closed(people, tree):
    org = Organisation(
        name="善园社工", kind=OrganisationKind.social_organisation, area=tree["community_a"]
    )
    team = Organisation(name="红帆", kind=OrganisationKind.volunteer_team, area=tree["community_a"])
    db.session.add_all([org, team])
    project = projects.publish_project(
        title="助老", area=tree["street"], budget_points=100, actor=people["committee"]
    )
    with pytest.raises(DomainError) as info:
        projects.claim_project(project, team, actor=people["organiser"])
    assert info.value.code == "validation_error"
    projects.claim_project(project, org, actor=people["organiser"])
    projects.close_project(project, actor=people["committee"])
    assert project.status is ProjectStatus.closed
    with pytest.raises(DomainError) as info:
        projects.claim_project(project, org, actor=people["organiser"])
    assert info.value.code == "invalid_transition"


def test_party_member_registers_then_claims_a_need_once(people, tree):
    v = people["v"]
    v.is_party_member = True
    need = party.post_need(
        community=tree["community_a"], title="换灯泡", source=NeedSource.resident,
        actor=people["organiser"],
    )  # fmt: skip
    with pytest.raises(DomainError) as info:
        party.transition_need(need, NeedStatus.claimed, actor=people["vol_user"], volunteer=v)
    assert info.value.code == "not_registered"
    party.register_party_member(v, actor=people["vol_user"])
    party.transition_need(need, NeedStatus.claimed, actor=people["vol_user"], volunteer=v)
    assert need.status is NeedStatus.claimed and need.claimed_by_id == v.id
    with pytest.raises(DomainError) as info:
        party.transition_need(need, NeedStatus.claimed, actor=people["vol_user"], volunteer=v)
    assert info.value.code == "invalid_transition"
    party.transition_need(need, NeedStatus.done, actor=people["organiser"])
    assert need.done_at is not None


def test_welfare_day_is_the_28th():
    import datetime as dt

    assert services.next_welfare_day(dt.date(2026, 3, 5)) == dt.date(2026, 3, 28)
    assert services.next_welfare_day(dt.date(2026, 3, 29)) == dt.date(2026, 4, 28)
    assert services.next_welfare_day(dt.date(2026, 12, 30)) == dt.date(2027, 1, 28)
