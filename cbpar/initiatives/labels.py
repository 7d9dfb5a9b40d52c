"""Translatable labels for the initiatives feature's choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cbpar.initiatives.models import (
    ContributionKind,
    ContributionStatus,
    FunderType,
    IndicatorSource,
    InitiativeStatus,
    MapMeasure,
)

STATUS_LABELS = {
    InitiativeStatus.PROPOSED: _l("Proposed"),
    InitiativeStatus.PLANNING: _l("Planning"),
    InitiativeStatus.FUNDRAISING: _l("Fundraising"),
    InitiativeStatus.IN_PROGRESS: _l("In progress"),
    InitiativeStatus.COMPLETED: _l("Completed"),
    InitiativeStatus.CANCELLED: _l("Cancelled"),
}
FUNDER_TYPE_LABELS = {
    FunderType.FOUNDATION: _l("Foundation"),
    FunderType.GOVERNMENT: _l("Government body"),
    FunderType.MASS_ORGANISATION: _l("Youth federation or other mass organisation"),
    FunderType.NGO: _l("NGO"),
    FunderType.COMPANY: _l("Company"),
    FunderType.INDIVIDUAL: _l("Individual"),
    FunderType.COMMUNITY: _l("Community"),
}
KIND_LABELS = {ContributionKind.CASH: _l("Cash"), ContributionKind.IN_KIND: _l("In kind")}
CONTRIBUTION_STATUS_LABELS = {
    ContributionStatus.PLEDGED: _l("Pledged"),
    ContributionStatus.RECEIVED: _l("Received"),
}
SOURCE_LABELS = {
    IndicatorSource.MANUAL: _l("Entered by hand"),
    IndicatorSource.COMPUTED: _l("Computed from the map"),
}
MEASURE_LABELS = {
    MapMeasure.CHILDREN_UNDER_6: _l("Children under 6"),
    MapMeasure.HOUSEHOLDS: _l("Households"),
    MapMeasure.LEFT_BEHIND_CHILDREN: _l("Left-behind children"),
}


def label(value: object) -> str:
    """The translated label of any of this feature's enum values."""
    for table in (
        STATUS_LABELS,
        FUNDER_TYPE_LABELS,
        KIND_LABELS,
        CONTRIBUTION_STATUS_LABELS,
        SOURCE_LABELS,
        MEASURE_LABELS,
    ):
        if value in table:
            return str(table[value])  # type: ignore[index]
    return str(value)
