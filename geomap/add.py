"""Add reported rows to a dataset (``geomap add REPORT --to FACILITIES [--counts COUNTS]``).

An advocate's report names facilities (name, town, state, maybe coordinates) with a count, a date
and a source. :func:`read_report` reads it (CSV, XLSX, JSON records or GeoJSON, with the readers and
header synonyms of ``geocode`` and ``join``); :func:`add_report` decides, row by row:

- a row that names a facility of the dataset (its id, a name, English name or alias, or a close name
  in its state: :func:`geomap.join.facility_matcher`) *enriches* it: fields it lacks are filled from
  the row, the row's name becomes an alias when it is new, and each change is listed;
- a row that names none becomes a *new* facility with a stable id (slug of name and state, made
  unique deterministically), located by the geocoding chain and validated like any input;
- a row that could be two facilities, or names one whose point lies more than :data:`FAR_METRES`
  away, or would make a probable duplicate (:func:`geomap.names.probable_duplicates`), is
  *ambiguous*: listed, never guessed (``strict`` makes it an error).

Figures and status events of the applied rows become dated rows of COUNTS (the columns ``join``
reads) and are joined onto FACILITIES, so both stay in step. :meth:`AddResult.write` replaces both
files only once both are complete and valid. See docs/add.md.
"""

import contextlib
import copy
import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import frame as frames
from .cells import neutralise
from .counts import COLUMNS, HEADERS, _check_row, cell_text, map_header, parse_status, read_counts, read_table
from .errors import InputError
from .files import atomic_path
from .geocode import GeocodeOptions, check_geocoded, geocode_frame
from .history import COUNT_FIELDS, STATUS_FIELDS
from .join import facility_matcher, join_counts
from .load import (LOCATION_COLUMNS, LOCATION_HEADERS, _degrees, check_collection, check_countries, input_suffix,
                   raise_problems, read_json, unique_slug)
from .names import Match, fold, normalize, probable_duplicates
from .schema import LOCATION_FIELDS, Problem, validate_collection

#: A reported point farther than this (metres) from the facility its name matches is not that facility for sure.
FAR_METRES = 5_000
#: The report's columns that become dated rows of COUNTS (as ``join`` reads them).
COUNT_COLUMNS = ("detainees", "qualifier", "as_of", "source", "counted_by", "status", "status_date", "note")
#: Fields a matched facility gets from the report when it has none.
FILLED_FIELDS = ("name_en", "facility_type", "operator", "address", "city", "state", "country")
#: The header a new COUNTS file gets (that of data/counts.csv).
COUNTS_HEADER = ("facility", *COUNT_COLUMNS)
_EARTH_METRES = 6_371_008.8


def _report_headers():
    """``{column: folded headers}`` of a report: join's count columns first, then geocode's location columns.

    A header both claim (``estado``, ``notas``) is join's; :func:`read_report` gives ``estado`` back to
    the state when its cells are state names, not statuses.
    """
    counted = {column: HEADERS[column] for column in COUNT_COLUMNS}
    taken = {title for titles in counted.values() for title in titles}
    located = {column: tuple(title for title in titles if title not in taken) for column, titles in LOCATION_HEADERS.items()}
    located["name"] += tuple(title for title in HEADERS["facility"] if title not in ("id", "facility_id", *located["name"]))
    located["id"] += ("facility_id",)
    located["state"] += tuple(title for title in HEADERS["state"] if title not in located["state"])
    return counted | {column: titles for column, titles in located.items() if titles}


REPORT_HEADERS = _report_headers()


@dataclass
class Report:
    """A report's rows: each ``{"row", "label", "where", "location", "point", "counts"}`` (``counts``: join's raw cells)."""

    name: str
    rows: list
    unknown_columns: list


def read_report(path):
    """Read REPORT (CSV, XLSX, JSON records, or GeoJSON whose points are the rows' coordinates) as a :class:`Report`.

    Headers are matched as ``geocode`` and ``join`` match them (English or Spanish, any case; title
    rows above them skipped, see :func:`geomap.counts.read_table`); columns matching none are listed
    in ``unknown_columns``. ``-`` is stdin, its format known from its first bytes.
    """
    name = str(path)
    geojson = input_suffix(path) == ".geojson"  # stdin (-): by its first bytes
    header, records = _geojson_table(path) if geojson else read_table(path, synonyms=REPORT_HEADERS, needs=({"name", "id"},))
    columns = map_header(name, header, REPORT_HEADERS)
    _estado_as_state(columns, header, records)
    unknown = [str(title).strip() for index, title in enumerate(header) if index not in columns and str(title or "").strip()]
    rows, problems = [], []
    for number, values in records:
        cells = {column: cell_text(values, index) for index, column in columns.items() if cell_text(values, index)}
        if not cells:
            continue
        label = f"{'feature' if geojson else 'row'} {number}"
        where = f"{name}: {label}"
        if not cells.get("name") and not cells.get("id"):
            problems.append(f"{where}: no name: give the facility's name (or its id)")
            continue
        point = None
        if "lat" in cells or "lon" in cells:
            try:
                point = (_degrees(cells["lon"]), _degrees(cells["lat"]))
            except (KeyError, ValueError):
                problems.append(f"{where}: lat/lon: give both as decimal degrees, or leave both empty")
                continue
        location = {key: cells[key] for key in (*LOCATION_COLUMNS, "aliases") if key in cells}
        rows.append({"row": number, "label": label, "where": where, "location": location, "point": point,
                     "counts": {key: cells[key] for key in COUNT_COLUMNS if key in cells}})
    _raise_rows(name, problems)
    return Report(name, rows, unknown)


def _raise_rows(name, problems):
    """The InputError for bad rows of REPORT ``name``: the one problem, or a count with each problem listed."""
    if problems:
        raise InputError(problems[0] if len(problems) == 1 else
                         f"{name}: {len(problems)} rows have problems; fix them and run again",
                         problems if len(problems) > 1 else ())


def _aliases(location):
    """The names in a row's ``aliases`` cell (separated by ``;``, as ``geocode`` reads them)."""
    return [alias.strip() for alias in location.get("aliases", "").split(";") if alias.strip()]


def _geojson_table(path):
    """A GeoJSON report as ``(header, records)``: ``lon``, ``lat`` from each Point, then its properties."""
    collection = read_json(path)
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or not all(isinstance(feature, dict) for feature in features):
        raise InputError(f"{path}: expected a GeoJSON FeatureCollection of Point features, one per reported row")
    keys = list(dict.fromkeys(key for feature in features for key in (feature.get("properties") or {})))
    records = []
    for index, feature in enumerate(features):
        geometry, props = feature.get("geometry") or {}, feature.get("properties") or {}
        lon, lat = (geometry.get("coordinates") or [None, None])[:2] if geometry.get("type") == "Point" else (None, None)
        cells = ["; ".join(map(str, value)) if isinstance(value, list) else value for value in map(props.get, keys)]
        records.append((index, [lon, lat, *cells]))
    return ["lon", "lat", *keys], records


def _estado_as_state(columns, header, records):
    """Give an ``estado`` column to the state (in place) when a cell of it is not a status word:
    in Venezuela ``estado`` names the state as often as the status."""
    index = next((index for index, column in columns.items() if column == "status" and fold(header[index]) == "estado"), None)
    if index is None or "state" in columns.values():
        return
    for _, values in records:
        try:
            parse_status(cell_text(values, index))
        except ValueError:
            columns[index] = "state"
            return


@dataclass
class AddResult:
    """What :func:`add_report` would change; :meth:`write` changes it.

    ``enriched``: per matched row ``{"row", "label", "name", "id", "method", "filled", "aliases_added", "kept"}``;
    ``added``: per new facility ``{"row", "rows", "id", "name", "precision", "step"}``; ``ambiguous`` and
    ``unlocated``: ``{"row", "label", "name", "reason"}``; ``count_rows``: the new rows of COUNTS (:data:`COUNTS_HEADER`
    keys, plus ``row``); ``already_counted``: rows whose figures the dataset has already.
    """

    report: str
    facilities_path: str
    counts_path: str | None
    collection: dict
    changed: bool = False
    enriched: list = field(default_factory=list)
    added: list = field(default_factory=list)
    ambiguous: list = field(default_factory=list)
    unlocated: list = field(default_factory=list)
    count_rows: list = field(default_factory=list)
    already_counted: list = field(default_factory=list)
    unknown_columns: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    geocoding: dict | None = None

    @property
    def left_out(self):
        """Rows not applied (ambiguous or not located): the command exits 2 when there are any."""
        return self.ambiguous + self.unlocated

    def write(self):
        """Write FACILITIES and COUNTS (:func:`write_result`)."""
        write_result(self)


def add_file(report_path, facilities_path, counts_path=None, options=None, strict=False, progress=False):
    """:func:`add_report` from file paths: the :class:`AddResult` (nothing written until its ``write()``)."""
    for option, path in (("--to", facilities_path), ("--counts", counts_path)):
        if str(path) == "-":
            raise InputError(f"{option} -: add rewrites that file in place: give its path (REPORT may be -)")
    if counts_path is not None:
        _counts_format(counts_path)
    report = read_report(report_path)
    collection = check_collection(read_json(facilities_path), str(facilities_path))
    counts = read_counts(counts_path) if counts_path is not None and Path(str(counts_path)).is_file() else None
    result = add_report(report, collection, counts, options, strict, str(facilities_path), progress)
    result.counts_path = None if counts_path is None else str(counts_path)
    return result


def add_report(report, collection, counts=None, options=None, strict=False, facilities_name="FACILITIES",
               progress=False):
    """Apply a :class:`Report` to a facilities FeatureCollection (a dict, left unchanged): an :class:`AddResult`.

    ``counts``: the COUNTS table (:func:`geomap.counts.read_counts`) whose rows are not added twice;
    ``options``: :class:`geomap.geocode.GeocodeOptions` for the new facilities. With ``strict``, an
    ambiguous row raises :class:`InputError` naming it. Bad rows raise InputError listing every one.
    """
    options = options or GeocodeOptions()
    facilities = frames.from_features(collection["features"])
    figures = _figures(report)
    result = AddResult(report.name, facilities_name, None, copy.deepcopy(collection), unknown_columns=report.unknown_columns)
    features = {feature["properties"]["id"]: feature for feature in result.collection["features"]}
    matches, groups = _match(report, facilities, result)
    _strict(result, strict)
    applied = [(row, features[match.facility_id], match) for row, match in matches]
    new_features, new_rows = _located(report, groups, set(features), options, progress, result)
    _keep_distinct(result, list(features.values()), new_features, new_rows)
    _strict(result, strict)
    for row, feature, match in applied:
        _enrich(row, feature, match, result)
    for feature, rows in zip(new_features, new_rows):
        result.collection["features"].append(feature)
        applied += [(row, feature, None) for row in rows]
    _count(applied, figures, counts, result)
    result.changed = bool(result.added or result.count_rows or any(item["filled"] or item["aliases_added"]
                                                                      for item in result.enriched))
    if result.count_rows:
        _join(result)
    check_collection(result.collection, facilities_name)
    check_countries(frames.from_features(result.collection["features"]), facilities_name)
    return result


def _figures(report):
    """``{row number: join's checked count row}`` of the rows with a figure or a status; every bad row at once."""
    figures, problems = {}, []
    for row in report.rows:
        raw = row["counts"]
        if not raw.get("detainees") and not raw.get("status"):
            continue
        try:
            figures[row["row"]] = _check_row({"facility": _name(row), **raw},
                                             row["row"])
        except ValueError as exc:
            problems.append(f"{row['where']}: {exc}")
    _raise_rows(report.name, problems)
    return figures


def _match(report, facilities, result):
    """``([(row, Match)], {(name key, state key): [rows]})``: matched rows, and the new ones grouped by facility."""
    matcher = facility_matcher(facilities)
    points = {fid: point for fid, point in zip(facilities["id"], facilities.geometry)}
    matches, groups = [], {}
    for row in report.rows:
        location = row["location"]
        name = _name(row)
        if location.get("id") in points:
            match = Match(location["id"], "id", 100.0)
        else:
            match = matcher.match(name, location.get("state"))
        if match.method == "ambiguous":
            listed = ", ".join(f"{fid} ({score:g})" for fid, score in match.candidates[:5])
            result.ambiguous.append(_left_out(row, f"matches several facilities: {listed}"))
        elif match.facility_id is not None:
            apart = _metres(row["point"], points[match.facility_id])
            if apart is not None and apart > FAR_METRES:
                result.ambiguous.append(_left_out(row, f"its name matches {match.facility_id} ({match.method}) but its "
                                                       f"point is {apart / 1000:.0f} km from {match.facility_id}'s"))
            else:
                matches.append((row, match))
        else:
            key = (normalize(name), fold(location["state"]) if location.get("state") else None)
            groups.setdefault(key, []).append(row)
    return matches, groups


def _name(row):
    """How a report row names its facility: its name, else its id."""
    return row["location"].get("name") or row["location"]["id"]


def _left_out(row, reason):
    return {"row": row["row"], "label": row["label"], "name": _name(row),
            "reason": reason}


def _metres(point, other):
    """Great-circle metres between a ``(lon, lat)`` and a shapely point; None when either is missing."""
    if point is None or other is None or other.is_empty:
        return None
    lon1, lat1, lon2, lat2 = map(math.radians, (*point, other.x, other.y))
    hav = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_METRES * math.asin(math.sqrt(hav))


def _strict(result, strict):
    """With ``strict``, the first ambiguous row as an InputError naming the report row."""
    if strict and result.ambiguous:
        first = result.ambiguous[0]
        more = f" (and {len(result.ambiguous) - 1} more)" if len(result.ambiguous) > 1 else ""
        raise InputError(f"{result.report}: {first['label']}: {first['name']!r} is ambiguous: {first['reason']}: "
                         f"give the facility's id in an id column, or fix the name or point{more}")


def _located(report, groups, taken, options, progress, result):
    """The new facilities' features (located) and the report rows of each; rows not located go to ``unlocated``."""
    if not groups:
        return [], []
    grouped = list(groups.values())
    records = [_new_facility(rows, taken, report.name) for rows in grouped]
    _check_new(records, grouped, report.name)
    frame = frames.from_features(records)
    frame.attrs["inputs"] = [{"path": report.name}]
    located = check_geocoded(geocode_frame(frame, options, progress))
    result.geocoding = located.attrs["geocoding"]
    new_features, new_rows = [], []
    for feature, rows in zip(frames.to_features(located), grouped):
        if feature["geometry"] is None:
            reasons = feature["properties"]["geocoding"]["unresolved"]
            result.unlocated += [_left_out(row, "not located: " + " | ".join(reasons)) for row in rows]
        else:
            new_features.append(feature)
            new_rows.append(rows)
    return new_features, new_rows


def _new_facility(rows, taken, report_name):
    """One new facility's feature from its report rows (the first row's values first), with a unique id."""
    props = {}
    for row in rows:
        for key, value in row["location"].items():
            props.setdefault(key, value)
    names = dict.fromkeys([*(row["location"].get("name") for row in rows), *_aliases(props)])
    props.pop("aliases", None)
    props["name"] = props.get("name") or props["id"]
    props["aliases"] = [name for name in names if name and name != props["name"]]
    props["sources"] = list(dict.fromkeys(row["counts"]["source"] for row in rows if row["counts"].get("source")))
    props.setdefault("facility_type", "other")
    props.setdefault("status", "unknown")
    if "country" in props:
        props["country"] = props["country"].upper()
    given = props.get("id")
    props["id"] = given if given and given not in taken else unique_slug(f"{props['name']} {props.get('state', '')}", taken)
    taken.add(props["id"])
    first = next((row for row in rows if row["point"]), None)
    geometry = None
    if first:
        geometry = {"type": "Point", "coordinates": list(first["point"])}
        props.setdefault("location_source", f"coordinates given in {report_name}, {first['label']}")
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _check_new(records, grouped, report_name):
    """Every schema problem of the new facilities (but the location fields geocoding fills), named by report row."""
    problems = []
    for problem in validate_collection({"type": "FeatureCollection", "features": records}, "report",
                                       require_geometry=False):
        if problem.field in LOCATION_FIELDS and records[problem.index]["properties"].get(problem.field) is None:
            continue
        where = grouped[problem.index][0]["where"] + (f" (id={problem.id})" if problem.id else "")
        problems.append(Problem(where, None, None, problem.field, problem.message))
    raise_problems(problems, report_name)


def _keep_distinct(result, existing, new_features, new_rows):
    """Move new facilities that are probable duplicates of others (existing or new) to ``ambiguous``, in place;
    list the rest in ``added``."""
    everything = frames.from_features(existing + new_features)
    dropped = {}
    for pair in probable_duplicates(everything):
        if pair.second >= len(existing) and pair.second - len(existing) not in dropped:
            dropped[pair.second - len(existing)] = f"a probable duplicate of {pair.first_id}: {pair.reason}"
    for index in sorted(dropped, reverse=True):
        result.ambiguous += [_left_out(row, dropped[index]) for row in new_rows[index]]
        del new_features[index], new_rows[index]
    for feature, rows in zip(new_features, new_rows):
        props = feature["properties"]
        result.added.append({"row": rows[0]["row"], "rows": [row["row"] for row in rows], "id": props["id"],
                             "name": props["name"], "precision": props["location_precision"],
                             "step": props["geocoding"]["step"]})


def _enrich(row, feature, match, result):
    """Fill ``feature``'s empty fields from the row and add the row's names to its aliases; list what changed."""
    props, location = feature["properties"], row["location"]
    filled, kept = {}, {}
    for key in FILLED_FIELDS:
        value = location.get(key)
        if not value:
            continue
        if props.get(key) in (None, ""):
            props[key] = filled[key] = value.upper() if key == "country" else value
        elif fold(props[key]) != fold(value):
            kept[key] = value
    known = {fold(name) for name in [props["name"], props.get("name_en"), *(props.get("aliases") or [])] if name}
    reported = [location.get("name"), *_aliases(location)]
    added = [name for name in dict.fromkeys(reported) if name and fold(name) not in known and name != props["id"]]
    props["aliases"] = [*(props.get("aliases") or []), *added]
    result.enriched.append({"row": row["row"], "label": row["label"], "name": _name(row), "id": props["id"],
                            "method": match.method, "filled": filled, "aliases_added": added, "kept": kept})


def _identities(count):
    """The keys that say a count row is already in the dataset: one for its figure, one for its status event."""
    keys = set()
    if count.get("detainees") is not None:
        keys.add(("figure", count["facility"], count["detainees"], count.get("qualifier") or "exact", count["as_of"],
                  count.get("source"), count.get("counted_by")))
    if count.get("status") is not None:
        keys.add(("status", count["facility"], count["status"], count.get("status_date"), count.get("source")))
    return keys


def _known_counts(collection, counts):
    """Identities of every figure and status event in the facilities file and in the COUNTS table."""
    known = set()
    for feature in collection["features"]:
        props = feature["properties"]
        for figure in props.get("detainee_counts") or []:
            known |= _identities({"facility": props["id"], **figure})
        for event in props.get("status_history") or []:
            known |= _identities({"facility": props["id"], "status": event["status"], "status_date": event.get("date"),
                                  "source": event.get("source")})
    for count in ([] if counts is None else counts.to_dict("records")):
        known |= _identities(count)
    return known


def _count(applied, figures, counts, result):
    """The applied rows' figures and events as new COUNTS rows, but those the dataset has already."""
    known = _known_counts(result.collection, counts)
    for row, feature, _ in applied:
        if row["row"] not in figures:
            continue
        count = {**figures[row["row"]], "facility": feature["properties"]["id"]}
        keys = _identities(count)
        if keys <= known:
            result.already_counted.append({"row": row["row"], "id": count["facility"]})
            continue
        known |= keys
        result.count_rows.append(count)


def _join(result):
    """Join the new COUNTS rows onto the facilities they name (their figure and status fields), in place."""
    facilities = frames.from_features(result.collection["features"])
    counts = pd.DataFrame([[count[column] for column in COLUMNS] for count in result.count_rows], columns=COLUMNS,
                          dtype=object)
    joined, report = join_counts(facilities, counts, counts_name=result.report)
    result.conflicts = sorted(set(filter(None, report["conflict"])))
    named = {count["facility"] for count in result.count_rows}
    for feature, (_, row) in zip(result.collection["features"], joined.iterrows()):
        if feature["properties"]["id"] in named:
            derived = frames.properties(row)
            feature["properties"].update({key: derived[key] for key in COUNT_FIELDS + STATUS_FIELDS})


# ---------------------------------------------------------------- writing


def _counts_format(path):
    """InputError unless COUNTS is a CSV file (or a new one): add appends rows to it as text."""
    if Path(str(path)).suffix.lower() in (".xlsx", ".xlsm", ".json"):
        raise InputError(f"{path}: add appends dated rows to a CSV counts file: give a .csv COUNTS "
                         "(save the workbook as CSV, or start a new counts.csv)")


def counts_text(path, rows):
    """The bytes of COUNTS with ``rows`` appended in its own header's order, delimiter, line ends and encoding
    (a new file: :data:`COUNTS_HEADER`, UTF-8). Cells are written as no spreadsheet runs (:mod:`geomap.cells`)."""
    path = Path(str(path))
    data = path.read_bytes() if path.is_file() else b""
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252"), "cp1252"
    if not text.strip():
        data, text = b"", ",".join(COUNTS_HEADER) + "\n"
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    columns = map_header(str(path), header, {"facility": HEADERS["facility"],
                                             **{column: HEADERS[column] for column in COUNT_COLUMNS}})
    missing = [column for column in COUNTS_HEADER
               if column not in columns.values() and any(row.get(column) is not None for row in rows)]
    if missing:
        raise InputError(f"{path}: no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: add "
                         f"{'them' if len(missing) > 1 else 'it'} to its header ({','.join(COUNTS_HEADER)}) "
                         "so the report's values are kept")
    line_end = "\r\n" if "\r\n" in text else "\n"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    for row in rows:
        writer.writerow([neutralise("" if row.get(column) is None else str(row[column]))
                         for column in (columns.get(index) for index in range(len(header)))])
    head = (data or text.encode(encoding))
    separator = b"" if not head or head.endswith(b"\n") else line_end.encode()
    return head + separator + out.getvalue().encode(encoding)


def write_result(result):
    """Write FACILITIES (``json.dumps(indent=2)``, as data/ keeps it) and append to COUNTS, atomically.

    Both new files are complete and read back by geomap's own readers before either replaces the
    old one; any failure leaves both as they were. Nothing is written when nothing changed.
    """
    if not result.changed:
        return
    import json

    counts = result.counts_path if result.count_rows and result.counts_path else None
    with atomic_path(result.facilities_path) as facilities_tmp, \
            (atomic_path(counts) if counts else contextlib.nullcontext()) as counts_tmp:
        facilities_tmp.write_text(json.dumps(result.collection, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        check_collection(read_json(facilities_tmp, result.facilities_path), result.facilities_path)
        if counts_tmp is not None:
            counts_tmp.write_bytes(counts_text(counts, result.count_rows))
            read_counts(counts_tmp)  # the whole file still reads


# ---------------------------------------------------------------- saying what changed


def _listed(items, limit=10):
    shown = ", ".join(f"{item['label']} {item['name']!r}: {item['reason']}" for item in items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def summary_lines(result, dry_run=False):
    """Lines for stderr: every facility enriched or added, the COUNTS rows, and every row left out (and why)."""
    add = "would add" if dry_run else "added"
    plural = lambda number, word: f"{number} {word}{'' if number == 1 else 's'}"  # noqa: E731
    lines = []
    if result.unknown_columns:
        lines.append(f"warning: {result.report}: columns geomap does not know, ignored: "
                     + ", ".join(map(repr, result.unknown_columns)))
    for item in result.enriched:
        changes = [f"{key} {value!r}" for key, value in item["filled"].items()]
        changes += [f"alias {name!r}" for name in item["aliases_added"]]
        kept = "; kept its own " + ", ".join(f"{key} (the report says {value!r})" for key, value in item["kept"].items()) \
            if item["kept"] else ""
        what = f"{add} " + ", ".join(changes) if changes else "nothing to fill"
        lines.append(f"matched {item['label']} {item['name']!r} -> {item['id']} ({item['method']}): {what}{kept}")
    lines.append(f"{add} {plural(len(result.added), 'facility').replace('facilitys', 'facilities')} to "
                 f"{result.facilities_path}" + (":" if result.added else ""))
    lines += [f"  {item['id']}: {item['name']!r} (row{'s' if len(item['rows']) > 1 else ''} "
              f"{', '.join(map(str, item['rows']))}; {item['precision']} point, from {item['step']})" for item in result.added]
    where = result.counts_path or f"{result.facilities_path} (no --counts)"
    figures = sum(row["detainees"] is not None for row in result.count_rows)
    lines.append(f"{add} {plural(len(result.count_rows), 'dated row')} to {where}: {plural(figures, 'figure')}, "
                 f"{plural(sum(row['status'] is not None for row in result.count_rows), 'status event')}"
                 + (f"; {len(result.already_counted)} already in the dataset" if result.already_counted else ""))
    lines += [f"conflict: {text}" for text in result.conflicts]
    if result.ambiguous:
        lines.append(f"ambiguous (not applied, figures not recorded; --strict fails): {_listed(result.ambiguous)}")
    if result.unlocated:
        lines.append(f"not located (not added, figures not recorded): {_listed(result.unlocated)}")
    if dry_run:
        lines.append("dry run: nothing written")
    elif not result.changed:
        lines.append("nothing to change: no file written")
    return lines
