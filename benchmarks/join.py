"""Benchmark `geomap join`: 100,000 count rows against 10,000 synthetic facilities.

Rows mix exact ids, names spelled differently (case, accents, generic prefixes), typos that
only fuzzy matching resolves (with and without a state) and names that match nothing. Fuzzy
scoring runs only on the distinct names exact matching leaves. Prints one table; run with
``python benchmarks/join.py [--rows N] [--facilities N]``.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

import shapely

from geomap import frame as frames
from geomap.counts import read_counts
from geomap.join import join_counts, match_rows

STATES = ["Amazonas", "Anzoátegui", "Apure", "Aragua", "Barinas", "Bolívar", "Carabobo", "Cojedes", "Delta Amacuro",
          "Distrito Capital", "Falcón", "Guárico", "La Guaira", "Lara", "Mérida", "Miranda", "Monagas",
          "Nueva Esparta", "Portuguesa", "Sucre", "Táchira", "Trujillo", "Yaracuy", "Zulia"]
SYLLABLES = ["to", "co", "rón", "ya", "re", "ro", "de", "o", "he", "li", "coi", "tu", "mba", "ra", "mo", "ver",
             "pi", "ca", "ui", "ba", "na", "do", "sa", "ta", "an", "má", "xi", "gua", "ri", "lé", "qui", "za"]
PREFIXES = ["Centro Penitenciario de", "Internado Judicial", "Cárcel de", "Sede del"]


def word(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic_facilities(count, rng):
    names = set()
    while len(names) < count:
        names.add(f"{word(rng)} {word(rng)}")
    records = [{"id": f"f{index:05d}", "name": f"{rng.choice(PREFIXES)} {name}", "aliases": [word(rng)] if index % 3 == 0 else [],
                "facility_type": "prison", "country": "VE", "state": rng.choice(STATES), "status": "open",
                "location_precision": "site", "location_source": "https://example.org/synthetic"}
               for index, name in enumerate(sorted(names))]
    points = [shapely.Point(rng.uniform(-73, -60), rng.uniform(1, 12)) for _ in records]
    return frames.from_records(records, points)


def typo(name, rng):
    position = rng.randrange(len(name) - 1)
    return name[:position] + name[position + 1] + name[position] + name[position + 2:]


def synthetic_rows(facilities, count, rng):
    """(kind, facility text, state) rows: 60% id, 25% respelled name, 10% typo, 5% unknown."""
    records = facilities[["id", "name", "state"]].to_dict("records")
    rows = []
    for _ in range(count):
        facility, roll = rng.choice(records), rng.random()
        bare = facility["name"].split(" ", 2)[-1] if facility["name"].startswith("Centro") else facility["name"]
        if roll < 0.60:
            rows.append((facility["id"], ""))
        elif roll < 0.85:
            rows.append((rng.choice([bare.upper(), bare.lower(), f"Cárcel de {bare}"]), ""))
        elif roll < 0.95:
            rows.append((typo(bare, rng), facility["state"] if rng.random() < 0.8 else ""))
        else:
            rows.append((f"Zz {word(rng)} {word(rng)}", ""))
    return rows


def write_csv(rows, path, rng):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("facility;state;detainees;as_of;source\n")
        for name, state in rows:
            handle.write(f"{name};{state};{rng.randint(0, 900)};2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d};"
                         "https://example.org/report\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    timings = []

    def timed(label, function, *call_args):
        start = time.perf_counter()
        result = function(*call_args)
        timings.append((label, time.perf_counter() - start))
        return result

    facilities = synthetic_facilities(args.facilities, rng)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "counts.csv"
        write_csv(synthetic_rows(facilities, args.rows, rng), path, rng)
        counts = timed("read_counts (CSV)", read_counts, path)
    report = timed("match names (exact + fuzzy)", match_rows, facilities, counts)
    timed("join_counts (match + merge + as-of)", join_counts, facilities, counts)

    print(f"{args.rows:,} count rows x {args.facilities:,} facilities "
          f"({report['input_name'].nunique():,} distinct names)\n")
    print(f"{'step':<38}{'seconds':>10}")
    for label, seconds in timings:
        print(f"{label:<38}{seconds:>10.2f}")
    print()
    print(f"{'match method':<38}{'rows':>10}")
    for method, rows in report["method"].value_counts().items():
        print(f"{method:<38}{rows:>10,}")


if __name__ == "__main__":
    main()
