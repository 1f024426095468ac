"""Names of the figures in the current language, and the list behind each one."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

FIGURE_LABELS: dict[str, LazyString] = {
    "party_members_registered": _l("Party members registered"),  # TRANSLATORS: 在职党员报到
    "party_members_reporting": _l("Party members serving"),
    "volunteer_teams_active": _l("Volunteer teams active"),
    "units_active": _l("Units' Party organisations active"),
    "talk_sessions": _l("Talk sessions held"),
    "issues_raised": _l("Issues raised"),
    "issues_resolved": _l("Issues resolved"),
    "issues_overdue": _l("Issues overdue"),
    "median_days_to_resolve": _l("Median days to resolve"),
    "average_satisfaction": _l("Average satisfaction"),
    "disputes_mediated": _l("Disputes mediated"),
    "mediations": _l("Mediations held"),
    "legal_talks": _l("Legal talks"),
    "legal_talk_attendance": _l("Legal talk attendance"),
    "legal_problems_solved": _l("Legal problems solved"),
    "venture_projects_published": _l("Venture projects published"),
    "venture_projects_claimed": _l("Venture projects claimed"),
    "venture_projects_closed": _l("Venture projects finished"),
    "welfare_days": _l("Public-welfare days held"),
    "people_served": _l("People served"),
    "volunteers_active": _l("Volunteers active"),
    "volunteer_hours": _l("Volunteer hours"),
    "points_issued": _l("Points issued"),
    "points_given": _l("Points to households"),
    "points_redeemed": _l("Points redeemed"),
    "households_served": _l("Households served by the store"),
    "stock_value": _l("Stock value (points, now)"),
}

# The list behind each figure: an export kind and a filter of it.
FIGURE_LISTS: dict[str, tuple[str, str]] = {
    "party_members_registered": ("party_registrations", ""),
    "party_members_reporting": ("volunteers", "party"),
    "volunteer_teams_active": ("organisations", "teams"),
    "units_active": ("organisations", "units"),
    "talk_sessions": ("talk_sessions", ""),
    "issues_raised": ("issues", ""),
    "issues_resolved": ("issues", "resolved"),
    "issues_overdue": ("issues", "overdue"),
    "median_days_to_resolve": ("issues", "resolved"),
    "average_satisfaction": ("issues", "rated"),
    "disputes_mediated": ("mediations", "settled"),
    "mediations": ("mediations", ""),
    "legal_talks": ("events", "legal_talk"),
    "legal_talk_attendance": ("events", "legal_talk"),
    "legal_problems_solved": ("issues", "legal"),
    "venture_projects_published": ("projects", "published"),
    "venture_projects_claimed": ("projects", "claimed"),
    "venture_projects_closed": ("projects", "closed"),
    "welfare_days": ("events", "welfare_day"),
    "people_served": ("events", "served"),
    "volunteers_active": ("volunteers", ""),
    "volunteer_hours": ("attendances", ""),
    "points_issued": ("transfers", "issued"),
    "points_given": ("transfers", "given"),
    "points_redeemed": ("redemptions", ""),
    "households_served": ("redemptions", ""),
    "stock_value": ("stock", ""),
}

LEVEL_NAMES: dict[str, LazyString] = {
    "grid": _l("Grid"),
    "community": _l("Community"),
    "street": _l("Street"),
    "none": _l("Not handled yet"),
}


def figure_label(key: str) -> str:
    """A figure's name in the current language."""
    return str(FIGURE_LABELS[key])
