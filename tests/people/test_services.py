"""People services: the rules, called directly."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.people import queries, services
from points_app.people.models import HouseholdCategory, OrganisationKind, Pairing
from tests.people.conftest import valid_id

D = dt.date


def _household(actor, area, n=50, **kwargs):
    values = {
        "head_name": "李秀英", "members_count": 1, "address": "一幢202室", "area": area,
        "category": HouseholdCategory.elderly_alone, "id_number": valid_id(n),
    }  # fmt: skip
    values.update(kwargs)
    return services.create_household(actor, **values)


# Volunteers


def test_duplicate_volunteer_phone_names_the_volunteer_it_clashes_with(admin, people, tree):
    with pytest.raises(DomainError) as error:
        services.create_volunteer(
            admin, real_name="另一个人", phone="13900000001", home_community=tree["community_b"]
        )
    assert error.value.code == "duplicate_phone"
    message = str(error.value.message)
    assert "志愿者A" in message
    assert f"#{people['volunteer_a'].id}" in message
    assert "139****0001" in message
    assert "13900000001" not in message


def test_duplicate_phone_in_another_community_names_only_the_community(people, tree, make_user):
    committee_b = make_user(Role.committee, tree["community_b"])
    with pytest.raises(DomainError) as error:
        services.create_volunteer(
            committee_b, real_name="某人", phone="13900000001", home_community=tree["community_b"]
        )
    message = str(error.value.message)
    assert "志愿者A" not in message
    assert "社区A" in message


def test_volunteer_can_keep_own_phone_on_update(admin, people, tree):
    volunteer = people["volunteer_a"]
    services.update_volunteer(
        admin, volunteer, real_name="新名字", phone=volunteer.phone,
        home_community=tree["community_a"], is_party_member=True, work_unit="供电公司",
    )  # fmt: skip
    assert volunteer.real_name == "新名字"
    assert volunteer.is_party_member


def test_volunteer_lives_in_a_community_not_a_grid(admin, tree):
    with pytest.raises(DomainError) as error:
        services.create_volunteer(
            admin, real_name="某人", phone="13911112222", home_community=tree["grid_a"]
        )
    assert error.value.code == "invalid_area"


def test_committee_cannot_register_volunteer_in_another_community(tree, make_user):
    committee_a = make_user(Role.committee, tree["community_a"])
    with pytest.raises(DomainError) as error:
        services.create_volunteer(
            committee_a, real_name="某人", phone="13911112222", home_community=tree["community_b"]
        )
    assert error.value.code == "forbidden"


# Organisations and memberships


def test_organisation_name_is_unique_per_area_whatever_the_case(admin, tree):
    services.create_organisation(
        admin, name="Red Sails", kind=OrganisationKind.volunteer_team, area=tree["community_a"]
    )
    with pytest.raises(DomainError) as error:
        services.create_organisation(
            admin, name=" red  sails ", kind=OrganisationKind.party_branch,
            area=tree["community_a"],
        )  # fmt: skip
    assert error.value.code == "duplicate_name"
    assert "Red Sails" in str(error.value.message)
    # The same name in another community is a different organisation.
    services.create_organisation(
        admin, name="Red Sails", kind=OrganisationKind.volunteer_team, area=tree["community_b"]
    )


def test_organisation_cannot_belong_to_a_grid(admin, tree):
    with pytest.raises(DomainError) as error:
        services.create_organisation(
            admin, name="楼道队", kind=OrganisationKind.volunteer_team, area=tree["grid_a"]
        )
    assert error.value.code == "invalid_area"


def test_volunteer_cannot_join_the_same_organisation_twice(admin, people):
    with pytest.raises(DomainError) as error:
        services.add_member(admin, people["organisation_a"], people["volunteer_a"])
    assert error.value.code == "already_member"


def test_removing_a_member_keeps_the_volunteer(admin, people):
    services.remove_member(admin, people["membership_a"])
    db.session.commit()
    assert queries.members_of(people["organisation_a"]) == []
    assert people["volunteer_a"].id is not None


# Households


def test_household_numbers_follow_the_community_code(admin, tree):
    first = _household(admin, tree["community_a"], 1)
    second = _household(admin, tree["grid_a"], 2)
    other = _household(admin, tree["community_b"], 3)
    assert (first.public_no, second.public_no, other.public_no) == (
        "S-a-H001", "S-a-H002", "S-b-H001",
    )  # fmt: skip
    assert second.community == tree["community_a"]
    assert second.grid == tree["grid_a"]
    assert second.area == tree["grid_a"]


def test_household_number_is_not_reused_after_a_move(admin, tree):
    first = _household(admin, tree["community_a"], 1)
    _household(admin, tree["community_a"], 2)
    services.update_household(
        admin, first, head_name=first.head_name, members_count=1, address="新地址",
        area=tree["community_b"], category=first.category, id_number=first.id_number,
        phone=None,
    )  # fmt: skip
    third = _household(admin, tree["community_a"], 3)
    assert third.public_no == "S-a-H003"
    assert first.public_no == "S-a-H001"


def test_duplicate_id_number_names_the_household_by_number_only(admin, people, tree):
    existing = people["household_a"]
    with pytest.raises(DomainError) as error:
        _household(admin, tree["community_b"], 1)
    assert error.value.code == "duplicate_id_number"
    message = str(error.value.message)
    assert existing.public_no in message
    assert existing.id_number not in message
    assert existing.head_name not in message


def test_household_with_bad_id_number_or_phone_is_refused(admin, tree):
    with pytest.raises(DomainError) as error:
        _household(admin, tree["community_a"], id_number="330225195001011234")
    assert error.value.code == "invalid_id_number"
    with pytest.raises(DomainError) as error:
        _household(admin, tree["community_a"], phone="12345")
    assert error.value.code == "invalid_phone"


def test_household_must_lie_in_a_community(admin, tree):
    with pytest.raises(DomainError) as error:
        _household(admin, tree["street"])
    assert error.value.code == "invalid_area"


def test_household_members_must_be_between_one_and_thirty(admin, tree):
    for bad in (0, 31, -1):
        with pytest.raises(DomainError) as error:
            _household(admin, tree["community_a"], members_count=bad)
        assert error.value.code == "invalid_members"


def test_masked_details_write_no_audit_entry(admin, people):
    details = services.household_details(admin, people["household_a"])
    assert not details.is_private
    assert details.id_number == people["household_a"].masked_id_number
    viewed = select(AuditEntry).where(AuditEntry.action.like("%view%"))
    assert db.session.scalars(viewed).all() == []


def test_private_details_are_audited_without_personal_data(admin, people):
    household = people["household_a"]
    details = services.household_details(admin, household, private=True)
    assert details.id_number == household.id_number
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.view_private")
    ).one()
    assert entry.actor_id == admin.id
    assert entry.object_id == household.id
    text = repr(entry.detail)
    for secret in (household.id_number, household.phone, household.head_name, household.address):
        assert secret not in text


def test_private_details_are_refused_to_an_organiser(people, tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    with pytest.raises(DomainError) as error:
        services.household_details(organiser, people["household_a"], private=True)
    assert error.value.status == 404


# Pairings


def test_pairing_needs_exactly_one_partner(admin, people):
    household = people["household_a"]
    with pytest.raises(DomainError) as error:
        services.create_pairing(admin, household=household, start_date=D(2026, 2, 1))
    assert error.value.code == "one_partner"
    with pytest.raises(DomainError):
        services.create_pairing(
            admin, household=household, volunteer=people["volunteer_a"],
            organisation=people["organisation_a"], start_date=D(2026, 2, 1),
        )  # fmt: skip


def test_pairing_ending_before_it_starts_is_refused(admin, people):
    with pytest.raises(DomainError) as error:
        services.create_pairing(
            admin, household=people["household_a"], organisation=people["organisation_a"],
            start_date=D(2026, 3, 1), end_date=D(2026, 2, 28),
        )  # fmt: skip
    assert error.value.code == "end_before_start"


def test_pairing_may_end_on_the_day_it_starts(admin, people):
    pairing = services.create_pairing(
        admin, household=people["household_a"], organisation=people["organisation_a"],
        start_date=D(2026, 3, 1), end_date=D(2026, 3, 1),
    )  # fmt: skip
    assert pairing.is_current(D(2026, 3, 1))


def test_partner_from_another_community_is_refused(admin, people):
    with pytest.raises(DomainError) as error:
        services.create_pairing(
            admin, household=people["household_a"], volunteer=people["volunteer_b"],
            start_date=D(2026, 2, 1),
        )  # fmt: skip
    assert error.value.code == "partner_out_of_area"


def test_organisation_of_the_street_above_may_pair(admin, people, tree):
    street_org = services.create_organisation(
        admin, name="街道社工站", kind=OrganisationKind.social_organisation, area=tree["street"]
    )
    pairing = services.create_pairing(
        admin, household=people["household_a"], organisation=street_org, start_date=D(2026, 2, 1)
    )
    assert pairing.partner_name == "街道社工站"


def test_same_pair_cannot_be_paired_twice_at_once(admin, people):
    with pytest.raises(DomainError) as error:
        services.create_pairing(
            admin, household=people["household_a"], volunteer=people["volunteer_a"],
            start_date=D(2026, 6, 1),
        )  # fmt: skip
    assert error.value.code == "duplicate_pairing"
    assert "志愿者A" in str(error.value.message)


def test_same_pair_can_pair_again_after_the_pairing_ended(admin, people):
    services.end_pairing(admin, people["pairing_a"], end_date=D(2026, 3, 31))
    again = services.create_pairing(
        admin, household=people["household_a"], volunteer=people["volunteer_a"],
        start_date=D(2026, 4, 1),
    )  # fmt: skip
    assert again.id != people["pairing_a"].id
    # ...but not with a period overlapping the ended one.
    with pytest.raises(DomainError):
        services.create_pairing(
            admin, household=people["household_a"], volunteer=people["volunteer_a"],
            start_date=D(2026, 1, 15), end_date=D(2026, 2, 15),
        )  # fmt: skip


def test_the_database_refuses_two_open_pairings_of_the_same_pair(admin, people):
    from sqlalchemy.exc import IntegrityError

    original = people["pairing_a"]
    db.session.add(
        Pairing(
            household_id=original.household_id,
            volunteer_id=original.volunteer_id,
            start_date=D(2027, 1, 1),
        )  # fmt: skip
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_ending_a_pairing_before_it_started_is_refused(admin, people):
    with pytest.raises(DomainError) as error:
        services.end_pairing(admin, people["pairing_a"], end_date=D(2025, 12, 31))
    assert error.value.code == "end_before_start"


def test_an_ended_pairing_cannot_be_ended_again(admin, people):
    services.end_pairing(admin, people["pairing_a"], end_date=D(2026, 2, 1))
    with pytest.raises(DomainError) as error:
        services.end_pairing(admin, people["pairing_a"], end_date=D(2026, 3, 1))
    assert error.value.code == "already_ended"


def test_household_that_left_the_programme_cannot_be_paired(admin, people):
    household = people["household_a"]
    household.is_active = False
    with pytest.raises(DomainError) as error:
        services.create_pairing(
            admin, household=household, organisation=people["organisation_a"],
            start_date=D(2026, 2, 1),
        )  # fmt: skip
    assert error.value.code == "household_inactive"


def test_organiser_of_another_community_cannot_pair(people, tree, make_user):
    organiser_b = make_user(Role.organiser, tree["community_b"])
    with pytest.raises(DomainError) as error:
        services.create_pairing(
            organiser_b, household=people["household_a"], organisation=people["organisation_a"],
            start_date=D(2026, 2, 1),
        )  # fmt: skip
    assert error.value.code == "forbidden"


# Queries


def test_lists_show_only_the_users_areas(people, tree, make_user):
    committee_a = make_user(Role.committee, tree["community_a"])
    assert [v.real_name for v in queries.volunteers_page(committee_a).items] == ["志愿者A"]
    assert [o.name for o in queries.organisations_page(committee_a).items] == ["服务队A"]
    assert [h.public_no for h in queries.households_page(committee_a).items] == ["S-a-H001"]
    pairings = queries.pairings_page(committee_a, today=D(2026, 5, 1))
    assert [p.id for p in pairings.items] == [people["pairing_a"].id]


def test_grid_worker_sees_only_the_households_of_the_grid(people, tree, make_user):
    worker_a = make_user(Role.grid_worker, tree["grid_a"])
    worker_micro = make_user(Role.grid_worker, tree["micro_a"])
    assert [h.public_no for h in queries.households_page(worker_a).items] == ["S-a-H001"]
    assert queries.households_page(worker_micro).items == []


def test_household_search_matches_number_address_and_masked_name(admin, people):
    def found(q):
        return [h.public_no for h in queries.households_page(admin, q=q).items]

    assert found("s-b-h") == ["S-b-H001"]
    assert found("社区A一幢") == ["S-a-H001"]
    assert found("王**") == ["S-a-H001", "S-b-H001"]
    assert found("王A英") == []  # a full name is not a search key
    assert found("100%") == []


def test_lists_are_paged(admin, tree):
    for n in range(5):
        _household(admin, tree["community_a"], 100 + n)
    first = queries.households_page(admin, page=1, per_page=2)
    last = queries.households_page(admin, page=3, per_page=2)
    assert first.has_next and len(first.items) == 2
    assert not last.has_next and len(last.items) == 1


def test_pairing_list_splits_current_and_ended(admin, people):
    services.end_pairing(admin, people["pairing_b"], end_date=D(2026, 2, 1))
    today = D(2026, 5, 1)
    current = queries.pairings_page(admin, status="current", today=today).items
    ended = queries.pairings_page(admin, status="ended", today=today).items
    assert [p.id for p in current] == [people["pairing_a"].id]
    assert [p.id for p in ended] == [people["pairing_b"].id]
