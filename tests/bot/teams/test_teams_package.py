"""The Teams app package: the manifest matches the code, the icons are the sizes Teams requires."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile

import pytest

from bot.core.commands import COMMANDS as USAGE
from bot.teams.package import SOURCE, PackageError, build_package
from tests.support.served import COACHBOT

APP_ID = "11111111-2222-3333-4444-555555555555"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_package_has_the_manifest_with_our_id_and_both_icons(tmp_path):
    out = build_package(APP_ID, tmp_path / "app.zip", version="1.2.3")
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(z.read("manifest.json"))
        assert png_size(z.read("color.png")) == (192, 192)
        assert png_size(z.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["version"] == "1.2.3"
    assert "${" not in json.dumps(manifest)
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}


def test_the_command_list_is_the_commands_the_bot_understands():
    manifest = json.loads((SOURCE / "manifest.json").read_text())
    (commands,) = manifest["bots"][0]["commandLists"]
    assert len(commands["commands"]) <= 10  # Teams shows at most ten
    for c in commands["commands"]:
        assert c["title"] in USAGE and len(c["title"]) <= 32 and len(c["description"]) <= 128
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80


@pytest.mark.parametrize("app_id", ["", "nope", "11111111-2222-3333-4444-55555555555Z"])
def test_a_wrong_app_id_is_refused_with_the_reason(tmp_path, app_id):
    with pytest.raises(PackageError, match="not an app id"):
        build_package(app_id, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_the_cli_writes_the_zip(tmp_path):
    cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
    done = subprocess.run([*cmd, "teams-package", "--app-id", APP_ID, "--out", str(tmp_path / "c.zip")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Upload an app" in done.stdout and zipfile.is_zipfile(tmp_path / "c.zip")
    bad = subprocess.run([*cmd, "teams-package", "--app-id", "nope"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "not an app id" in bad.stderr
