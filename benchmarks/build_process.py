"""Benchmark the whole `geomap build` process against `gpd.read_file(...).explore().save(...)`.

Both run as fresh processes on the same synthetic file (benchmarks/synthetic.py), timed end to
end from the parent: interpreter start, imports, reading, validating, building and writing the
page. CPU time (user + system) and peak memory (the high-water mark ``ru_maxrss``) are each
child's own, from ``os.wait4``; on a loaded machine the CPU ratio is the steadier one. Each
command runs ``--runs`` times (alternating, so load on the machine falls on both); the table gives
the medians, the ratio of geomap's to explore()'s, and the peaks. explore() needs matplotlib and
mapclassify.

    python benchmarks/build_process.py [--size 100000] [--runs 3] [--keep DIR]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

EXPLORE = "import sys, geopandas as gpd; gpd.read_file(sys.argv[1]).explore().save(sys.argv[2])"


def commands(input_path, folder):
    """label -> the command line of each approach."""
    return {
        "geomap build": [sys.executable, "-m", "geomap", "build", str(input_path), "-o", str(folder / "geomap.html")],
        "explore()": [sys.executable, "-c", EXPLORE, str(input_path), str(folder / "explore.html")],
    }


def run(command):
    """Wall seconds, CPU seconds (user + system) and peak resident MB of one child process run to completion."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    error = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{error}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: kilobytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="synthetic facilities (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (medians are shown)")
    parser.add_argument("--keep", metavar="DIR", help="keep the input and pages in DIR")
    args = parser.parse_args()

    from benchmarks import synthetic

    folder = Path(args.keep or tempfile.mkdtemp(prefix="geomap-build-"))
    folder.mkdir(parents=True, exist_ok=True)
    input_path = folder / f"facilities-{args.size}.geojson"
    if not input_path.exists():
        synthetic.write_geojson(synthetic.features(args.size), input_path)
    measured = {label: [] for label in commands(input_path, folder)}
    for _ in range(args.runs):
        for label, command in commands(input_path, folder).items():
            measured[label].append(run(command))
    seconds = {label: statistics.median(s for s, _, _ in runs) for label, runs in measured.items()}
    cpu = {label: statistics.median(c for _, c, _ in runs) for label, runs in measured.items()}
    peak = {label: max(mb for _, _, mb in runs) for label, runs in measured.items()}
    print(f"{args.size:,} facilities, {input_path.stat().st_size / 1e6:.0f} MB of GeoJSON, "
          f"median of {args.runs} runs, whole processes\n")
    print("| command | wall s (each run) | CPU s | peak RSS MB | wall vs explore() | CPU vs explore() |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, runs in measured.items():
        each = ", ".join(f"{s:.2f}" for s, _, _ in runs)
        print(f"| `{label}` | **{seconds[label]:.2f}** ({each}) | {cpu[label]:.2f} | {peak[label]:.0f} | "
              f"{seconds[label] / seconds['explore()']:.2f} | {cpu[label] / cpu['explore()']:.2f} |")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
