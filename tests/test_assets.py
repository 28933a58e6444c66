"""The vendored front-end files are exactly the pinned, licensed ones in the manifest."""

import hashlib
import json
from importlib import resources


def test_every_vendored_file_matches_the_manifest():
    assets = resources.files("geomap").joinpath("assets")
    manifest = json.loads(assets.joinpath("manifest.json").read_text("utf-8"))
    listed = set()
    for package in manifest["packages"]:
        assert package["name"] and package["version"] and package["license"]
        assert any(f["role"] == "licence" for f in package["files"]), package["name"]
        for entry in package["files"]:
            data = assets.joinpath(entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            assert entry["cdn"].startswith(f"https://cdn.jsdelivr.net/npm/{package['name']}@{package['version']}/")
            listed.add(entry["path"])
    vendored = {p.relative_to(assets).as_posix() for p in _walk(assets.joinpath("vendor"))}
    assert vendored == listed  # nothing unlisted slipped in


def _walk(folder):
    for child in folder.iterdir():
        if child.is_dir():
            yield from _walk(child)
        else:
            yield child
