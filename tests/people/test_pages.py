"""People pages through the test client: lists, forms, details, pairing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.extensions import db
from points_app.people.models import Household, Membership, Organisation, Pairing, Volunteer
from tests.people.conftest import valid_id, wrong_check
from tests.people.pages import field_errors, field_value


def _committee_a(tree, make_user, login_as):
    user = make_user(Role.committee, tree["community_a"])
    login_as(user)
    return user


# Lists


def test_empty_lists_say_what_to_do(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    for url, hint in (
        ("/volunteers", "Register a volunteer"),
        ("/organisations", "Register an organisation"),
        ("/households", "Register a household"),
        ("/pairings", "Pair a partner"),
    ):
        page = client.get(url).get_data(as_text=True)
        assert hint in page, url


def test_volunteer_list_searches_and_filters_by_community(client, people, admin, login_as):
    login_as(admin)
    page = client.get("/volunteers").get_data(as_text=True)
    assert "志愿者A" in page and "志愿者B" in page
    page = client.get("/volunteers?q=志愿者B").get_data(as_text=True)
    assert "志愿者A" not in page and "志愿者B" in page
    community_a = people["volunteer_a"].home_community_id
    page = client.get(f"/volunteers?community={community_a}").get_data(as_text=True)
    assert "志愿者A" in page and "志愿者B" not in page
    page = client.get("/volunteers?q=nobody-at-all").get_data(as_text=True)
    assert "No volunteer matches" in page


def test_lists_have_a_next_page_link(app, client, people, admin, login_as):
    app.config["PAGE_SIZE"] = 1
    login_as(admin)
    page = client.get("/households").get_data(as_text=True)
    assert "page=2" in page
    page = client.get("/households?page=2").get_data(as_text=True)
    assert "S-b-H001" in page and "S-a-H001" not in page


def test_household_list_flags_households_without_partner(client, people, admin, login_as):
    login_as(admin)
    client.post(f"/pairings/{people['pairing_b'].id}/end", data={"end_date": "2026-01-01"})
    page = client.get("/households").get_data(as_text=True)
    assert page.count("no partner yet") == 1


def test_organisation_and_pairing_lists_show_their_rows(client, people, admin, login_as):
    login_as(admin)
    page = client.get("/organisations?q=服务队A").get_data(as_text=True)
    assert "服务队A" in page and "服务队B" not in page
    page = client.get("/pairings?status=all&q=S-b").get_data(as_text=True)
    assert "S-b-H001" in page and "S-a-H001" not in page


# Volunteers


def test_registering_a_volunteer_leads_to_their_page(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    response = client.post(
        "/volunteers/new",
        data={
            "real_name": "陈静", "phone": "13812345678",
            "home_community_id": tree["community_a"].id, "is_party_member": "y",
        },
    )  # fmt: skip
    assert response.status_code == 302
    volunteer = db.session.scalars(select(Volunteer)).one()
    assert volunteer.is_party_member
    # Registering opens a sign-in account: first the one-time link to hand over.
    assert response.headers["Location"].endswith(f"/volunteers/{volunteer.id}/sign-in-link")
    page = client.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "陈静" in page and "138****5678" in page and "13812345678" not in page


def test_volunteer_form_shows_errors_beside_fields_and_keeps_input(
    client, tree, make_user, login_as
):
    _committee_a(tree, make_user, login_as)
    response = client.post(
        "/volunteers/new",
        data={"real_name": "", "phone": "1381234", "home_community_id": tree["community_a"].id},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(page, "real_name")
    assert "11-digit" in field_errors(page, "phone")[0]
    assert field_value(page, "phone") == "1381234"
    assert db.session.scalars(select(Volunteer)).all() == []


def test_volunteer_in_a_community_outside_ones_areas_is_not_a_choice(
    client, tree, make_user, login_as
):
    _committee_a(tree, make_user, login_as)
    page = client.post(
        "/volunteers/new",
        data={
            "real_name": "陈静", "phone": "13812345678",
            "home_community_id": tree["community_b"].id,
        },
    ).get_data(as_text=True)  # fmt: skip
    assert field_errors(page, "home_community_id")
    assert field_value(page, "real_name") == "陈静"


def test_duplicate_phone_on_the_form_names_the_volunteer(client, people, admin, login_as):
    login_as(admin)
    existing = people["volunteer_a"]
    page = client.post(
        "/volunteers/new",
        data={
            "real_name": "重复", "phone": existing.phone,
            "home_community_id": existing.home_community_id,
        },
    ).get_data(as_text=True)  # fmt: skip
    errors = field_errors(page, "phone")
    assert errors and "志愿者A" in errors[0] and f"#{existing.id}" in errors[0]
    assert field_value(page, "real_name") == "重复"


def test_editing_a_volunteer_saves_the_change(client, people, admin, login_as):
    login_as(admin)
    volunteer = people["volunteer_a"]
    form = client.get(f"/volunteers/{volunteer.id}/edit").get_data(as_text=True)
    assert field_value(form, "phone") == volunteer.phone
    response = client.post(
        f"/volunteers/{volunteer.id}/edit",
        data={
            "real_name": "改名", "phone": volunteer.phone,
            "home_community_id": volunteer.home_community_id, "work_unit": "县医院",
        },
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).work_unit == "县医院"


def test_volunteer_page_lists_organisations_and_paired_households(client, people, admin, login_as):
    login_as(admin)
    page = client.get(f"/volunteers/{people['volunteer_a'].id}").get_data(as_text=True)
    assert "服务队A" in page
    assert "S-a-H001" in page
    assert "王**" in page


def test_who_may_see_and_edit_volunteers(client, people, tree, make_user, switch_to):
    volunteer = people["volunteer_a"]
    switch_to(make_user(Role.grid_worker, tree["community_a"]))
    assert client.get(f"/volunteers/{volunteer.id}").status_code == 200
    assert client.get(f"/volunteers/{volunteer.id}/edit").status_code == 403
    switch_to(make_user(Role.organiser, tree["community_a"]))
    assert client.get(f"/volunteers/{volunteer.id}/edit").status_code == 200
    switch_to(make_user(Role.clerk, tree["community_a"]))
    assert client.get("/volunteers").status_code == 403
    assert client.get(f"/volunteers/{volunteer.id}").status_code == 404


# Organisations and members


def test_registering_an_organisation_and_its_duplicate(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    data = {"name": "东谷党支部", "kind": "party_branch", "area_id": tree["community_a"].id}
    assert client.post("/organisations/new", data=data).status_code == 302
    page = client.post("/organisations/new", data=data).get_data(as_text=True)
    errors = field_errors(page, "name")
    assert errors and "东谷党支部" in errors[0] and "#" in errors[0]


def test_organisation_form_refuses_bad_phone_and_kind(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    page = client.post(
        "/organisations/new",
        data={"name": "某队", "kind": "pirates", "area_id": tree["community_a"].id,
              "contact_phone": "12"},
    ).get_data(as_text=True)  # fmt: skip
    assert field_errors(page, "kind")
    assert field_errors(page, "contact_phone")
    assert field_value(page, "contact_phone") == "12"


def test_adding_and_removing_a_member(client, people, admin, login_as, tree):
    login_as(admin)
    organisation = people["organisation_a"]
    from points_app.people import services

    newcomer = services.create_volunteer(
        admin, real_name="新人", phone="13700000000", home_community=tree["community_a"]
    )
    db.session.commit()
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "新人" in page  # offered as a new member
    response = client.post(
        f"/organisations/{organisation.id}/members",
        data={"volunteer_id": newcomer.id, "is_leader": "y"},
    )
    assert response.status_code == 302
    membership = db.session.scalars(
        select(Membership).where(Membership.volunteer_id == newcomer.id)
    ).one()
    assert membership.is_leader
    response = client.post(f"/organisations/{organisation.id}/members/{membership.id}/remove")
    assert response.status_code == 302
    assert (
        db.session.scalars(select(Membership).where(Membership.volunteer_id == newcomer.id)).all()
        == []
    )


def test_member_of_another_organisation_cannot_be_removed_through_this_one(
    client, people, admin, login_as
):
    login_as(admin)
    url = f"/organisations/{people['organisation_a'].id}/members/{people['membership_b'].id}/remove"
    assert client.post(url).status_code == 404


def test_organisation_page_shows_its_pairings(client, people, admin, login_as):
    login_as(admin)
    from points_app.people import services

    services.create_pairing(
        admin, household=people["household_a"], organisation=people["organisation_a"],
        start_date=dt.date(2026, 1, 1),
    )  # fmt: skip
    db.session.commit()
    page = client.get(f"/organisations/{people['organisation_a'].id}").get_data(as_text=True)
    assert "S-a-H001" in page


# Households


def _household_data(tree, **overrides):
    data = {
        "head_name": "刘桂英", "members_count": "3", "area_id": tree["grid_a"].id,
        "address": "社区A二幢303室", "category": "disability",
        "id_number": valid_id(99), "phone": "13600001111",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_registering_a_household_gives_it_a_number(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    response = client.post("/households/new", data=_household_data(tree))
    assert response.status_code == 302
    household = db.session.scalars(select(Household)).one()
    assert household.public_no == "S-a-H001"
    assert household.grid_id == tree["grid_a"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "S-a-H001" in page and "刘**" in page


def test_household_form_refuses_bad_id_and_phone_and_keeps_them(client, tree, make_user, login_as):
    _committee_a(tree, make_user, login_as)
    bad_id = wrong_check(valid_id(99))
    response = client.post(
        "/households/new",
        data=_household_data(tree, id_number=bad_id, phone="1360000", members_count="0"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "last character" in field_errors(page, "id_number")[0]
    assert field_errors(page, "phone")
    assert field_errors(page, "members_count")
    assert field_value(page, "id_number") == bad_id
    assert field_value(page, "head_name") == "刘桂英"
    assert db.session.scalars(select(Household)).all() == []


def test_duplicate_id_number_on_the_form_names_the_household(client, people, admin, login_as, tree):
    login_as(admin)
    existing = people["household_a"]
    page = client.post(
        "/households/new", data=_household_data(tree, id_number=existing.id_number)
    ).get_data(as_text=True)
    errors = field_errors(page, "id_number")
    assert errors and existing.public_no in errors[0]
    assert existing.id_number not in errors[0]


def test_editing_a_household_keeps_its_number(client, people, admin, login_as, tree):
    login_as(admin)
    household = people["household_a"]
    response = client.post(
        f"/households/{household.id}/edit",
        data=_household_data(tree, id_number=household.id_number, area_id=tree["community_a"].id),
    )
    assert response.status_code == 302
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.public_no == "S-a-H001"
    assert household.head_name == "刘桂英"
    assert household.grid_id is None
    assert not household.is_active  # the box was not ticked


def test_opening_the_household_edit_form_is_audited(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    page = client.get(f"/households/{household.id}/edit").get_data(as_text=True)
    assert field_value(page, "id_number") == household.id_number
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.view_private")
    ).one()
    assert entry.detail == {"purpose": "edit"}


def test_organiser_may_not_edit_households(client, people, tree, make_user, login_as):
    login_as(make_user(Role.organiser, tree["community_a"]))
    assert client.get(f"/households/{people['household_a'].id}/edit").status_code == 403
    assert client.get("/households/new").status_code == 403


# Pairings


def test_pairing_starts_by_choosing_a_household(client, people, admin, login_as):
    login_as(admin)
    page = client.get("/pairings/new").get_data(as_text=True)
    assert "S-a-H001" in page and "S-b-H001" in page


def test_pairing_a_household_from_its_page(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    page = client.get(f"/pairings/new?household={household.id}").get_data(as_text=True)
    assert "服务队A" in page and "服务队B" not in page  # only partners that may pair
    response = client.post(
        f"/pairings/new?household={household.id}",
        data={
            "household_id": household.id, "partner": f"o:{people['organisation_a'].id}",
            "start_date": "2026-02-01",
        },
    )  # fmt: skip
    assert response.status_code == 302
    pairing = db.session.scalars(
        select(Pairing).where(Pairing.organisation_id == people["organisation_a"].id)
    ).one()
    assert pairing.start_date == dt.date(2026, 2, 1)
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "服务队A" in page and "志愿者A" in page


def test_pairing_from_a_volunteer_offers_households_of_their_community(
    client, people, admin, login_as
):
    login_as(admin)
    page = client.get(f"/pairings/new?volunteer={people['volunteer_b'].id}").get_data(as_text=True)
    assert "S-b-H001" in page and "S-a-H001" not in page


def test_pairing_ending_before_it_starts_is_refused_on_the_form(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    page = client.post(
        f"/pairings/new?household={household.id}",
        data={
            "household_id": household.id, "partner": f"o:{people['organisation_a'].id}",
            "start_date": "2026-02-01", "end_date": "2026-01-01",
        },
    ).get_data(as_text=True)  # fmt: skip
    assert "before the start date" in field_errors(page, "end_date")[0]
    assert field_value(page, "end_date") == "2026-01-01"
    assert db.session.scalars(select(Pairing)).all() != []  # only the fixture's pairings
    assert len(db.session.scalars(select(Pairing)).all()) == 2


def test_duplicate_pairing_on_the_form_names_the_existing_one(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    page = client.post(
        f"/pairings/new?household={household.id}",
        data={
            "household_id": household.id, "partner": f"v:{people['volunteer_a'].id}",
            "start_date": "2026-02-01",
        },
    ).get_data(as_text=True)  # fmt: skip
    errors = field_errors(page, "partner")
    assert errors and f"#{people['pairing_a'].id}" in errors[0]


def test_ending_a_pairing_with_a_date(client, people, admin, login_as):
    login_as(admin)
    pairing = people["pairing_a"]
    page = client.get(f"/pairings/{pairing.id}").get_data(as_text=True)
    assert "End pairing" in page and "data-confirm=" in page
    page = client.post(f"/pairings/{pairing.id}/end", data={"end_date": "2025-12-01"}).get_data(
        as_text=True
    )
    assert "before the start date" in field_errors(page, "end_date")[0]
    response = client.post(f"/pairings/{pairing.id}/end", data={"end_date": "2026-03-31"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pairing, pairing.id).end_date == dt.date(2026, 3, 31)
    page = client.get(f"/pairings/{pairing.id}").get_data(as_text=True)
    assert "End pairing" not in page
    response = client.post(f"/pairings/{pairing.id}/end", data={"end_date": "2026-04-30"})
    assert response.status_code == 302  # refused with a message, nothing changes
    db.session.expire_all()
    assert db.session.get(Pairing, pairing.id).end_date == dt.date(2026, 3, 31)


def test_clerk_may_see_pairings_but_not_make_them(client, people, tree, make_user, login_as):
    login_as(make_user(Role.clerk, tree["community_a"]))
    assert client.get("/pairings").status_code == 200
    assert client.get(f"/pairings/{people['pairing_a'].id}").status_code == 200
    assert client.get("/pairings/new").status_code == 403
    response = client.post(
        f"/pairings/{people['pairing_a'].id}/end", data={"end_date": "2026-03-31"}
    )
    assert response.status_code == 403


def test_organisation_list_is_hidden_from_ones_without_rights(client, tree, make_user, login_as):
    login_as(make_user(Role.clerk, tree["community_a"]))
    assert client.get("/organisations").status_code == 403
    assert client.get("/organisations/new").status_code == 403
    assert Organisation  # imported for the models' metadata
