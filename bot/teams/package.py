"""The Teams app package: teams/manifest.json with the bot's app id filled in, zipped with its icons."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "teams"
FILES = ("manifest.json", "color.png", "outline.png")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PackageError(ValueError):
    """Why a package could not be built, in words for the admin."""


def build_package(app_id: str, out: Path, *, version: str | None = None, source: Path = SOURCE) -> Path:
    """Write the zip an admin uploads in Teams (Apps → Manage your apps → Upload an app)."""
    if not GUID.match(app_id or ""):
        raise PackageError(f"“{app_id}” is not an app id. Use the Application (client) ID of the bot's Entra app "
                           "registration, e.g. 11111111-2222-3333-4444-555555555555 (TEAMS_APP_ID).")
    missing = [name for name in FILES if not (source / name).exists()]
    if missing:
        raise PackageError(f"missing in {source}: {', '.join(missing)}")
    manifest = json.loads((source / "manifest.json").read_text().replace("${TEAMS_APP_ID}", app_id))
    if version:
        if not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise PackageError(f"“{version}” is not a version like 1.0.1")
        manifest["version"] = version
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name in FILES[1:]:
            z.write(source / name, name)
    return out
