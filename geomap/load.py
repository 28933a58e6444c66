"""Load and validate facilities: files in, the facilities GeoDataFrame out."""

import csv
import io
import json
import sys
from pathlib import Path

from . import frame as frames
from .errors import InputError
from .files import sha256_file
from .names import fold
from .schema import LOCATION_FIELDS, Problem, validate_collection


def read_bytes(path):
    """The bytes of a file, with errors that name the file and the fix."""
    name = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file: check the path") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None


def read_text(path, kind="GeoJSON must be UTF-8 (RFC 7946)"):
    """A UTF-8 text file (``-`` for stdin; a BOM is dropped) with errors that name the file and the fix."""
    name = str(path)
    if name == "-":
        return sys.stdin.read()
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 (byte {exc.start}): {kind}; re-save it as UTF-8") from None


def read_json(path):
    """Parse a JSON file (``-`` for stdin) with errors that name the file and the fix."""
    name = str(path)
    text = read_text(path)
    try:
        with frames.gc_paused():
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def check_collection(collection, name, require_geometry=True):
    """Raise InputError listing every schema problem of a parsed FeatureCollection."""
    problems = validate_collection(collection, name, require_geometry=require_geometry)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise InputError(f"{name}: {len(problems)} {noun}; fix them and run again", problems)
    return collection


def read_facilities(path, require_geometry=True):
    """Read and validate a facilities GeoJSON file into the facilities GeoDataFrame.

    Raises :class:`InputError` carrying every problem found; nothing is returned
    half-valid. ``frame.attrs["inputs"]`` records the file and its SHA-256.
    """
    return facilities_from(check_collection(read_json(path), str(path), require_geometry), path)


#: The top-level member where geomap's GeoJSON (and the metadata of its other formats) keeps provenance.
PROVENANCE_KEY = "geomap"


def facilities_from(collection, path):
    """The facilities GeoDataFrame of a checked FeatureCollection read from ``path``.

    Records the file in ``attrs["inputs"]`` and, when the collection is a geomap export,
    restores its ``attrs["national_totals"]`` from the provenance member.
    """
    facilities = frames.from_features(collection["features"])
    facilities.attrs["inputs"] = [input_record(path)]
    provenance = collection.get(PROVENANCE_KEY)
    if isinstance(provenance, dict) and "national_totals" in provenance:
        facilities.attrs["national_totals"] = provenance["national_totals"]
    return facilities


def input_record(path):
    """Provenance of one input file: its path and SHA-256 (stdin has no hash)."""
    if str(path) == "-":
        return {"path": "-", "sha256": None}
    return {"path": str(path), "sha256": sha256_file(path)}


#: Text columns a locations CSV may carry into the facility (any other column is ignored).
LOCATION_COLUMNS = ("id", "name", "name_en", "facility_type", "operator", "address", "city", "state",
                    "country", "status", "location_precision", "location_source", "location_as_of", "notes")


def read_locations(path, country="VE"):
    """Facilities to geocode: a facilities GeoJSON (geometry may be null) or a CSV.

    CSV: one facility per row, a ``name`` column, optionally ``id``, ``address``,
    ``city``, ``state``, ``country``, ``lat``/``lon`` and the other text fields of
    the data model (``aliases`` separated by ``;``). Missing required fields get
    honest defaults: ``facility_type`` "other", ``status`` "unknown", ``country``
    the ``country`` argument, ``id`` a unique slug of the name. Every bad row is
    reported (line, id, field) and nothing is returned half-valid.
    """
    if Path(str(path)).suffix.lower() in (".geojson", ".json"):
        return read_facilities(path, require_geometry=False)
    if Path(str(path)).suffix.lower() != ".csv":
        raise InputError(f"{path}: expected a .csv or .geojson file")
    reader = csv.DictReader(io.StringIO(read_text(path, "a CSV must be UTF-8")))
    columns = [column.strip() for column in reader.fieldnames or []]
    if "name" not in columns:
        raise InputError(f"{path}: no 'name' column: the first line names the columns, e.g. name,city,state")
    reader.fieldnames = columns
    features, lines, problems = [], [], []
    for row in reader:
        values = {key: value.strip() for key, value in row.items() if key and isinstance(value, str) and value.strip()}
        properties = {key: values[key] for key in LOCATION_COLUMNS if key in values}
        properties["aliases"] = [alias.strip() for alias in values.get("aliases", "").split(";") if alias.strip()]
        properties.setdefault("facility_type", "other")
        properties.setdefault("status", "unknown")
        properties["country"] = properties.get("country", country).upper()
        geometry = None
        if "lat" in values or "lon" in values:
            try:
                geometry = {"type": "Point", "coordinates": [float(values["lon"]), float(values["lat"])]}
            except (KeyError, ValueError):
                problems.append(Problem(f"{path}: line {reader.line_num}", None, None, "lat/lon",
                                        "give both lat and lon as decimal degrees, or leave both empty"))
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        lines.append(reader.line_num)
    _assign_ids([feature["properties"] for feature in features])
    collection = {"type": "FeatureCollection", "features": features}
    for problem in validate_collection(collection, str(path), require_geometry=False):
        if problem.field in LOCATION_FIELDS:
            continue  # geocoding fills these in (coordinates given without them become "approximate")
        where = f"{path}: line {lines[problem.index]}" + (f" (id={problem.id})" if problem.id else "")
        problems.append(Problem(where, None, None, problem.field, problem.message))
    if problems:
        raise InputError(f"{path}: {len(problems)} bad rows or values; fix them and run again", problems)
    return facilities_from(collection, path)


def _assign_ids(records):
    """Give rows without an id a slug of their name, unique in the file (``name``, ``name_2``...)."""
    taken = {record["id"] for record in records if record.get("id")}
    for record in records:
        if record.get("id") or not record.get("name"):
            continue
        base = "_".join(fold(record["name"]).split())[:60] or "facility"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}_{number}", number + 1
        record["id"] = candidate
        taken.add(candidate)
