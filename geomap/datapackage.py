"""A research package: the dataset as CSV tables described by a Frictionless ``datapackage.json``.

:func:`write_datapackage` writes four tables into one folder (docs/datapackage.md):

* ``facilities.csv`` — the CSV export itself (:mod:`geomap.export`): one row per facility,
  every field, ``lon``/``lat``; :func:`geomap.export.read_export` reads it back losslessly.
* ``figures.csv`` — one row per dated figure (:data:`geomap.export.COUNT_COLUMNS`).
* ``national_totals.csv`` — the nationwide totals, a table of their own so that every
  ``figures.facility_id`` is a real foreign key to ``facilities.id``.
* ``status_history.csv`` — one row per dated status event.

Dates are strings with the schema's date pattern: a figure's ``as_of`` may be a day or a month
(``YYYY-MM``), and Table Schema's ``date`` and ``yearmonth`` each accept only one of the two.
"""

import json
from pathlib import Path

from .errors import OutputError
from .export import (COUNT_COLUMNS, DEFAULT_PRECISION, INTEGER_FIELDS, _PROPERTIES, _columns, _write_csv,
                     _write_csv_rows, provenance, records, write_counts_csv)
from .files import atomic_directory, sha256_file
from .load import PROVENANCE_KEY
from .organisations import organisation_name
from .schema import facility_schema

DESCRIPTOR = "datapackage.json"
NATIONAL_COLUMNS = ("country", "detainees", "qualifier", "as_of", "source", "counted_by", "note")
STATUS_COLUMNS = ("facility_id", "status", "date", "source", "note")
DATE_PATTERN = facility_schema()["$defs"]["date"]["pattern"]
#: The data licence proposed for the curated dataset (data/README.md states none yet).
LICENSE = {"name": "ODC-BY-1.0", "title": "Open Data Commons Attribution License v1.0",
           "path": "https://opendatacommons.org/licenses/by/1-0/"}
#: data/README.md beside the schema the provenance names: the dataset's sources and method.
METHOD_URL = facility_schema()["$id"].rsplit("/geomap/", 1)[0] + "/data/README.md"
#: Fields that are dates (or months) in every table.
DATE_FIELDS = {"status_date", "detainees_as_of", "location_as_of", "as_of", "date"}
#: Table fields that are not facility properties, with their types.
TABLE_FIELDS = {"lon": "number", "lat": "number", "facility_id": "string", "detainees": "integer"}


def _field(name):
    """One Table Schema field: integer, number, a date-or-month string, or text (lists and objects as JSON text)."""
    field = {"name": name, "type": TABLE_FIELDS.get(name, "integer" if name in INTEGER_FIELDS else "string")}
    if name in DATE_FIELDS:
        field["constraints"] = {"pattern": DATE_PATTERN}
    description = _PROPERTIES.get(name, {}).get("description")
    if description:
        field["description"] = description
    return field


def _resource(folder, name, columns, primary_key=None, parent_key=False):
    schema = {"fields": [_field(column) for column in columns]}
    if primary_key:
        schema["primaryKey"] = [primary_key]
    if parent_key:
        schema["foreignKeys"] = [{"fields": ["facility_id"], "reference": {"resource": "facilities", "fields": ["id"]}}]
    path = folder / f"{name}.csv"
    return {
        "name": name, "path": path.name, "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8", "bytes": path.stat().st_size, "hash": f"sha256:{sha256_file(path)}", "schema": schema,
    }


def _sources(facilities):
    """The method page, then each organisation that counted a figure (every row keeps its own source URL)."""
    counted = [count.get("counted_by") for row in records(facilities) for count in row["detainee_counts"] or ()]
    counted += [total.get("counted_by") for total in facilities.attrs.get("national_totals") or ()]
    sources = [{"title": "geomap data/README.md: sources and method", "path": METHOD_URL}]
    return sources + [{"title": organisation_name(slug)} for slug in dict.fromkeys(c for c in counted if c)]


def is_datapackage(folder):
    """True when ``folder`` holds a data package geomap wrote (so it may be replaced)."""
    try:
        descriptor = json.loads((Path(folder) / DESCRIPTOR).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(descriptor, dict) and PROVENANCE_KEY in descriptor


def write_datapackage(facilities, directory, precision=DEFAULT_PRECISION, generated_at=None, raw_cells=False):
    """Write ``facilities`` as a Frictionless Tabular Data Package in the folder ``directory``.

    The folder appears complete or not at all (built beside it, then renamed); an existing
    folder is replaced only when it is empty or an earlier geomap data package. The
    provenance (:func:`geomap.export.provenance`, less the source URLs every row keeps and
    the totals that are a table here) is the descriptor's ``geomap`` member. Text cells a spreadsheet
    would run as a formula get a leading ``'`` as in every geomap CSV (:mod:`geomap.cells`) unless
    ``raw_cells``. Returns ``directory``.
    """
    if str(directory) == "-":
        raise OutputError("a data package is a folder and cannot stream to stdout: give a folder with -o")
    rows = records(facilities)
    national = facilities.attrs.get("national_totals") or []
    events = [[row["id"], *(event.get(c) for c in STATUS_COLUMNS[1:])] for row in rows for event in row["status_history"] or ()]
    prov = {k: v for k, v in provenance(facilities, precision, generated_at).items() if k not in ("sources", "national_totals")}
    with atomic_directory(directory, is_datapackage) as folder:
        _write_csv(facilities, folder / "facilities.csv", precision, False, raw_cells)
        write_counts_csv(facilities, folder / "figures.csv", False, raw_cells)
        _write_csv_rows(folder / "national_totals.csv", NATIONAL_COLUMNS,
                        ([total.get(c) for c in NATIONAL_COLUMNS] for total in national), False, raw_cells)
        _write_csv_rows(folder / "status_history.csv", STATUS_COLUMNS, events, False, raw_cells)
        descriptor = {
            "profile": "tabular-data-package",
            "name": "geomap-detention-facilities",
            "title": "Detention facilities holding political prisoners: status, dated figures and nationwide totals",
            "created": prov["generated_at"],
            "licenses": [LICENSE],
            "sources": _sources(facilities),
            "resources": [
                _resource(folder, "facilities", [*_columns(facilities), "lon", "lat"], primary_key="id"),
                _resource(folder, "figures", COUNT_COLUMNS, parent_key=True),
                _resource(folder, "national_totals", NATIONAL_COLUMNS),
                _resource(folder, "status_history", STATUS_COLUMNS, parent_key=True),
            ],
            PROVENANCE_KEY: prov,
        }
        (folder / DESCRIPTOR).write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return directory
