"""The one data shape passed between stages: a GeoDataFrame of facilities.

Columns are the properties of :data:`geomap.schema.FIELDS`, in that order, then any
extra properties the input carried, then ``geometry`` (EPSG:4326 Points; ``None``
where a facility is not located yet).

Storage: each schema column is an Arrow column (:class:`PlainArrowDtype`, a
``pd.ArrowDtype``) whose Arrow type is derived from ``facility.schema.json``
(:func:`arrow_type`): strings, int64, ``list<string>``, ``list<struct<...>>``.
Free-form objects (``geocoding``) are Arrow JSON text (:data:`JSON`), and so is a
schema column in which some value the derived type would not give back exactly (a
nested object with a key the schema does not declare or without an optional one, a
float in an integer field): nothing is coerced or lost. Values that are not JSON at
all, and extra properties, stay object columns. 100k facilities take about 150 MB of
Arrow memory for 208 MB of compact GeoJSON (~750 MB as object columns).

Contract for the other stages:

* ``frame[column].tolist()``, iteration, ``frame.loc``/``iloc`` scalars,
  ``to_dict("records")``, ``itertuples`` and :func:`properties` give plain Python
  values (``str``, ``int``, ``list``, ``dict``), ``None`` for null: never ``pd.NA``
  or NaN. A vectorized comparison (``frame[column] == value``) is a nullable
  boolean column: ``<NA>`` where the value is null.
* ``frame.iloc[a:b]`` is cheap (Arrow slices share memory).
* A stage may set scalar cells (``frame.loc[i, "detainees"] = 7``) or assign whole
  columns, as ``pd.Series(values, index=frame.index, dtype=object)`` (without
  ``dtype=object`` pandas turns strings into its "str" dtype, null into NaN); a stage
  that builds new values may instead build a new frame with :func:`from_records`.

Run-level metadata travels in ``frame.attrs`` (see docs/data-model.md):
``attrs["national_totals"]`` (dated nationwide figures, each with who counted it),
``attrs["primary_counted_by"]`` (whose nationwide series the headline leads with) and
``attrs["inputs"]`` (files read, with SHA-256), used by the headline panel and export provenance.
"""

import contextlib
import gc
import itertools
import json
import math
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from .schema import FIELDS, LIST_FIELDS, facility_schema, resolve_ref

CRS = "EPSG:4326"
#: Facilities converted to Arrow at a time: the transient Python objects are one batch
#: (at 100k, 2,000 peaked 380 MB against 520 MB for 10,000, in the same time).
BATCH_SIZE = 2000

if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    # pyarrow's default (mimalloc) kept ~85 MB more resident at 100k facilities than malloc
    pa.set_memory_pool(pa.system_memory_pool())


@contextlib.contextmanager
def gc_paused():
    """Pause CPython's cyclic garbage collector while building large acyclic data.

    Parsing or building 100k facilities allocates millions of small lists and dicts;
    each burst makes the collector rescan everything already built. At 100k that was
    most of the time of json.loads, the frame and the map payload (e.g. 3.5 s -> 0.7 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plain(value):
    """Turn pandas/numpy scalars and NaN (in object columns a stage assigned) into plain Python values."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        return value.item()
    return value


class PlainArrowDtype(pd.ArrowDtype):
    """An Arrow-backed pandas dtype whose null is ``None``, not ``pd.NA`` (see the module contract)."""

    na_value = None

    @classmethod
    def construct_array_type(cls):
        return PlainArrowArray


class PlainArrowArray(pd.arrays.ArrowExtensionArray):
    """An Arrow-backed pandas array that gives back plain Python values (``None`` for null).

    A column of Arrow's JSON type (:data:`JSON`) gives back the decoded values.
    """

    def __init__(self, values):
        super().__init__(values)
        self._dtype = PlainArrowDtype(self._pa_array.type)

    def tolist(self):
        values = self._pa_array.to_pylist()
        if isinstance(self._pa_array.type, pa.JsonType):
            return [None if text is None else json.loads(text) for text in values]
        return values

    def __iter__(self):
        return iter(self.tolist())

    def __getitem__(self, item):
        value = super().__getitem__(item)
        if isinstance(value, str) and isinstance(self._pa_array.type, pa.JsonType):
            return json.loads(value)
        return value

    def to_numpy(self, dtype=None, copy=False, na_value=pd.api.extensions.no_default):
        if dtype in (None, object) and na_value is pd.api.extensions.no_default:
            values = np.empty(len(self), dtype=object)
            values[:] = self.tolist()  # lists stay lists (pyarrow would give ndarrays)
            return values
        return super().to_numpy(dtype=dtype, copy=copy, na_value=na_value)


def arrow_type(spec):
    """The Arrow type that holds every value ``spec`` allows exactly, or None (an object column).

    Derived from the JSON Schema only: ``string``/``integer``/string enums, each nullable;
    arrays of such items; objects that declare their ``properties``. Anything else (numbers,
    free-form objects, mixed types) is None.
    """
    spec = resolve_ref(spec)
    options = [resolve_ref(option) for option in spec.get("anyOf", ())]
    if options:
        types = {arrow_type(option) for option in options if option.get("type") != "null"}
        return types.pop() if len(types) == 1 else None
    if "enum" in spec:
        values = [value for value in spec["enum"] if value is not None]
        return pa.string() if all(isinstance(value, str) for value in values) else None
    kinds = spec.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else [kind for kind in kinds if kind != "null"]
    if len(kinds) != 1:
        return None
    if kinds[0] == "string":
        return pa.string()
    if kinds[0] == "integer":
        return pa.int64()
    if kinds[0] == "array" and "items" in spec:
        item = arrow_type(spec["items"])
        return None if item is None else pa.list_(item)
    if kinds[0] == "object" and spec.get("properties"):
        fields = [(name, arrow_type(field)) for name, field in spec["properties"].items()]
        return None if any(kind is None for _, kind in fields) else pa.struct(fields)
    return None


#: Schema column -> its Arrow type; the other schema columns (free-form objects) are :data:`JSON`.
ARROW_TYPES = {
    field: kind for field, kind in ((f, arrow_type(s)) for f, s in facility_schema()["properties"].items()) if kind
}
#: Arrow's JSON text type: holds any JSON value compactly; :class:`PlainArrowArray` decodes it.
JSON = pa.json_(pa.string())


def _exact_check(kind):
    """A test that a non-null value converts to ``kind`` and back unchanged, or None when
    pyarrow already raises for every value that would not (strings)."""
    if pa.types.is_int64(kind):
        return lambda value: type(value) is int  # pyarrow would truncate 65.0 and 1.5
    if pa.types.is_list(kind):
        item = _exact_check(kind.value_type)
        if item is None:  # pyarrow would split a string into its characters
            return lambda value: type(value) is list
        return lambda value: type(value) is list and all(entry is None or item(entry) for entry in value)
    if pa.types.is_struct(kind):
        names = {field.name for field in kind}
        checks = [(field.name, _exact_check(field.type)) for field in kind]
        checks = [(name, check) for name, check in checks if check]
        # pyarrow would drop undeclared keys and turn a missing key into null
        return lambda value: (type(value) is dict and value.keys() == names
                              and all(value[name] is None or check(value[name]) for name, check in checks))
    return None


_EXACT = {field: _exact_check(kind) for field, kind in ARROW_TYPES.items()}


def _is_json(value):
    """True if ``value`` comes back from JSON text unchanged (no tuples, non-string keys, objects)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return True
    if kind is list:
        return all(map(_is_json, value))
    return kind is dict and all(type(key) is str for key in value) and all(map(_is_json, value.values()))


def _json_chunk(values):
    """``values`` as Arrow JSON text, or None when some value would not come back exactly."""
    if not all(map(_is_json, values)):
        return None
    try:
        return pa.array([None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                         for value in values], type=JSON)
    except ValueError:  # a lone surrogate in a string (UnicodeEncodeError)
        return None


def _arrow_chunk(field, values):
    """``values`` as an Arrow array: of the field's type if it holds them exactly, else JSON text.

    None when neither holds them exactly (the column becomes an object column).
    """
    check = _EXACT.get(field)
    if field in ARROW_TYPES and not (check and not all(value is None or check(value) for value in values)):
        try:
            return pa.array(values, type=ARROW_TYPES[field])
        except (pa.ArrowException, TypeError, ValueError, OverflowError):  # UnicodeEncodeError is a ValueError
            pass
    return _json_chunk(values)


def _column(chunks):
    """One frame column from its per-batch chunks (Arrow arrays, or lists of values Arrow would not hold).

    Chunks of different Arrow types (a batch that needed JSON text) all become JSON text.
    """
    if all(isinstance(chunk, pa.Array) for chunk in chunks):
        kinds = {chunk.type for chunk in chunks}
        if len(kinds) > 1:
            chunks = [chunk if chunk.type == JSON else _json_chunk(chunk.to_pylist()) for chunk in chunks]
        return PlainArrowArray(pa.chunked_array(chunks, type=chunks[0].type if chunks else JSON))
    values = [value for chunk in chunks for value in (chunk.to_pylist() if isinstance(chunk, pa.Array) else chunk)]
    return pd.Series(values, dtype=object)  # dtype given: pandas would make strings "str", null NaN


def from_features(features, checker=None):
    """Build the facilities GeoDataFrame from GeoJSON feature dicts (any iterable, consumed in batches).

    A list field that is null or missing becomes an empty list. With a
    :class:`geomap.schema.FeatureChecker`, every feature is validated as its batch is built
    (:mod:`geomap.fastcheck`: over the Arrow columns, then one by one for any feature they flag),
    ``checker.problems`` as ``checker.check`` would list them; features may then be anything.
    """
    features = iter(features)  # a list too: islice of a list would start again at its head each batch
    batches = iter(lambda: list(itertools.islice(features, BATCH_SIZE)), [])
    if checker is None:
        pairs = ([(feature.get("properties") or {}, feature.get("geometry")) for feature in batch] for batch in batches)
        return _build(pairs, _geometries, null_lists_empty=True)
    from .fastcheck import BatchChecker

    batch_checker = BatchChecker(checker)
    return _build(map(batch_checker.pairs, batches), _geometries, null_lists_empty=True, check=batch_checker.check)


def _geometries(geojson):
    """Shapely geometries for GeoJSON geometry dicts (None stays None).

    2-D points, the usual case, are built in one vectorized call.
    """
    if not all(g is None or (g.get("type") == "Point" and len(g.get("coordinates") or ()) == 2) for g in geojson):
        return [shapely.geometry.shape(g) if g else None for g in geojson]
    coords = np.array([g["coordinates"] if g else (np.nan, np.nan) for g in geojson], dtype=float).reshape(-1, 2)
    points = shapely.points(coords)
    points[np.isnan(coords[:, 0])] = None
    return list(points)


def from_records(records, geometries):
    """Build the facilities GeoDataFrame from property dicts and shapely geometries.

    A missing list field becomes an empty list.
    """
    pairs = zip(records, geometries)
    return _build(iter(lambda: list(itertools.islice(pairs, BATCH_SIZE)), []), list)


def _encodable(name):
    try:
        name.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def _build(batches, to_geometries, null_lists_empty=False, check=None):
    """The frame from batches of ``(properties, geometry)`` pairs, converted to columns one batch at a time.

    ``check``, if given, is called with each batch's schema columns (Arrow arrays, or lists of values
    Arrow would not hold) once they are built.
    """
    chunks = {field: [] for field in FIELDS if field != "geometry"}
    geometries, rows = [], 0
    with gc_paused():
        for batch in batches:
            records = [record for record, _ in batch]
            geometries.extend(to_geometries([geometry for _, geometry in batch]))
            # a name with a lone surrogate ("\\ud800" in the JSON) cannot be a column: no output could write it
            new = dict.fromkeys(key for record in records for key in record
                                if key not in chunks and key != "geometry" and _encodable(key))
            for column in [*chunks, *new]:
                default = [] if column in LIST_FIELDS else None
                values = [record.get(column, default) for record in records]
                if null_lists_empty and column in LIST_FIELDS:
                    values = [default if value is None else value for value in values]
                chunk = _arrow_chunk(column, values) if column in FIELDS else None
                chunks.setdefault(column, [[None] * rows] if rows else []).append(values if chunk is None else chunk)
            if check is not None:
                check({field: chunks[field][-1] for field in FIELDS if field != "geometry"})
            rows += len(records)
        columns = {column: _column(column_chunks) for column, column_chunks in chunks.items()}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))  # Series of RangeIndex(rows): aligned
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=CRS, index=frame.index), crs=CRS)


def properties(row):
    """The properties dict of one row (a pandas Series), as plain Python values."""
    return {key: _plain(value) for key, value in row.items() if key != "geometry"}


def to_features(frame, precision=None):
    """Yield GeoJSON Feature dicts, lon/lat rounded to ``precision`` decimals if given.

    Rows are turned into Python values one batch at a time, so a big frame never is at once.
    """
    columns = [column for column in frame.columns if column != frame.geometry.name]
    for start in range(0, len(frame), BATCH_SIZE):
        part = frame.iloc[start:start + BATCH_SIZE]
        rows = zip(*(part[column].tolist() for column in columns))
        for values, geometry in zip(rows, part.geometry):
            if geometry is None or geometry.is_empty:
                geojson_geometry = None
            else:
                coords = [geometry.x, geometry.y]
                if precision is not None:
                    coords = [round(c, precision) for c in coords]
                geojson_geometry = {"type": "Point", "coordinates": coords}
            yield {"type": "Feature", "geometry": geojson_geometry,
                   "properties": {column: _plain(value) for column, value in zip(columns, values)}}
