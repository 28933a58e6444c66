"""geomap: sourced, dated, offline-first maps of detention facilities.

The flow is one way — load/validate → geocode → join → render/export — and every
stage takes and returns the same thing: a GeoDataFrame in EPSG:4326 whose columns
are the facility properties documented in ``docs/data-model.md`` (see
:mod:`geomap.schema`). Which dated figure and status stand on a date, per counting
organisation, is :mod:`geomap.history`, which every stage imports.
"""

__version__ = "0.1.0"

DEFAULT_FACILITIES = "data/facilities.geojson"
DEFAULT_COUNTS = "data/counts.csv"
DEFAULT_MAP = "output/map.html"
