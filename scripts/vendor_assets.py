"""Re-vendor the pinned front-end packages into geomap/assets/vendor/.

Run by hand when a pin changes (needs npm and the npm registry):

    python scripts/vendor_assets.py

For each pin it runs ``npm pack NAME@VERSION``, checks the tarball against the
registry's integrity, copies only the files the map uses plus the licence, and
writes ``geomap/assets/manifest.json`` (name, version, licence, tarball integrity,
and per file: path, bytes, SHA-256, the CDN URL used by ``--cdn``). The tests check
every vendored file against the manifest.
"""

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "geomap" / "assets"

# name, version, licence file in the package, files the map uses (in load order)
PINS = [
    ("leaflet", "1.9.4", "LICENSE", ["dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png", "dist/images/layers-2x.png"]),
    ("supercluster", "9.1.0", "LICENSE", ["dist/supercluster.min.js"]),
    # supercluster's dist file bundles kdbush (its spatial index): only kdbush's licence is needed
    ("kdbush", "4.1.0", "LICENSE", []),
    ("leaflet.fullscreen", "5.3.3", "LICENSE.md", ["dist/Control.FullScreen.umd.js", "dist/Control.FullScreen.css"]),
    ("topojson-client", "3.1.0", "LICENSE", ["dist/topojson-client.min.js"]),
    ("world-atlas", "2.0.2", "LICENSE", ["countries-110m.json"]),
]
CDN = "https://cdn.jsdelivr.net/npm/{name}@{version}/{path}"


def sri(data):
    """Subresource-integrity value (sha384, as browsers recommend)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def vendor(name, version, licence, paths, workdir):
    info = json.loads(subprocess.run(["npm", "pack", "--json", f"{name}@{version}"], cwd=workdir, check=True,
                                     capture_output=True, text=True).stdout)[0]
    registry = json.loads(subprocess.run(["npm", "view", f"{name}@{version}", "dist.integrity", "license", "--json"],
                                         check=True, capture_output=True, text=True).stdout)
    if info["integrity"] != registry["dist.integrity"]:
        raise SystemExit(f"{name}@{version}: tarball integrity differs from the registry's")
    target = ASSETS / "vendor" / name
    shutil.rmtree(target, ignore_errors=True)
    files = []
    with tarfile.open(Path(workdir) / info["filename"]) as tar:
        for path in [*paths, licence]:
            data = tar.extractfile(f"package/{path}").read()
            dest = target / Path(path).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            files.append({
                "path": dest.relative_to(ASSETS).as_posix(),
                "package_path": path,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "cdn": CDN.format(name=name, version=version, path=path),
                "integrity": sri(data),
                "role": "licence" if path == licence else "asset",
            })
    return {"name": name, "version": version, "license": registry["license"],
            "tarball_integrity": info["integrity"], "files": files}


def main():
    with tempfile.TemporaryDirectory() as workdir:
        packages = [vendor(*pin, workdir) for pin in PINS]
    (ASSETS / "manifest.json").write_text(json.dumps({"packages": packages}, indent=2) + "\n")
    for package in packages:
        print(f"{package['name']}@{package['version']} ({package['license']}): "
              f"{sum(f['bytes'] for f in package['files'])} bytes")


if __name__ == "__main__":
    main()
