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
#: The top-level member where geomap's GeoJSON (and the metadata of its other formats) keeps provenance.
PROVENANCE_KEY = "geomap"


@cache
def facility_schema():
    """The JSON Schema of one facility's properties (a fresh parse, cached)."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


def resolve_ref(spec):
    """A schema node with its local ``$ref`` (``#/$defs/...``) followed."""
    ref = spec.get("$ref")
    return resolve_ref(facility_schema()["$defs"][ref.rsplit("/", 1)[1]]) if ref else spec


def _enum(field):
    return tuple(facility_schema()["properties"][field]["enum"])


#: Property names in documented order (the column order of every table geomap writes).
FIELDS = tuple(facility_schema()["properties"])
#: Properties that hold lists (JSON arrays); empty list when unknown.
LIST_FIELDS = tuple(name for name, spec in facility_schema()["properties"].items() if spec.get("type") == "array")
REQUIRED = tuple(facility_schema()["required"])
_FIELD_SET = frozenset(FIELDS)
STATUSES = _enum("status")
PRECISIONS = _enum("location_precision")
FACILITY_TYPES = _enum("facility_type")
#: The largest figure a facility or a dated count may hold (a guard against typos and overflow).
MAX_DETAINEES = facility_schema()["properties"]["detainees"]["maximum"]
#: Precisions coarser than the facility itself: drawn and labelled as approximate.
APPROXIMATE_PRECISIONS = tuple(p for p in PRECISIONS if p != "site")

#: Filled in by geocoding: not required of a facility that has no geometry yet (the country comes from its point).
LOCATION_FIELDS = ("location_precision", "location_source", "country")
#: Valid values that stand in for an unlocated facility's missing LOCATION_FIELDS in its JSON Schema check:
#: the schema ties no other rule to these fields, so the problems found are the same but for theirs, which
#: are not reported anyway, and the compiled validator passes a valid row (~1 ms a row less than jsonschema's search).
LOCATION_STAND_INS = {"location_precision": "region", "location_source": "geocoding", "country": "VE"}

#: The longest text one value (or property name) may hold: longer text is a pasted document or a runaway cell.
MAX_TEXT_CHARS = 10_000
#: How deeply a JSON input may nest (a facility needs 6 levels; its free-form ``geocoding`` a few more).
MAX_DEPTH = 32
#: Column names the exports themselves use (CSV coordinates, the GeoDataFrame's geometry, GeoPackage's
#: key and geometry columns): a property may not take one, in any case.
RESERVED_NAMES = ("lon", "lat", "geometry", "fid", "geom")
#: The longest property name: GeoPackage, KML and spreadsheet headers all carry it.
MAX_NAME_CHARS = 64

_MONTH = re.compile(r"\d{4}-\d{2}")
#: Characters no output can carry whole: NUL, lone surrogates.
_UNCARRIED = re.compile("[\x00\ud800-\udfff]")
_TOO_DEEP = f"nests more than {MAX_DEPTH} levels deep: flatten it"


def is_date(value):
    """True for a real calendar date ``YYYY-MM-DD`` or month ``YYYY-MM`` (ISO 8601)."""
    if not isinstance(value, str):
        return False
    try:
        if _MONTH.fullmatch(value):
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


def _schema(definition=None):
    """The facility schema, or a schema for one of its ``$defs`` (e.g. ``provenance``)."""
    schema = facility_schema()
    if definition is None:
        return schema
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "allOf": [{"$ref": f"#/$defs/{definition}"}]}


@cache
def _validator(definition=None):
    schema = _schema(definition)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=_FORMATS)


@cache
def _fast_validator(definition=None):
    """The same schema compiled to Python code: ~10x faster for the common, valid case.

    jsonschema (``_validator``) runs only on values this one rejects, to list every
    problem with a readable path.
    """
    # a copy: compile() rewrites $refs in place, and facility_schema() is shared (`geomap schema` prints it)
    return fastjsonschema.compile(copy.deepcopy(_schema(definition)), formats={"date-or-month": is_date})


def text_problem(text):
    """Why ``text`` cannot be a geomap value, or None: longer than :data:`MAX_TEXT_CHARS`, or holding
    a lone surrogate (a JSON ``\\ud800`` escape: no UTF-8 file, page or export can carry it) or NUL
    (a GeoPackage cuts text there). Other control characters are data: the terminal escapes them,
    and a KML export, which XML forbids them in, refuses them by name."""
    if len(text) > MAX_TEXT_CHARS:
        return f"is {len(text):,} characters long, more than {MAX_TEXT_CHARS:,}: shorten it (cite a page for long text)"
    found = _UNCARRIED.search(text)
    if found is None:
        return None
    if found[0] == "\x00":
        return f"holds a NUL character (U+0000) at character {found.start()}: remove it"
    return (f"holds a lone surrogate ({ascii(found[0])[1:-1]}) at character {found.start()}: "
            "it is not text UTF-8 can carry; fix the \\u escape or re-save the file")


def _label(key):
    """A key as it may appear in a one-line message (surrogates, controls and length made harmless)."""
    text = str(key)
    return text if text.isprintable() and len(text) <= MAX_NAME_CHARS else ascii(text[:MAX_NAME_CHARS])


def _dotted(prefix, node):
    """The dotted path of a :func:`value_problems` node ``(parent node, key)``."""
    keys = []
    while node is not None:
        node, key = node
        keys.append(_label(key))
    return ".".join(([prefix] if prefix else []) + keys[::-1]) or None


def value_problems(value, path=None, depth=1, text=True):
    """Yield ``(dotted path, message)`` for every string or key of a parsed JSON ``value`` that
    :func:`text_problem` rejects (unless not ``text``), and where it nests deeper than :data:`MAX_DEPTH`.

    ``depth`` is the level ``value`` itself sits at in its document. Iterative (no input can
    exhaust the stack); paths are only spelled out for problems.
    """
    if type(value) is str:
        problem = text_problem(value) if text else None
        if problem:
            yield path, problem
        return
    stack = [(None, value, depth)] if isinstance(value, (dict, list)) else []
    while stack:
        node, item, level = stack.pop()
        if level > MAX_DEPTH:
            yield _dotted(path, node), _TOO_DEEP
            continue
        for key, child in item.items() if type(item) is dict else enumerate(item):
            # printable text (most of it) holds nothing text_problem rejects: skip its regex
            if text and type(key) is str and (len(key) > MAX_TEXT_CHARS or not key.isprintable()) and (
                    problem := text_problem(key)):
                yield _dotted(path, (node, key)), f"name {problem}"
            kind = type(child)
            if kind is str:
                if text and (len(child) > MAX_TEXT_CHARS or not child.isprintable()) and (problem := text_problem(child)):
                    yield _dotted(path, (node, key)), problem
            elif kind is dict or kind is list:
                stack.append(((node, key), child, level + 1))


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
            where.append(f"feature {self.index}" + (f" (id={_label(self.id)})" if self.id else ""))
        if self.field:
            where.append(self.field)
        return ": ".join(where + [self.message])


def _shown(value, limit=80):
    """``repr(value)`` cut to ``limit`` characters: a message stays one short line whatever the input."""
    try:
        text = repr(value)
    except RecursionError:
        return "a deeply nested value"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _describe(error):
    """A short, fix-oriented sentence for one jsonschema error."""
    value = error.instance
    kind = error.validator
    if kind == "enum":
        return f"{_shown(value)} is not one of: {', '.join(map(str, error.validator_value))}"
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f"missing {missing[0] if missing else 'a required property'}"
    if kind == "pattern" or kind == "format" or (kind == "anyOf" and isinstance(value, str)):
        if is_date(value) or is_http_url(value):
            return _shown(error.message, 200)[1:-1]
        if re.match(r"\d", str(value)):
            return f"{_shown(value)} is not an ISO date: write YYYY-MM-DD (or YYYY-MM)"
        if "://" in str(value) or str(value).lower().startswith(("javascript:", "data:", "www.")):
            return f"{_shown(value)} is not an http(s) URL"
        return f"{_shown(value)} does not match the expected form"
    if kind == "type":
        return f"{_shown(value)} should be {error.validator_value if isinstance(error.validator_value, str) else ' or '.join(error.validator_value)}"
    if kind == "minimum":
        return f"{_shown(value)} is negative: counts are whole numbers ≥ 0"
    if kind == "maximum":
        return f"{_shown(value)} is more than {error.validator_value}: check the figure for a typo"
    return _shown(error.message, 200)[1:-1]


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


def _dated(field, counts):
    """``(field path, as_of)`` of every dated figure in the list ``counts`` found at ``field``."""
    if not isinstance(counts, list):
        return []
    return [(f"{field}.{index}.as_of", count.get("as_of")) for index, count in enumerate(counts) if isinstance(count, dict)]


def future_problem(value):
    """The message for a figure's date later than today (UTC), else None: JSON Schema cannot say "today".

    ISO text compares as dates do; a month compares as its first day (a prefix sorts first), so a
    figure for the current month is not in the future.
    """
    today = dt.datetime.now(dt.UTC).date().isoformat()
    if isinstance(value, str) and value > today and is_date(value):
        return f"{_shown(value)} is later than today ({today}, UTC): a figure cannot be dated in the future"
    return None


def _future_figures(located):
    """Yield ``(field, message)`` for the ``(field, date)`` pairs :func:`future_problem` rejects."""
    for field, value in located:
        problem = future_problem(value)
        if problem:
            yield field, problem


def _name_problems(properties):
    """Yield ``(field, message)`` for property names an export could not keep apart from its own columns."""
    if _FIELD_SET.issuperset(properties):
        return  # the schema's own names (the usual case) are distinct and allowed
    seen = {}
    for name in sorted(properties, key=lambda name: name not in _FIELD_SET):  # schema fields claim their names first
        folded = name.casefold()
        if folded in RESERVED_NAMES:
            yield _label(name), f"is a column name the exports use ({', '.join(RESERVED_NAMES)}, in any case): rename the property"
        elif folded in seen:
            yield _label(name), (f"differs from {seen[folded]!r} only in case: GeoPackage and spreadsheet columns "
                                 "ignore case; rename one")
        elif not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
            yield _label(name), f"property names are 1 to {MAX_NAME_CHARS} printable characters: rename it"
        seen.setdefault(folded, name)


def validate_properties(properties, stand_ins=None):
    """Yield ``(field, message)`` for every way ``properties`` breaks the schema.

    Beyond the JSON Schema: text and nesting (:func:`value_problems`), property names
    (:data:`RESERVED_NAMES`, case-insensitive clashes), figures dated after today.
    ``stand_ins`` (field -> value) replace fields for the JSON Schema check only.
    """
    yield from _floats_for_integers(properties)
    structural = list(value_problems(properties, depth=4))  # a feature's properties sit 4 levels deep
    yield from structural
    if any(message == _TOO_DEEP for _, message in structural):
        return  # the schema validators recurse: not into this
    yield from _name_problems(properties)
    yield from _future_figures([("detainees_as_of", properties.get("detainees_as_of")),
                                *_dated("detainee_counts", properties.get("detainee_counts"))])
    yield from _schema_problems(properties | stand_ins if stand_ins else properties)


def _schema_problems(instance, definition=None):
    """Yield ``(field, message)`` for every way ``instance`` breaks the schema (or its ``$defs`` ``definition``)."""
    try:
        _fast_validator(definition)(instance)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(_validator(definition).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
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
        return f"coordinates {_shown(coords)} are not [lon, lat]"
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
        return [Problem(file, None, None, None, f"expected a GeoJSON FeatureCollection, found {_shown(found)}")]
    if not isinstance(collection.get("features"), list):
        return [Problem(file, None, None, "features", "must be a list of Feature objects")]
    if "crs" in collection:
        try:
            crs = json.dumps(collection["crs"], ensure_ascii=True)
        except RecursionError:
            crs = "a deeply nested crs"
        if "4326" not in crs and "CRS84" not in crs:
            return [Problem(file, None, None, "crs", f"{_shown(crs, 120)[1:-1]} is not WGS84: reproject to EPSG:4326 lon/lat (RFC 7946)")]
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
        stand_ins = {field: value for field, value in LOCATION_STAND_INS.items()
                     if properties.get(field) is None} if unlocated else None
        for field, message in validate_properties(properties, stand_ins):
            if unlocated and field in LOCATION_FIELDS and properties.get(field) is None:
                continue  # geocoding will fill these in (a value given must be valid: it may be kept)
            problems.append(Problem(file, index, fid, field, message))


def validate_collection(collection, file="<input>", require_geometry=True):
    """Check a parsed GeoJSON FeatureCollection of facilities; return a list of Problems.

    Checks structure (FeatureCollection of Point features, WGS84 ranges), every
    property against the schema, that ids are unique, and the provenance member of a
    geomap export (:func:`provenance_problems`). An empty list means valid.
    """
    problems = collection_problems(collection, file)
    if problems:
        return problems
    checker = FeatureChecker(file, require_geometry)
    for index, feature in enumerate(collection["features"]):
        checker.check(index, feature)
    if PROVENANCE_KEY in collection:
        return checker.problems + provenance_problems(collection[PROVENANCE_KEY], file)
    return checker.problems


def provenance_problems(provenance, file="<input>"):
    """Problems of an export's provenance (its ``geomap`` member), checked like a facility: the
    schema's ``provenance`` definition, text and nesting, no nationwide figure dated after today.

    A reader restores ``national_totals`` from it only when this list is empty.
    """
    def problem(field, message):
        return Problem(file, None, None, PROVENANCE_KEY if field is None else f"{PROVENANCE_KEY}.{field}", message)

    structural = list(value_problems(provenance, depth=2))  # a top-level member of the document
    problems = [problem(field, message) for field, message in structural]
    if any(message == _TOO_DEEP for _, message in structural):
        return problems
    totals = provenance.get("national_totals") if isinstance(provenance, dict) else None
    problems += [problem(field, message) for field, message in _future_figures(_dated("national_totals", totals))]
    problems += [problem(field, message) for field, message in _schema_problems(provenance, "provenance")]
    return problems
