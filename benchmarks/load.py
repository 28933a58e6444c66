"""Benchmark loading facilities: time and memory of `read_facilities` and of the frame.

For each size, synthetic facilities (benchmarks/synthetic.py, the full data model) are
written as compact GeoJSON to a temporary folder; then, each in a fresh Python process:

* ``read_facilities(path)`` (streamed parse, schema validation, the GeoDataFrame): wall
  time and the peak RSS of the whole process (``ru_maxrss``, imports included);
* the frame's own memory: RSS with the frame held minus RSS before reading (after a GC);
* ``frame.from_features`` on features already in memory: wall time.

The file is written by a fresh process too: the parent stays small, because a child's
``ru_maxrss`` starts at its parent's resident size when it is forked.

Prints one table. Run by hand: ``python benchmarks/load.py [--sizes 10000,100000]``.
"""

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from benchmarks import synthetic


def rss_mb():
    """Current resident set size of this process, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def worker_read(path):
    """In a fresh process: time read_facilities; report time, peak and the frame's RSS."""
    from geomap.load import read_facilities

    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    frame = read_facilities(path)
    seconds = time.perf_counter() - start
    gc.collect()
    return {"rows": len(frame), "read_s": seconds, "peak_mb": peak_mb(), "frame_mb": rss_mb() - before,
            "imports_mb": before}


def worker_build(count):
    """In a fresh process: time frame.from_features on in-memory synthetic features."""
    from geomap import frame as frames

    features = synthetic.features(int(count))
    start = time.perf_counter()
    frames.from_features(features)
    return {"from_features_s": time.perf_counter() - start}


def worker_write(count, path):
    """In a fresh process: write ``count`` synthetic facilities to ``path`` as compact GeoJSON."""
    synthetic.write_geojson(synthetic.features(int(count)), path)
    return {"bytes": Path(path).stat().st_size}


WORKERS = {"read": worker_read, "build": worker_build, "write": worker_write}


def in_fresh_process(kind, *arguments):
    command = [sys.executable, __file__, "--worker", kind, *map(str, arguments)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated facility counts")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *arguments = args.worker
        print(json.dumps(WORKERS[kind](*arguments)))
        return
    print("| facilities | GeoJSON MB | read_facilities s | peak MB (imports) | frame MB | from_features s |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for count in map(int, args.sizes.split(",")):
            path = Path(folder) / f"facilities-{count}.geojson"
            in_fresh_process("write", count, path)
            read = in_fresh_process("read", path)
            build = in_fresh_process("build", count)
            print(f"| {count:,} | {path.stat().st_size / 1e6:.1f} | {read['read_s']:.2f} | "
                  f"{read['peak_mb']:.0f} ({read['imports_mb']:.0f}) | {read['frame_mb']:.0f} | "
                  f"{build['from_features_s']:.2f} |", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
