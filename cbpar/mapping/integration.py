"""What mapping contributes to shared features: households, facilities and saved analyses as
linkable records, household search (field roles only), and the team's own map tiles."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from cbpar import links, search
from cbpar.mapping import services, tiles
from cbpar.mapping.models import Facility, Household, SavedAnalysis
from cbpar.security import Cap


def init_app(app: Flask) -> None:
    links.register(
        app,
        links.RecordType(
            "household", Household, lambda h: h.code, "mapping.household", "household_id",
            links.needs(Cap.SEE_HOUSEHOLD_DETAILS), lambda: str(_l("Household")),
        ),
        links.RecordType(
            "facility", Facility, lambda f: f.name, "mapping.facility", "facility_id",
            links.needs(Cap.VIEW_PROJECT), lambda: str(_l("Facility")),
        ),
        links.RecordType(
            "saved_analysis", SavedAnalysis, lambda a: a.name, "mapping.saved_analysis",
            "analysis_id", links.needs(Cap.SEE_VILLAGE_TOTALS), lambda: str(_l("Map analysis")),
        ),
    )  # fmt: skip
    search.register(app, "household", services.search_households)
    tiles.init_app(app)
