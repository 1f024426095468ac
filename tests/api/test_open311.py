"""Open311 GeoReport v2 at /open311/v2: public reads, posting with an API token, JSON and XML."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.api.models import ApiToken
from points_app.api.services import revoke_token
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import Issue, IssueCategory, IssueChannel, IssueState
from points_app.issues.services import raise_issue
from points_app.open311 import services as open311

BASE = "/open311/v2"
SECRETS = ("张三丰", "13812345678", "李四", "13998765432", "网格员 王")


@pytest.fixture
def people(tree, make_user) -> dict[str, Any]:
    return {
        "grid": make_user(Role.grid_worker, tree["grid_a"], display_name="网格员 王"),
        "committee": make_user(Role.committee, tree["community_a"]),
        "grid_b": make_user(Role.grid_worker, tree["grid_b"]),
        "street": make_user(Role.committee, tree["street"]),
    }


@pytest.fixture
def issues(tree, people) -> dict[str, Issue]:
    """Open and closed issues in community A, one of them anonymous, and one in B."""

    def make(title: str, area: str = "grid_a", actor: str = "grid", **kwargs: Any) -> Issue:
        values: dict[str, Any] = {
            "category": IssueCategory.environment,
            "resident_name": "张三丰",
            "resident_phone": "13812345678",
            **kwargs,
        }
        return raise_issue(actor=people[actor], area=tree[area], title=title, **values)

    committee, grid = people["committee"], people["grid"]
    found = {
        "raised": make(
            "路灯不亮", category=IssueCategory.public_services, description="三号楼前的路灯坏了"
        ),  # fmt: skip
        "handling": make("楼道堆放杂物"),
        "closed": make("垃圾桶满了", description="张三丰家门口"),
        "anonymous": make(
            "邻居噪音",
            is_anonymous=True,
            description="李四 13998765432 太吵",
            resident_name="李四",
            resident_phone="13998765432",
            category=IssueCategory.neighbour_dispute,
        ),  # fmt: skip
        "elsewhere": make("B的事", area="grid_b", actor="grid_b"),
    }
    for key in ("handling", "closed", "anonymous"):
        workflow.transition(found[key], "deliberating", actor=committee)
        workflow.transition(found[key], "handling", actor=committee, decision="物业清理")
    for key in ("closed", "anonymous"):
        workflow.transition(found[key], "evaluating", actor=grid, note="已清运")
        workflow.evaluate_issue(found[key], actor=grid, satisfaction=5, solved=True)
    db.session.commit()
    return found


def _xml(response: Any) -> ET.Element:
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def _by_id(records: list[dict[str, Any]], issue: Issue) -> dict[str, Any]:
    return next(r for r in records if r["service_request_id"] == str(issue.id))


# --- discovery and services ---------------------------------------------------------------


def test_discovery_names_the_endpoint_and_its_formats(client):
    body = client.get(f"{BASE}/discovery.json").json
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"
    ]  # fmt: skip


def test_the_services_are_the_issue_categories(app, client):
    body = client.get(f"{BASE}/services.json").json
    assert [s["service_code"] for s in body] == [c.value for c in IssueCategory]
    assert body[0]["service_name"] == "Neighbour dispute" and body[0]["metadata"] is False
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == [c.value for c in IssueCategory]
    assert root.find("service/metadata").text == "false"
    with app.app_context():  # a fresh context per request, as in production
        chinese = client.get(f"{BASE}/services.json?lang=zh").json
    assert chinese[0]["service_name"] == "邻里纠纷"


def test_a_service_definition_asks_for_nothing_more(client):
    assert client.get(f"{BASE}/services/environment.json").json == {
        "service_code": "environment", "attributes": []
    }  # fmt: skip
    root = _xml(client.get(f"{BASE}/services/legal.xml"))
    assert (root.tag, root.findtext("service_code")) == ("service_definition", "legal")


def test_an_unknown_service_is_a_georeport_error(client):
    response = client.get(f"{BASE}/services/weather.json")
    assert response.status_code == 404
    assert response.json == [{"code": 404, "description": "There is no service weather."}]
    response = client.get(f"{BASE}/services/weather.xml")
    root = _xml(response)
    assert response.status_code == 404 and root.tag == "errors"
    assert root.findtext("error/code") == "404" and root.findtext("error/description")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nothing.json", 404),
        ("get", "/services.csv", 404),
        ("get", "/services", 404),
        ("get", "/requests/99999999999.json", 404),
        ("put", "/requests.json", 405),
    ],
)
def test_other_paths_answer_in_the_georeport_error_format(client, method, path, status):
    response = getattr(client, method)(BASE + path)
    assert response.status_code == status
    assert response.json[0]["code"] == status


# --- reading requests ---------------------------------------------------------------------


def test_requests_are_listed_newest_first_open_or_closed(client, issues):
    body = client.get(f"{BASE}/requests.json").json
    assert [r["service_request_id"] for r in body] == [
        str(issues[k].id) for k in ("elsewhere", "anonymous", "closed", "handling", "raised")
    ]
    statuses = {k: _by_id(body, issues[k])["status"] for k in issues}
    assert statuses == {
        "raised": "open", "handling": "open", "closed": "closed", "anonymous": "closed",
        "elsewhere": "open",
    }  # fmt: skip
    raised = _by_id(body, issues["raised"])
    assert raised["service_code"] == "public_services"
    assert raised["description"] == "三号楼前的路灯坏了"
    assert raised["status_notes"] == "Raised" and raised["expected_datetime"] is None
    assert raised["address"] == "社区A 网格A" and raised["agency_responsible"] == "社区A"
    assert raised["requested_datetime"].endswith("+08:00")


def test_a_request_being_handled_names_who_and_by_when(client, issues):
    record = client.get(f"{BASE}/requests/{issues['handling'].id}.json").json[0]
    assert record["agency_responsible"] == "网格A · Grid worker handles first"
    assert record["status_notes"] == "Handling · Grid worker handles first"
    due = issues["handling"].due_on
    assert record["expected_datetime"] == f"{due.isoformat()}T23:59:59+08:00"
    assert record["updated_datetime"] >= record["requested_datetime"]


def test_nothing_about_the_resident_is_public(client, issues):
    for path in ("/requests.json", "/requests.xml"):
        text = client.get(BASE + path).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (path, secret)
    closed = client.get(f"{BASE}/requests/{issues['closed'].id}.json").json[0]
    assert closed["status_notes"] == "Closed: 已清运"
    assert closed["description"] == "张**家门口"
    anonymous = client.get(f"{BASE}/requests/{issues['anonymous'].id}.json").json[0]
    assert anonymous["description"] == "邻居噪音" and anonymous["status_notes"] == "Closed"


def test_requests_come_as_xml_too(client, issues):
    response = client.get(f"{BASE}/requests/{issues['handling'].id}.xml")
    root = _xml(response)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert request.findtext("service_request_id") == str(issues["handling"].id)
    assert request.findtext("status") == "open"
    assert request.find("lat") is not None and request.findtext("lat") == ""
    everything = _xml(client.get(f"{BASE}/requests.xml"))
    assert len(everything.findall("request")) == 5


def test_requests_filter_by_status_service_area_dates_and_ids(client, issues):
    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.json
        return sorted(r["service_request_id"] for r in response.json)

    def expected(*keys: str) -> list[str]:
        return sorted(str(issues[k].id) for k in keys)

    assert ids("status=closed") == expected("closed", "anonymous")
    assert ids("status=open,closed") == expected(*issues)
    assert ids("service_code=public_services,neighbour_dispute") == expected("raised", "anonymous")
    assert ids("jurisdiction_id=S-b") == expected("elsewhere")
    assert ids("jurisdiction_id=S-a&status=open") == expected("raised", "handling")
    assert ids(f"service_request_id={issues['raised'].id},{issues['closed'].id}") == expected(
        "raised", "closed"
    )
    now = dt.datetime.now(dt.UTC)
    assert ids("end_date=" + (now - dt.timedelta(days=1)).date().isoformat()) == []
    later = (now + dt.timedelta(hours=1)).isoformat()
    assert ids(f"start_date={later.replace('+00:00', 'Z')}") == []
    assert len(ids(f"start_date={(now - dt.timedelta(days=1)).date().isoformat()}")) == 5


def test_requests_older_than_ninety_days_need_dates(client, issues):
    old = issues["raised"]
    old.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
    db.session.commit()
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json]
    assert str(old.id) not in listed
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).date().isoformat()
    listed = [
        r["service_request_id"] for r in client.get(f"{BASE}/requests.json?start_date={start}").json
    ]
    assert str(old.id) in listed


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("status=pending", 400),
        ("start_date=yesterday", 400),
        ("end_date=2026-13-01", 400),
        ("service_request_id=1,x", 400),
        ("service_code=weather", 404),
        ("jurisdiction_id=nowhere", 404),
    ],
)
def test_a_bad_filter_is_a_georeport_error(client, query, status):
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == status
    assert response.json[0]["code"] == status and response.json[0]["description"]


def test_an_unknown_request_is_not_found(client):
    response = client.get(f"{BASE}/requests/424242.json")
    assert response.status_code == 404 and response.json[0]["code"] == 404
    assert _xml(client.get(f"{BASE}/requests/424242.xml")).tag == "errors"


# --- posting ------------------------------------------------------------------------------


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


def _form(**extra: str) -> dict[str, str]:
    return {
        "jurisdiction_id": "S-a-g",
        "service_code": "environment",
        "description": "小区门口的垃圾没人清运\n已经三天了",
        "address_string": "幸福路8号",
        "lat": "29.476",
        "long": "121.869",
        "first_name": "三丰",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhang@example.com",
        **extra,
    }


def test_a_request_posted_with_an_api_key_becomes_an_online_anonymous_issue(
    client, api_headers, people
):
    api_key = api_headers(people["grid"])["Authorization"].split()[1]
    response = client.post(f"{BASE}/requests.json", data=_form(api_key=api_key))
    assert response.status_code == 201, response.json
    (answer,) = response.json
    issue = db.session.get(Issue, int(answer["service_request_id"]))
    assert issue is not None and issue.state is IssueState.raised
    assert (issue.channel, issue.is_anonymous, issue.area.code) == (
        IssueChannel.online, True, "S-a-g"
    )  # fmt: skip
    assert issue.title == "小区门口的垃圾没人清运"
    assert "幸福路8号 (29.476000, 121.869000)" in issue.description
    assert (issue.resident_name, issue.resident_phone) == ("张三丰", "13812345678")
    assert "zhang@example.com" not in issue.description
    assert issue.raised_by_id == people["grid"].id

    token = client.get(f"{BASE}/tokens/{answer['token']}.json").json
    assert token == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    public = client.get(f"{BASE}/requests/{issue.id}.json").get_data(as_text=True)
    assert "张三丰" not in public and "13812345678" not in public


def test_a_request_may_be_posted_with_a_bearer_token_and_answered_in_xml(
    client, api_headers, people
):
    headers = api_headers(people["grid"])
    form = _form(description="", lat="", long="", first_name="", last_name="", phone="")
    response = client.post(f"{BASE}/requests.xml", data=form, headers=headers)
    assert response.status_code == 201
    root = _xml(response)
    issue_id = root.findtext("request/service_request_id")
    token = root.findtext("request/token")
    issue = db.session.get(Issue, int(issue_id))
    assert issue.title == "Environment and sanitation" and issue.resident_name is None
    assert _xml(client.get(f"{BASE}/tokens/{token}.xml")).findtext("request/token") == token


def test_posting_needs_a_valid_api_key(client, api_headers, people, app):
    app.config["WTF_CSRF_ENABLED"] = True  # not needed: the key is the credential
    response = client.post(f"{BASE}/requests.json", data=_form())
    assert response.status_code == 403 and response.json[0]["code"] == 403
    response = client.post(f"{BASE}/requests.json", data=_form(api_key="made-up"))
    assert response.status_code == 403
    api_key = api_headers(people["grid"])["Authorization"].split()[1]
    revoke_token(db.session.scalars(select(ApiToken)).one())
    db.session.commit()
    response = client.post(f"{BASE}/requests.json", data=_form(api_key=api_key))
    assert response.status_code == 403
    assert _issue_count() == 0


def test_a_session_cookie_does_not_post_requests(client, login_as, people):
    login_as(people["grid"])
    response = client.post(f"{BASE}/requests.json", data=_form())
    assert response.status_code == 403 and _issue_count() == 0


def test_posting_outside_the_key_holders_areas_is_forbidden(client, api_headers, people):
    headers = api_headers(people["grid"])
    response = client.post(
        f"{BASE}/requests.json", data=_form(jurisdiction_id="S-b"), headers=headers
    )
    assert response.status_code == 403 and response.json[0]["code"] == 403
    assert _issue_count() == 0


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"service_code": ""}, 400),
        ({"jurisdiction_id": ""}, 400),
        ({"service_code": "weather"}, 404),
        ({"jurisdiction_id": "nowhere"}, 404),
        ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"lat": "95", "long": "121"}, 400),
        ({"lat": "nan", "long": "121"}, 400),
        ({"long": ""}, 400),
        ({"phone": "call me"}, 400),
        ({"description": "x" * 4001}, 400),
    ],
)
def test_a_bad_post_is_a_georeport_error(client, api_headers, people, change, status):
    response = client.post(
        f"{BASE}/requests.json", data=_form(**change), headers=api_headers(people["grid"])
    )
    assert response.status_code == status, response.json
    assert response.json[0]["code"] == status and response.json[0]["description"]
    assert _issue_count() == 0


def test_a_request_belongs_to_a_community_or_below(client, api_headers, people):
    headers = api_headers(people["street"])
    response = client.post(
        f"{BASE}/requests.json", data=_form(jurisdiction_id="S"), headers=headers
    )
    assert response.status_code == 400 and "community" in response.json[0]["description"]
    assert _issue_count() == 0


def test_a_json_body_is_accepted_too(client, api_headers, people):
    body = {**_form(), "lat": 29.476, "long": 121.869}
    response = client.post(f"{BASE}/requests.json", json=body, headers=api_headers(people["grid"]))
    assert response.status_code == 201 and _issue_count() == 1


def test_a_forged_token_is_not_found(client, issues):
    good = open311.request_token(issues["raised"].id)
    for token in (good[:-1] + ("0" if good[-1] != "0" else "1"), "abc", f"{issues['raised'].id}"):
        response = client.get(f"{BASE}/tokens/{token}.json")
        assert response.status_code == 404 and response.json[0]["code"] == 404


def test_numbers_that_identify_someone_are_masked_in_public_text(client, tree, people):
    issue = raise_issue(
        actor=people["grid"], area=tree["grid_a"], title="求助", category=IssueCategory.other,
        description="联系13998765432，身份证330225195001011234，座机0574-65123456",
        resident_phone="0574-65123456",
    )  # fmt: skip
    db.session.commit()
    text = client.get(f"{BASE}/requests/{issue.id}.json").json[0]["description"]
    assert text == "联系139****5432，身份证3302**********1234，座机********3456"


def test_public_text_masks_other_formats_and_known_names(client, tree, people):
    from points_app.people.models import Household, HouseholdCategory

    db.session.add(
        Household(
            public_no="S-a-H001", head_name="赵大妈", address="幸福路1号",
            community=tree["community_a"], category=HouseholdCategory.elderly_alone,
        )
    )  # fmt: skip
    issue = raise_issue(
        actor=people["grid"], area=tree["grid_a"], title="求助", category=IssueCategory.other,
        description="张三丰说赵大妈家漏水，电话 +86 139-8765-4321，身份证 330225 19500101 001X",
        resident_name="张三丰",
    )  # fmt: skip
    db.session.commit()
    text = client.get(f"{BASE}/requests/{issue.id}.json").json[0]["description"]
    assert text == "张**说赵**家漏水，电话 139****4321，身份证 3302**********001X"


def test_a_title_taken_from_the_description_carries_no_number_or_name(client, api_headers, people):
    form = _form(description="张三丰家门口 139 8765 4321 的车堵路\n第二行")
    response = client.post(f"{BASE}/requests.json", data=form, headers=api_headers(people["grid"]))
    assert response.status_code == 201, response.json
    issue = db.session.get(Issue, int(response.json[0]["service_request_id"]))
    assert issue.title == "张**家门口 139****4321 的车堵路"
    assert "139 8765 4321" in issue.description  # kept as typed, for those who may see it
