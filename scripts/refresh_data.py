"""Regenerate the figures and statuses of data/facilities.geojson from data/counts.csv.

counts.csv is the one place where dated figures and status events are edited; the GeoJSON's
``detainees*``, ``detainee_counts``, ``status*`` and ``status_history`` fields are derived from it
by geomap's own join (:func:`geomap.join.join_file`), so the two files cannot drift apart. Every
other property, the feature order, the top-level ``geomap`` member and the file's format
(``json.dumps(indent=2, ensure_ascii=False)`` plus a newline) are kept.

Usage, from the repository root::

    PYTHONPATH=$PWD python scripts/refresh_data.py [FACILITIES] [COUNTS]
"""

import json
import re
import sys

from geomap import DEFAULT_COUNTS, DEFAULT_FACILITIES
from geomap.errors import GeomapError, InputError
from geomap.files import atomic_write
from geomap.frame import properties
from geomap.join import join_file
from geomap.load import check_collection, facilities_from, read_json

#: The properties the join derives from the counts: figure fields and status fields.
DERIVED = re.compile(r"^(detainees(_.+)?|detainee_counts|status(_.+)?)$")


def emptied(props):
    """``props`` with every derived field reset to "no source says anything"."""
    def empty(key, value):
        if isinstance(value, list):
            return []
        return "unknown" if key == "status" else None
    return {key: empty(key, value) if DERIVED.match(key) else value for key, value in props.items()}


def refresh(facilities_path=DEFAULT_FACILITIES, counts_path=DEFAULT_COUNTS):
    """Rewrite ``facilities_path`` with its derived fields re-joined from ``counts_path`` alone.

    Raises :class:`InputError` (file unchanged) when a counts row names no facility.
    """
    collection = read_json(facilities_path)
    for feature in collection.get("features") or []:
        feature["properties"] = emptied(feature.get("properties") or {})
    check_collection(collection, str(facilities_path))
    joined, _ = join_file(facilities_from(collection, facilities_path), counts_path, strict=True)
    for feature, (_, row) in zip(collection["features"], joined.iterrows()):
        derived = {key: value for key, value in properties(row).items() if DERIVED.match(key)}
        feature["properties"] = {**feature["properties"], **derived}
    with atomic_write(facilities_path) as out:
        out.write(json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
    return joined


def main(argv):
    try:
        joined = refresh(*argv[:2])
    except GeomapError as exc:
        for line in [str(exc), *map(str, getattr(exc, "problems", ()))]:
            print(f"refresh_data: {line}", file=sys.stderr)
        return 1
    print(f"{len(joined)} facilities refreshed; {len(joined.attrs.get('national_totals') or [])} national totals")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
