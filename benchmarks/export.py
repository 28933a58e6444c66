"""Benchmark `geomap export`: write and read back every format for N facilities.

The facilities are data/facilities.geojson repeated (ids made unique) up to N rows, so the
values, lists and history are real ones. Read-back is timed with and without schema
validation. Prints one table; run with ``python benchmarks/export.py [--rows N]``.
"""

import argparse
import tempfile
import time
from pathlib import Path

from geomap import DEFAULT_FACILITIES
from geomap import frame as frames
from geomap.export import FORMATS, export_facilities, read_export
from geomap.load import read_json


def facilities(count):
    features = read_json(DEFAULT_FACILITIES)["features"]
    repeated = []
    for index in range(count):
        feature = features[index % len(features)]
        repeated.append({**feature, "properties": {**feature["properties"], "id": f"{feature['properties']['id']}-{index}"}})
    return frames.from_features(repeated)


def timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    frame = facilities(rows)
    print(f"{rows} facilities")
    print(f"{'format':8} {'write s':>8} {'read s':>8} {'read+validate s':>16} {'MB':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for fmt, suffix in FORMATS.items():
            path = Path(folder) / f"facilities{suffix}"
            write, _ = timed(lambda: export_facilities(frame, fmt, path))
            read, _ = timed(lambda: read_export(path, validate=False))
            validated, _ = timed(lambda: read_export(path))
            print(f"{fmt:8} {write:8.2f} {read:8.2f} {validated:16.2f} {path.stat().st_size / 1e6:6.1f}")


if __name__ == "__main__":
    main()
