"""Validation at C speed: which features of a batch *might* have a problem, from their Arrow columns.

:class:`geomap.schema.FeatureChecker` checks one feature at a time in Python (~60 µs for a
full-model facility: 6 s of a 100k build). Here the same rules run over a batch's Arrow columns
(:mod:`geomap.frame`) with ``pyarrow.compute``: the JSON Schema is compiled into column checks
(:func:`compile_schema`, derived from ``facility.schema.json`` as the Arrow types are), beside
geomap's own checks (text, nesting, property names, future dates, geometry). A feature they all
pass has no problem; every other feature goes through ``FeatureChecker.check`` itself, so the
problems reported — feature, field, message, order — are exactly the per-feature ones.

The one promise this module makes is therefore *soundness*: never pass a feature the per-feature
check would fault (tests/test_fastcheck.py checks it on every fixture and on generated bad features).
Anything it does not model — a keyword, a pattern without an RE2 translation, a column that is
JSON text or Python objects — marks the feature suspect instead of guessing.
"""

import datetime as dt
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import (FIELDS, LIST_FIELDS, MAX_DEPTH, MAX_TEXT_CHARS, REQUIRED, _check_geometry, resolve_ref,
                     facility_schema, is_date)

#: Characters Python's ``\s`` matches in text (``str.isspace``); RE2's ``\s`` is ASCII only.
PY_SPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
_SPACE_CLASS = "".join(f"\\x{{{ord(char):x}}}" for char in PY_SPACE)
#: The schema's Python patterns and an RE2 pattern matching exactly the same strings (RE2 has no
#: look-ahead and its ``$`` is the end of the text, which is all ``(?!\n)$`` asks of Python's).
RE2_PATTERNS = {
    r"^[a-z0-9][a-z0-9_-]*(?!\n)$": r"^[a-z0-9][a-z0-9_-]*$",
    r"^[A-Z]{2}(?!\n)$": r"^[A-Z]{2}$",
    r"^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?(?!\n)$": r"^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$",
    r"^https?://[^\s/?#.][^\s]*(?!\s)$": rf"^https?://[^{_SPACE_CLASS}/?#.][^{_SPACE_CLASS}]*$",
}
#: Keywords that say nothing about validity.
_ANNOTATIONS = {"description", "title", "$id", "$schema", "$comment", "default", "examples", "$defs"}
#: Fields holding dated figures, which may not be later than today (schema.validate_properties).
_DATED = (("detainees_as_of", None), ("detainee_counts", "as_of"))
#: The most ``{``/``[`` a free-form JSON value may hold here; more could nest past MAX_DEPTH.
_MAX_BRACKETS = MAX_DEPTH - 8


class Unsupported(Exception):
    """The schema uses something this module does not model (every feature is then checked one by one)."""


def _accepts_null(spec):
    """True if JSON null satisfies ``spec`` (the subset :func:`_check` models)."""
    spec = resolve_ref(spec)
    if "anyOf" in spec:
        return any(map(_accepts_null, spec["anyOf"]))
    if "enum" in spec:
        return None in spec["enum"]
    kinds = spec.get("type")
    if kinds is None:
        return "allOf" not in spec or all(map(_accepts_null, spec["allOf"]))
    return "null" in ([kinds] if isinstance(kinds, str) else kinds)


def _mask(array):
    """A pyarrow boolean result as a numpy bool array (null counts as False)."""
    return (pc.fill_null(array, False) if array.null_count else array).to_numpy(zero_copy_only=False)


def _nulls(array):
    """numpy bool: True where ``array`` is null."""
    return _mask(array.is_null()) if array.null_count else np.zeros(len(array), dtype=bool)


def _per_parent(lists, item_ok):
    """For each list of ``lists``: True when every item passed (``item_ok``, one per flattened item)."""
    ok = np.ones(len(lists), dtype=bool)
    bad = ~item_ok
    if bad.any():
        parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        ok[parents[bad]] = False
    return ok


#: Strings known to pass :func:`geomap.schema.is_date` (a dataset has a few thousand distinct dates).
_GOOD_DATES = set()


def _dates_ok(strings):
    """True where a string is a real calendar date or month (:func:`geomap.schema.is_date`), on unique values."""
    unique = pc.unique(strings.drop_null() if strings.null_count else strings).to_pylist()
    if len(_GOOD_DATES) < 100_000:
        _GOOD_DATES.update(value for value in unique if value not in _GOOD_DATES and is_date(value))
    good = pa.array([value for value in unique if value in _GOOD_DATES or is_date(value)], type=pa.string())
    return _mask(pc.is_in(strings, value_set=good))


def _check(spec, array):
    """numpy bool per value of ``array``: True where the JSON value it holds satisfies ``spec``.

    Nulls are JSON nulls. Raises :class:`Unsupported` for what is not modelled.
    """
    spec = resolve_ref(spec)
    unknown = set(spec) - _ANNOTATIONS - {"type", "enum", "anyOf", "allOf", "if", "then", "pattern", "format",
                                           "minLength", "minimum", "maximum", "items", "properties", "required",
                                           "additionalProperties"}
    if unknown:
        raise Unsupported(f"keyword {sorted(unknown)[0]}")
    kind = array.type
    is_null = _nulls(array)
    ok = np.ones(len(array), dtype=bool)
    if "anyOf" in spec:
        ok &= np.logical_or.reduce([_check(option, array) for option in spec["anyOf"]])
    for part in spec.get("allOf", ()):
        ok &= _check(part, array)
    if "if" in spec:
        if "then" not in spec or set(spec) & {"else"}:
            raise Unsupported("if without then")
        ok &= ~_check(spec["if"], array) | _check(spec["then"], array)
    if "enum" in spec:
        values = [value for value in spec["enum"] if value is not None]
        if not all(isinstance(value, str) for value in values) or not pa.types.is_string(kind):
            raise Unsupported("enum of non-strings")
        ok &= np.where(is_null, None in spec["enum"], _mask(pc.is_in(array, value_set=pa.array(values, pa.string()))))
    if "type" in spec:
        kinds = [spec["type"]] if isinstance(spec["type"], str) else spec["type"]
        if kind == pa.json_(pa.string()):
            if spec.keys() - _ANNOTATIONS != {"type"}:
                raise Unsupported("a JSON-text column with more than a type")
            first = pc.utf8_slice_codeunits(array.storage, 0, 1)
            starts = {"object": "{", "array": "[", "string": '"'}
            good = [starts[name] for name in kinds if name in starts]
            type_ok = _mask(pc.is_in(first, value_set=pa.array(good, pa.string())))
        else:
            arrow_kinds = {"string": pa.types.is_string, "integer": pa.types.is_int64, "array": pa.types.is_list,
                           "object": pa.types.is_struct}
            type_ok = np.full(len(array), any(arrow_kinds.get(name, lambda _: False)(kind) for name in kinds))
        ok &= np.where(is_null, "null" in kinds, type_ok)
    if pa.types.is_string(kind):
        ok &= _string_keywords(spec, array)
    elif pa.types.is_int64(kind):
        if "minimum" in spec:
            ok &= _mask(pc.greater_equal(array, spec["minimum"])) | is_null
        if "maximum" in spec:
            ok &= _mask(pc.less_equal(array, spec["maximum"])) | is_null
    elif pa.types.is_list(kind) and "items" in spec:
        ok &= _per_parent(array, _check(spec["items"], pc.list_flatten(array)))
    elif pa.types.is_struct(kind):
        ok &= _struct_keywords(spec, array) | is_null
    return ok


def _string_keywords(spec, array):
    ok = np.ones(len(array), dtype=bool)
    is_null = _nulls(array)
    if "pattern" in spec:
        if spec["pattern"] not in RE2_PATTERNS:
            raise Unsupported(f"pattern {spec['pattern']!r} has no RE2 translation")
        ok &= _mask(pc.match_substring_regex(array, RE2_PATTERNS[spec["pattern"]])) | is_null
    if "format" in spec:
        if spec["format"] != "date-or-month":
            raise Unsupported(f"format {spec['format']}")
        ok &= _dates_ok(array) | is_null
    if "minLength" in spec:
        ok &= _mask(pc.greater_equal(pc.utf8_length(array), spec["minLength"])) | is_null
    return ok


def _struct_keywords(spec, array):
    """``properties``/``required`` of an object held in a struct (its keys are exactly the declared ones)."""
    fields = dict(zip((field.name for field in array.type), array.flatten()))
    if not set(spec.get("required", ())) <= fields.keys():
        raise Unsupported("a required key the struct does not hold")
    if not isinstance(spec.get("additionalProperties", True), bool):  # extra keys never reach a struct: booleans hold
        raise Unsupported("additionalProperties schema")
    ok = np.ones(len(array), dtype=bool)
    for name, child in spec.get("properties", {}).items():
        if name in fields:
            ok &= _check(child, fields[name])
    return ok


def _row_check(spec, columns):
    """The top level: ``spec`` (an object schema) over the facility columns, where a null may be a missing key.

    A null is taken as missing only where that is exact: the field is required here (the null fails
    as a missing key would), or null is valid here, or :func:`explicit_nulls` screens real nulls of it.
    """
    spec = resolve_ref(spec)
    unknown = set(spec) - _ANNOTATIONS - {"type", "properties", "required", "allOf", "if", "then"}
    if unknown or spec.get("type", "object") != "object":
        raise Unsupported(f"top-level keyword {sorted(unknown or ['type'])[0]}")
    rows = len(next(iter(columns.values())))
    ok = np.ones(rows, dtype=bool)
    properties, required = spec.get("properties", {}), spec.get("required", ())
    for name in required:
        local = properties.get(name, facility_schema()["properties"].get(name, {}))
        if _accepts_null(local):
            raise Unsupported(f"required {name} accepts null: a missing key would look the same")
        ok &= ~_nulls(columns[name])
    for name, child in properties.items():
        if name not in columns:
            raise Unsupported(f"property {name} has no column")
        if name not in required and not _accepts_null(child) and name not in explicit_nulls():
            raise Unsupported(f"{name}: a null here is not screened")
        ok &= _check(child, columns[name]) | _nulls(columns[name])
    for part in spec.get("allOf", ()):
        ok &= _row_check(part, columns)
    if "if" in spec:
        ok &= ~_row_check(spec["if"], columns) | _row_check(spec["then"], columns)
    return ok


@cache
def explicit_nulls():
    """Optional fields whose schema rejects null: a null there cannot be told from a missing key in a column."""
    return tuple(name for name, spec in facility_schema()["properties"].items()
                 if name not in REQUIRED and not _accepts_null(spec))


def _text_ok(array):
    """True where no string inside a value is longer than MAX_TEXT_CHARS or holds NUL (schema.value_problems).

    Typed columns nest a few levels only; JSON text is bounded by its own length and brackets.
    """
    kind = array.type
    if kind == pa.json_(pa.string()):
        text = array.storage
        brackets = pc.add(pc.count_substring(text, "{"), pc.count_substring(text, "["))
        return ~_mask(pc.or_(pc.or_(pc.greater(pc.utf8_length(text), MAX_TEXT_CHARS),
                                    pc.match_substring(text, "\\u0000")), pc.greater(brackets, _MAX_BRACKETS)))
    if pa.types.is_string(kind):
        return ~_mask(pc.or_(pc.greater(pc.utf8_length(array), MAX_TEXT_CHARS), pc.match_substring(array, "\x00")))
    if pa.types.is_list(kind):
        return _per_parent(array, _text_ok(pc.list_flatten(array)))
    if pa.types.is_struct(kind):
        return np.logical_and.reduce([_text_ok(field) for field in array.flatten()] or [np.ones(len(array), bool)])
    return np.ones(len(array), dtype=bool)


def _not_future(columns):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    ok = None
    for name, key in _DATED:
        array = columns[name]
        if key is not None and not pa.types.is_list(array.type):
            continue  # a column not modelled: its features are suspects already
        if key is not None:
            lists = array
            array = pc.list_flatten(array).flatten()[[field.name for field in array.type.value_type].index(key)]
            late = _per_parent(lists, ~_mask(pc.greater(array, today)))
        else:
            late = ~_mask(pc.greater(array, today))
        ok = late if ok is None else ok & late
    return ok


def suspects(chunks, rows):
    """numpy bool per feature of a batch: True where a problem is possible (check that feature by itself).

    ``chunks``: the batch's schema columns as :func:`geomap.frame._arrow_chunk` made them (Arrow
    arrays, or Python lists for an object column).
    """
    suspect = np.zeros(rows, dtype=bool)
    columns = {}
    for name in FIELDS:
        if name == "geometry":
            continue
        chunk = chunks.get(name)
        if chunk is None:
            continue
        if not isinstance(chunk, pa.Array):  # values Arrow would not hold: check each by itself
            suspect |= np.array([value is not None for value in chunk], dtype=bool)
            chunk = pa.nulls(rows, pa.null())
        columns[name] = chunk
    try:
        typed = {name: array for name, array in columns.items() if array.type != pa.null()}
        for name, array in typed.items():
            expected = facility_schema()["properties"][name]
            if array.type == pa.json_(pa.string()) and (name in LIST_FIELDS or "properties" in expected
                                                          or expected.get("type") not in (["object", "null"], "object")):
                suspect |= ~_nulls(array)  # a typed field that needed JSON text: not modelled
                columns[name] = pa.nulls(rows, pa.string())
            else:
                suspect |= ~_text_ok(array)
        for name in FIELDS:
            if name != "geometry" and name not in columns:
                columns[name] = pa.nulls(rows, pa.string())
        columns = {name: (pa.nulls(rows, pa.string()) if array.type == pa.null() else array)
                   for name, array in columns.items()}
        suspect |= ~_row_check(facility_schema(), columns)
        suspect |= ~_not_future(columns)
    except (Unsupported, pa.ArrowException, KeyError, IndexError, ValueError):
        suspect[:] = True
    return suspect


class BatchChecker:
    """Validates features batch by batch for :func:`geomap.frame.from_features`: a cheap Python screen
    per feature, then :func:`suspects` on the batch's columns, then ``checker.check`` for each
    feature either flagged (in file order, so ids and problems come out as checked one by one)."""

    def __init__(self, checker):
        self.checker = checker
        self.index = 0
        self.batch, self.screened, self.ids = [], [], []
        self.nullable = explicit_nulls()

    def pairs(self, batch):
        """``(properties, geometry)`` for the frame, each safe to build from; keeps the batch for :meth:`check`."""
        self.batch, self.screened, self.ids = batch, [], []
        pairs = []
        fields, nullable = frozenset(FIELDS), self.nullable
        for feature in batch:
            properties = feature.get("properties") if type(feature) is dict and feature.get("type") == "Feature" else None
            if type(properties) is not dict:
                self.screened.append(True)
                self.ids.append(None)
                pairs.append(({}, None))
                continue
            geometry = feature.get("geometry")
            bad_geometry = _check_geometry(geometry) is not None
            self.screened.append(bad_geometry or not fields.issuperset(properties)
                                 or any(properties.get(name, 0) is None for name in nullable))
            self.ids.append(properties.get("id"))
            pairs.append((properties, None if bad_geometry else geometry))
        return pairs

    def check(self, chunks):
        """Check the batch :meth:`pairs` last saw, given its columns."""
        flagged = suspects(chunks, len(self.batch)) | np.array(self.screened, dtype=bool)
        first_index, check = self.checker.first_index, self.checker.check
        for offset, (feature, fid, suspect) in enumerate(zip(self.batch, self.ids, flagged)):
            index = self.index + offset
            if suspect or type(fid) is not str or fid in first_index:
                check(index, feature)
            else:
                first_index[fid] = index
        self.index += len(self.batch)
