"""Translatable labels for the mapping enums, shared by pages, forms and the map legend."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cbpar.mapping.models import Caregiver, FacilityKind, FacilityStatus, MigrantParents

MIGRANT_LABELS = {
    MigrantParents.NONE: _l("Neither parent"),
    MigrantParents.FATHER: _l("Father"),
    MigrantParents.MOTHER: _l("Mother"),
    MigrantParents.BOTH: _l("Both parents"),
}
CAREGIVER_LABELS = {
    Caregiver.PARENTS: _l("Parents"),
    Caregiver.GRANDPARENTS: _l("Grandparents"),
    Caregiver.OTHER_RELATIVES: _l("Other relatives"),
    Caregiver.OTHER: _l("Other"),
}
KIND_LABELS = {
    FacilityKind.KINDERGARTEN: _l("Kindergarten"),
    FacilityKind.PRIMARY_SCHOOL: _l("Primary school"),
    FacilityKind.MIDDLE_SCHOOL: _l("Middle school"),
    FacilityKind.CLINIC: _l("Clinic"),
    FacilityKind.VILLAGE_COMMITTEE: _l("Village committee office"),
    FacilityKind.LIBRARY: _l("Library"),
    FacilityKind.SOCIAL_WORK_STATION: _l("Social-work station"),
    FacilityKind.OTHER: _l("Other"),
}
STATUS_LABELS = {
    FacilityStatus.PLANNED: _l("Planned"),
    FacilityStatus.UNDER_CONSTRUCTION: _l("Under construction"),
    FacilityStatus.OPERATING: _l("Operating"),
    FacilityStatus.CLOSED: _l("Closed"),
}
