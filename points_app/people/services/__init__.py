"""People services: volunteers, organisations, memberships, households, pairings.

Plain functions taking the acting user; they flush, never commit. One module per kind of
record; this package names them all.
"""

from points_app.people.services.common import MAX_MEMBERS
from points_app.people.services.households import (
    HouseholdDetails,
    create_household,
    find_households_by_number,
    household_details,
    update_household,
)
from points_app.people.services.organisations import (
    add_member,
    create_organisation,
    remove_member,
    update_organisation,
)
from points_app.people.services.pairings import create_pairing, end_pairing
from points_app.people.services.volunteers import (
    create_volunteer,
    reveal_volunteer_phone,
    update_volunteer,
)

__all__ = [
    "MAX_MEMBERS",
    "HouseholdDetails",
    "add_member",
    "create_household",
    "create_organisation",
    "create_pairing",
    "create_volunteer",
    "end_pairing",
    "find_households_by_number",
    "household_details",
    "remove_member",
    "reveal_volunteer_phone",
    "update_household",
    "update_organisation",
    "update_volunteer",
]
