"""Wheel build hook: compile each translation catalogue (.po) into the wheel as messages.mo.

The compiled files are not kept in git (`make` builds them for a checkout); an installed
package must carry them or every page falls back to English.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        out = Path(tempfile.mkdtemp(prefix="cbpar-mo-"))
        for po in sorted((root / "cbpar" / "translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            target = out / po.relative_to(root).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as compiled:
                write_mo(compiled, catalog, use_fuzzy=False)
            build_data["force_include"][str(target)] = str(po.relative_to(root).with_suffix(".mo"))
