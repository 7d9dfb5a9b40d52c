"""Translatable labels for the needs register and votes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cbpar.needs.models import NeedCategory, NeedStatus, VoteMethod

CATEGORY_LABELS = {
    NeedCategory.EDUCATION: _l("Education"),
    NeedCategory.CHILDCARE: _l("Childcare"),
    NeedCategory.HEALTH: _l("Health"),
    NeedCategory.SAFETY: _l("Safety"),
    NeedCategory.FAMILY_CONTACT: _l("Family contact"),
    NeedCategory.LIVELIHOOD: _l("Livelihood"),
    NeedCategory.OTHER: _l("Other"),
}
STATUS_LABELS = {
    NeedStatus.PROPOSED: _l("Proposed"),
    NeedStatus.SHORTLISTED: _l("Shortlisted"),
    NeedStatus.CONFIRMED: _l("Confirmed"),
    NeedStatus.BEING_ADDRESSED: _l("Being addressed"),
    NeedStatus.MET: _l("Met"),
    NeedStatus.DECLINED: _l("Declined"),
}
METHOD_LABELS = {
    VoteMethod.BORDA: _l("Borda count"),
    VoteMethod.SCHULZE: _l("Schulze (Condorcet)"),
    VoteMethod.IRV: _l("Instant-runoff"),
    VoteMethod.APPROVAL: _l("Approval"),
}
METHOD_HELP = {
    VoteMethod.BORDA: _l(
        "Each need gets one point for every need a ballot ranks below it, half a point for "
        "each need tied with it. Unranked needs share the points left equally."
    ),
    VoteMethod.SCHULZE: _l(
        "Needs are compared in pairs: how many ballots rank one above the other. The winner "
        "beats every other need by its strongest chain of pairwise wins."
    ),
    VoteMethod.IRV: _l(
        "Each ballot counts for its highest-ranked need still in the count; the need with the "
        "fewest votes is eliminated, round by round. Ties: the need with fewer votes in the "
        "latest earlier round where they differed goes; if they were always level, all go."
    ),
    VoteMethod.APPROVAL: _l("Each ballot approves some needs; the need approved most wins."),
}
STATE_LABELS = {
    "scheduled": _l("Not open yet"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}
