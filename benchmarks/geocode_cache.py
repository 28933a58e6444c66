"""Benchmark the geocoding cache: cache-hit lookups per second on 100,000 rows.

Three measurements, one table:

- ``put`` — answers stored one by one, each committed (how a live run writes);
- ``get`` — 100,000 lookups of distinct cached queries (``GeocodeCache.get``);
- ``geocode_frame`` — 100,000 unlocated rows resolved end to end from a warm cache
  (offline, no gazetteer): the chain, sanity checks and frame rebuilding included.

Run with ``python benchmarks/geocode_cache.py [--rows N]``.
"""

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from geomap import frame as frames
from geomap.geocode import GeocodeOptions, geocode_frame
from geomap.geocode.cache import GeocodeCache, cache_key
from geomap.geocode.chain import row_queries

PROVIDER = "nominatim https://nominatim.openstreetmap.org"
ANSWER = [{"lat": 10.48, "lon": -66.5, "address": "Prison, Miranda, Venezuela",
           "raw": {"osm_type": "way", "osm_id": 1, "class": "amenity", "type": "prison", "place_rank": 30,
                   "addresstype": "amenity", "address": {"state": "Miranda", "country_code": "ve"}}}]


def rows(count):
    return [{"id": f"f{index:06d}", "name": f"Centro de Reclusión {index}", "city": "Guatire", "state": "Miranda",
             "facility_type": "prison", "country": "VE", "status": "unknown"} for index in range(count)]


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--puts", type=int, default=2_000, help="answers committed one by one")
    args = parser.parse_args()
    records = rows(args.rows)
    keys = [cache_key(row_queries(record)[0], "VE") for record in records]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cache.sqlite"
        with GeocodeCache(path) as cache:
            put_seconds = timed(lambda: [cache.put(PROVIDER, key, ANSWER, "2026-11-25") for key in keys[:args.puts]])
        with sqlite3.connect(path) as bulk:  # the rest in one transaction: only the lookups are measured
            bulk.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                             [(PROVIDER, key, GeocodeCache.encode(ANSWER), "2026-11-25") for key in keys[args.puts:]])
        with GeocodeCache(path) as cache:
            get_seconds = timed(lambda: [cache.get(PROVIDER, key) for key in keys])
        facilities = frames.from_records(records, [None] * len(records))
        options = GeocodeOptions(gazetteer=None, cache=path, offline=True)
        located = []
        frame_seconds = timed(lambda: located.append(geocode_frame(facilities, options, progress=False)))
        resolved = located[0].attrs["geocoding"]["resolved"]
    assert resolved == {"cache/site": args.rows}, resolved
    print(f"{'measurement':<16}{'operations':>12}{'seconds':>10}{'per second':>14}")
    for label, count, seconds in [("put (commit)", args.puts, put_seconds), ("get (hit)", args.rows, get_seconds),
                                  ("geocode_frame", args.rows, frame_seconds)]:
        print(f"{label:<16}{count:>12,}{seconds:>10.2f}{count / seconds:>14,.0f}")


if __name__ == "__main__":
    main()
