"""Benchmark the location checks: what they add to `read_facilities` and `geomap validate`.

Writes ``--count`` synthetic facilities (benchmarks/synthetic.py, every point inside its
state) as compact GeoJSON, or reuses ``--path``, then times, in this process:

* ``read_facilities(path, check_locations=False)``: parse and schema validation, for scale;
* ``location_problems(facilities, states=False)``: the country check ``read_facilities``
  adds (what `build` runs), best of three;
* ``location_problems(facilities)``: country and state checks (what `validate` adds), best
  of three; the outlines' one-time loading is timed on its own.

Run by hand: ``python benchmarks/locations.py [--count 100000] [--path FILE]``.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from benchmarks import synthetic  # noqa: E402
from geomap import places  # noqa: E402
from geomap.load import read_facilities  # noqa: E402


def timed(function, *args, repeat=1, **kwargs):
    """``(result, best wall time in s of repeat calls)``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return result, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--path", type=Path, help="an existing facilities GeoJSON to check instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.path or synthetic.write_geojson(synthetic.features(args.count), Path(folder) / "facilities.geojson")
        _, loading = timed(places.country_of, 0.0, 0.0)  # decode the vendored outlines once
        facilities, plain = timed(read_facilities, path, check_locations=False)
        _, country = timed(places.location_problems, facilities, str(path), states=False, repeat=3)
        problems, full = timed(places.location_problems, facilities, str(path), repeat=3)
    print(f"{len(facilities):,} facilities, {len(problems)} location problems")
    print(f"loading the outlines (once per process):     {loading:.2f} s")
    print(f"read_facilities without location checks:     {plain:.2f} s")
    print(f"country check (added to read_facilities):    {country:.2f} s")
    print(f"country and state checks (added to validate): {full:.2f} s")


if __name__ == "__main__":
    main()
