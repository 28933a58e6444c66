"""The facility data model: field names, enumerations, the JSON Schema, validation.

The JSON Schema shipped beside this module (``facility.schema.json``) is the single
definition: ``geomap schema`` prints it, the validator enforces it, exports are
checked against it, and ``docs/data-model.md`` is tested against it.
"""

import copy
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import fastjsonschema
import jsonschema

SCHEMA_RESOURCE = "facility.schema.json"


@cache
def facility_schema():
    """The JSON Schema of one facility's properties (a fresh parse, cached)."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


def _enum(field):
    return tuple(facility_schema()["properties"][field]["enum"])


#: Property names in documented order (the column order of every table geomap writes).
FIELDS = tuple(facility_schema()["properties"])
#: Properties that hold lists (JSON arrays); empty list when unknown.
LIST_FIELDS = tuple(name for name, spec in facility_schema()["properties"].items() if spec.get("type") == "array")
REQUIRED = tuple(facility_schema()["required"])
STATUSES = _enum("status")
PRECISIONS = _enum("location_precision")
FACILITY_TYPES = _enum("facility_type")
#: The largest figure a facility or a dated count may hold (a guard against typos and overflow).
MAX_DETAINEES = facility_schema()["properties"]["detainees"]["maximum"]
#: Precisions coarser than the facility itself: drawn and labelled as approximate.
APPROXIMATE_PRECISIONS = tuple(p for p in PRECISIONS if p != "site")

#: Filled in by geocoding: not required of a facility that has no geometry yet (the country comes from its point).
LOCATION_FIELDS = ("location_precision", "location_source", "country")

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def is_date(value):
    """True for a real calendar date ``YYYY-MM-DD`` or month ``YYYY-MM`` (ISO 8601)."""
    if not isinstance(value, str):
        return False
    try:
        if _MONTH.match(value):
            dt.date.fromisoformat(value + "-01")
        else:
            dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_http_url(value):
    """True for an absolute http(s) URL: the only links geomap ever renders."""
    return isinstance(value, str) and re.fullmatch(facility_schema()["$defs"]["url"]["pattern"], value) is not None


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date-or-month")(lambda value: not isinstance(value, str) or is_date(value))


@cache
def _validator():
    schema = facility_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=_FORMATS)


@cache
def _fast_validator():
    """The same schema compiled to Python code: ~10x faster for the common, valid case.

    jsonschema (``_validator``) runs only on features this one rejects, to list every
    problem with a readable path.
    """
    # a copy: compile() rewrites $refs in place, and facility_schema() is shared (`geomap schema` prints it)
    return fastjsonschema.compile(copy.deepcopy(facility_schema()), formats={"date-or-month": is_date})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature: printed by the CLI as one line."""

    file: str
    index: int | None  # position in the FeatureCollection (0-based); None for the file itself
    id: str | None
    field: str | None
    message: str

    def __str__(self):
        where = [str(self.file)]
        if self.index is not None:
            where.append(f"feature {self.index}" + (f" (id={self.id})" if self.id else ""))
        if self.field:
            where.append(self.field)
        return ": ".join(where + [self.message])


def _describe(error):
    """A short, fix-oriented sentence for one jsonschema error."""
    value = error.instance
    kind = error.validator
    if kind == "enum":
        return f"{value!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f"missing {missing[0] if missing else 'a required property'}"
    if kind == "pattern" or kind == "format" or (kind == "anyOf" and isinstance(value, str)):
        if is_date(value) or is_http_url(value):
            return error.message
        if re.match(r"^\d", str(value)):
            return f"{value!r} is not an ISO date: write YYYY-MM-DD (or YYYY-MM)"
        if "://" in str(value) or str(value).lower().startswith(("javascript:", "data:", "www.")):
            return f"{value!r} is not an http(s) URL"
        return f"{value!r} does not match the expected form"
    if kind == "type":
        return f"{value!r} should be {error.validator_value if isinstance(error.validator_value, str) else ' or '.join(error.validator_value)}"
    if kind == "minimum":
        return f"{value!r} is negative: counts are whole numbers ≥ 0"
    if kind == "maximum":
        return f"{value!r} is more than {error.validator_value}: check the figure for a typo"
    return error.message


def _field_path(error):
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        path += missing[:1]
    return ".".join(path) or None


def _floats_for_integers(properties):
    """Yield ``(field, message)`` for counts written as floats: JSON Schema's "integer" accepts 65.0."""
    counts = properties.get("detainee_counts")
    located = [("detainees", properties.get("detainees"))]
    if isinstance(counts, list):
        located += [(f"detainee_counts.{index}.detainees", count.get("detainees"))
                    for index, count in enumerate(counts) if isinstance(count, dict)]
    for field, value in located:
        if isinstance(value, float) and value.is_integer():
            yield field, f"{value!r} is not a whole number written as an integer: write {int(value)}"


def validate_properties(properties):
    """Yield ``(field, message)`` for every way ``properties`` breaks the schema."""
    yield from _floats_for_integers(properties)
    try:
        _fast_validator()(properties)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(_validator().iter_errors(properties), key=lambda e: list(map(str, e.absolute_path)))
    seen = set()
    for error in errors:
        # allOf/if-then repeats a nested error at the parent: report each field once
        leaf = error
        while leaf.context:
            leaf = min(leaf.context, key=lambda e: len(e.absolute_path) * -1)
        item = (_field_path(leaf) or _field_path(error), _describe(leaf))
        if item not in seen:
            seen.add(item)
            yield item


def _check_geometry(geometry):
    """Return a problem message for a geometry that is not a WGS84 Point, else None."""
    if geometry is None:
        return "no geometry: add coordinates (lon, lat) or run `geomap geocode`"
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return f"is a {kind}, not a Point: one point per facility"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) not in (2, 3) or not all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coords
    ):
        return f"coordinates {coords!r} are not [lon, lat]"
    lon, lat = coords[:2]
    if not -180 <= lon <= 180:
        return f"longitude {lon} is outside -180..180"
    if not -90 <= lat <= 90:
        hint = " (are lon and lat swapped?)" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        return f"latitude {lat} is outside -90..90{hint}"
    return None


def collection_problems(collection, file="<input>"):
    """Problems of a parsed FeatureCollection's top level (type, ``features`` a list, CRS): at most one.

    A streaming reader passes the top-level members with ``features`` as any list.
    """
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        found = collection.get("type") if isinstance(collection, dict) else type(collection).__name__
        return [Problem(file, None, None, None, f"expected a GeoJSON FeatureCollection, found {found!r}")]
    if not isinstance(collection.get("features"), list):
        return [Problem(file, None, None, "features", "must be a list of Feature objects")]
    if "crs" in collection:
        crs = json.dumps(collection["crs"])
        if "4326" not in crs and "CRS84" not in crs:
            return [Problem(file, None, None, "crs", f"{crs} is not WGS84: reproject to EPSG:4326 lon/lat (RFC 7946)")]
    return []


class FeatureChecker:
    """Checks features one at a time, in file order, collecting :attr:`problems`.

    Keeps what cross-feature checks need (the first index of every id), so a file can
    be checked in batches as it is read.
    """

    def __init__(self, file="<input>", require_geometry=True):
        self.file = file
        self.require_geometry = require_geometry
        self.problems = []
        self.first_index = {}

    def check(self, index, feature):
        """Add the problems of the feature at ``index`` (0-based) to :attr:`problems`."""
        file, problems = self.file, self.problems
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(file, index, None, None, "is not a GeoJSON Feature"))
            return
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            problems.append(Problem(file, index, None, "properties", "must be an object"))
            return
        fid = properties.get("id") if isinstance(properties.get("id"), str) else None
        if fid is not None:
            if fid in self.first_index:
                problems.append(Problem(file, index, fid, "id", f"duplicate of feature {self.first_index[fid]}: ids must be unique"))
            else:
                self.first_index[fid] = index
        geometry_problem = _check_geometry(feature.get("geometry"))
        if geometry_problem and (self.require_geometry or feature.get("geometry") is not None):
            problems.append(Problem(file, index, fid, "geometry", geometry_problem))
        unlocated = feature.get("geometry") is None and not self.require_geometry
        for field, message in validate_properties(properties):
            if unlocated and field in LOCATION_FIELDS:
                continue  # geocoding will fill these in
            problems.append(Problem(file, index, fid, field, message))


def validate_collection(collection, file="<input>", require_geometry=True):
    """Check a parsed GeoJSON FeatureCollection of facilities; return a list of Problems.

    Checks structure (FeatureCollection of Point features, WGS84 ranges), every
    property against the schema, and that ids are unique. An empty list means valid.
    """
    problems = collection_problems(collection, file)
    if problems:
        return problems
    checker = FeatureChecker(file, require_geometry)
    for index, feature in enumerate(collection["features"]):
        checker.check(index, feature)
    return checker.problems
