"""Names of the issue enums in the current language (lazy, so usable at import time)."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from points_app.issues.models import (
    AttendeeKind,
    HandlingLevel,
    IssueCategory,
    IssueChannel,
    IssueState,
)

STATE_LABELS: dict[IssueState, LazyString] = {
    # TRANSLATORS: the four stages of 居民说事 are 说 / 议 / 办 / 评.
    IssueState.raised: _l("Raised"),  # TRANSLATORS: 说
    IssueState.deliberating: _l("Deliberating"),  # TRANSLATORS: 议
    IssueState.handling: _l("Handling"),  # TRANSLATORS: 办
    IssueState.evaluating: _l("Evaluating"),  # TRANSLATORS: 评
    IssueState.closed: _l("Closed"),  # TRANSLATORS: 已办结
    IssueState.rejected: _l("Rejected"),  # TRANSLATORS: 不予受理
    IssueState.merged: _l("Merged into another issue"),
}

LEVEL_LABELS: dict[HandlingLevel, LazyString] = {
    HandlingLevel.grid: _l("Grid worker handles first"),  # TRANSLATORS: 网格员首办
    HandlingLevel.community: _l("Social worker takes it on"),  # TRANSLATORS: 社工承办
    HandlingLevel.street: _l("Street departments jointly"),  # TRANSLATORS: 街道部门联办
}

SHORT_LEVEL_LABELS: dict[HandlingLevel, LazyString] = {
    HandlingLevel.grid: _l("Grid"),
    HandlingLevel.community: _l("Community"),
    HandlingLevel.street: _l("Street"),
}

CATEGORY_LABELS: dict[IssueCategory, LazyString] = {
    IssueCategory.neighbour_dispute: _l("Neighbour dispute"),
    IssueCategory.property_management: _l("Property management"),
    IssueCategory.illegal_building: _l("Illegal building"),
    IssueCategory.environment: _l("Environment and sanitation"),
    IssueCategory.public_services: _l("Public services"),
    IssueCategory.legal: _l("Legal matter"),
    IssueCategory.other: _l("Other"),
}

CHANNEL_LABELS: dict[IssueChannel, LazyString] = {
    IssueChannel.talk_session: _l("Talk session"),
    IssueChannel.grid_visit: _l("Grid worker visit"),
    IssueChannel.online: _l("Online"),
    IssueChannel.hometown_talk: _l("Home-town talk, for residents from elsewhere"),  # 乡音说事
    IssueChannel.hotline: _l("Hotline"),
}

ATTENDEE_LABELS: dict[AttendeeKind, LazyString] = {
    AttendeeKind.residents: _l("Residents"),
    AttendeeKind.party_members: _l("Party members"),
    AttendeeKind.residents_committee: _l("Residents' committee"),
    AttendeeKind.property_company: _l("Property company"),
    AttendeeKind.owners_committee: _l("Owners' committee"),
    AttendeeKind.resident_units: _l("Resident units"),
    AttendeeKind.stakeholders: _l("Invited stakeholders"),
    AttendeeKind.legal_adviser: _l("Community legal adviser"),
}


def state_label(state: IssueState | str) -> LazyString:
    """The state's name in the current language."""
    return STATE_LABELS[IssueState(state)]


def level_label(level: HandlingLevel | str) -> LazyString:
    """The handling level's full name in the current language."""
    return LEVEL_LABELS[HandlingLevel(level)]


def short_level_label(level: HandlingLevel | str) -> LazyString:
    """The handling level's short name."""
    return SHORT_LEVEL_LABELS[HandlingLevel(level)]


def category_label(category: IssueCategory | str) -> LazyString:
    """The category's name in the current language."""
    return CATEGORY_LABELS[IssueCategory(category)]


def channel_label(channel: IssueChannel | str) -> LazyString:
    """The channel's name in the current language."""
    return CHANNEL_LABELS[IssueChannel(channel)]


def attendee_label(kind: AttendeeKind | str) -> LazyString:
    """The attendee kind's name in the current language."""
    return ATTENDEE_LABELS[AttendeeKind(kind)]
