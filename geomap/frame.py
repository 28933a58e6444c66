"""The one data shape passed between stages: a GeoDataFrame of facilities.

Columns are the properties of :data:`geomap.schema.FIELDS`, in that order, then any
extra properties the input carried, then ``geometry`` (EPSG:4326 Points; ``None``
where a facility is not located yet). Values stay plain Python (``str``, ``int``,
``list``, ``dict`` or ``None``) in object columns, so nothing is coerced on the way
through: an integer count stays an integer, an unknown stays null.

Run-level metadata travels in ``frame.attrs`` (see docs/data-model.md):
``attrs["national_totals"]`` (dated nationwide figures) and ``attrs["inputs"]``
(files read, with SHA-256), used by the headline panel and export provenance.
"""

import contextlib
import gc
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .schema import FIELDS, LIST_FIELDS

CRS = "EPSG:4326"


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
    """Turn pandas/numpy scalars and NaN into plain JSON-able Python values."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        return value.item()
    return value


def from_features(features):
    """Build the facilities GeoDataFrame from GeoJSON feature dicts."""
    with gc_paused():
        records = []
        for feature in features:
            properties = dict(feature.get("properties") or {})
            for field in LIST_FIELDS:
                if properties.get(field) is None:
                    properties[field] = []
            records.append(properties)
        return from_records(records, _geometries([feature.get("geometry") for feature in features]))


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
    """Build the facilities GeoDataFrame from property dicts and shapely geometries."""
    extra = []
    for record in records:
        extra.extend(key for key in record if key not in FIELDS and key not in extra and key != "geometry")
    columns = list(FIELDS) + extra
    frame = pd.DataFrame(
        [[record.get(column, [] if column in LIST_FIELDS else None) for column in columns] for record in records],
        columns=columns,
        dtype=object,
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geometries), crs=CRS, index=frame.index), crs=CRS)


def properties(row):
    """The properties dict of one row (a pandas Series), as plain Python values."""
    return {key: _plain(value) for key, value in row.items() if key != "geometry"}


def to_features(frame, precision=None):
    """Yield GeoJSON Feature dicts, lon/lat rounded to ``precision`` decimals if given."""
    for (_, row), geometry in zip(frame.iterrows(), frame.geometry):
        if geometry is None or geometry.is_empty:
            geojson_geometry = None
        else:
            coords = [geometry.x, geometry.y]
            if precision is not None:
                coords = [round(c, precision) for c in coords]
            geojson_geometry = {"type": "Point", "coordinates": coords}
        yield {"type": "Feature", "geometry": geojson_geometry, "properties": properties(row)}
