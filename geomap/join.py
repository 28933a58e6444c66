"""Join dated detainee counts and status events onto facilities (``geomap join``).

:func:`join_counts` matches every count row to a facility (:mod:`geomap.names`), merges its
dated figures (``detainee_counts``, each with who counted it) and status events
(``status_history``) with those the facility already has, and lets :mod:`geomap.history` pick
the ones standing on ``as_of``. Rows for ``national:XX`` are nationwide totals and go to
``attrs["national_totals"]``. Nothing is dropped silently: the match report has one line per
input row, and figures of one date that differ are reported as conflicts (see docs/join.md).
"""

import re
from pathlib import Path

import pandas as pd

from .cells import neutralise
from .counts import COLUMNS, cell_text, map_header, read_counts, read_table
from .errors import InputError
from .files import atomic_write
from .history import (COUNT_FIELDS, STATUS_FIELDS, _figure_identity, count_fields, date_key, facility_events,
                      facility_figures, figure_rank, merge_events, merge_figures, parse_as_of, status_fields)
from .load import input_record, input_stem
from .names import Facility, NameMatcher

REPORT_COLUMNS = ("row", "input_name", "state", "chosen_id", "method", "score", "candidates", "conflict")
_NATIONAL = re.compile(r"national:([A-Za-z]{2})", re.I)  # the whole cell (fullmatch)


ALIAS_HEADERS = {"name": ("name", "input_name", "nombre", "alias"), "id": ("id", "facility_id", "facility")}


def read_aliases(path, facility_ids, encoding=None):
    """A user crosswalk (CSV/XLSX/JSON with ``name`` and ``id`` columns) as ``{name: id}``.

    Every id must be one of ``facility_ids``; a wrong one is an error naming the row.
    """
    header, records = read_table(path, encoding)
    columns = {column: index for index, column in map_header(path, header, ALIAS_HEADERS).items()}
    if len(columns) < 2:
        raise InputError(f"{path}: expected the columns name,id (input name, facility id)")
    aliases = {}
    for number, values in records:
        name, facility_id = cell_text(values, columns["name"]), cell_text(values, columns["id"])
        if not name and not facility_id:
            continue
        if facility_id not in facility_ids:
            raise InputError(f"{path}: row {number}: id {facility_id!r} is not a facility id: "
                             "use an id from the facilities file")
        aliases[name] = facility_id
    return aliases


def _national_total(row, name, code):
    if row["detainees"] is None or row["status"] is not None:
        raise InputError(f"{name}: row {row['row']}: national:{code} rows carry a nationwide figure, "
                         "not a status: put the figure in detainees and leave status empty")
    return {"country": code.upper(), "detainees": row["detainees"], "qualifier": row["qualifier"],
            "as_of": row["as_of"], "source": row["source"], "counted_by": row["counted_by"], "note": row["note"]}


def facility_matcher(facilities, aliases=None):
    """The :class:`NameMatcher` of a facilities frame: each id with its name, English name and aliases, in its state."""
    return NameMatcher(
        (Facility(row["id"], tuple(filter(None, [row["name"], row.get("name_en"), *(row.get("aliases") or [])])),
                  row.get("state"))
         for row in facilities.to_dict("records")),
        aliases,
    )


def match_rows(facilities, counts, aliases=None):
    """The match report: one row per count row (see :data:`REPORT_COLUMNS`), ``conflict`` empty.

    National rows get method ``national``; other methods are those of :class:`geomap.names.Match`.
    """
    matcher = facility_matcher(facilities, aliases)
    national = counts["facility"].str.fullmatch(_NATIONAL)
    matches = iter(matcher.match_many(list(zip(counts.loc[~national, "facility"], counts.loc[~national, "state"]))))
    report = []
    for row, is_national in zip(counts.to_dict("records"), national):
        match = None if is_national else next(matches)
        report.append({
            "row": row["row"],
            "input_name": row["facility"],
            "state": row["state"],
            "chosen_id": f"national:{row['facility'][-2:].upper()}" if is_national else match.facility_id,
            "method": "national" if is_national else match.method,
            "score": None if is_national or match.score is None else round(match.score, 1),
            "candidates": "" if is_national else "; ".join(f"{cid} ({score:g})" for cid, score in match.candidates[:5]),
            "conflict": "",
        })
    return pd.DataFrame([[item[column] for column in REPORT_COLUMNS] for item in report], columns=REPORT_COLUMNS,
                        dtype=object)


def join_counts(facilities, counts, as_of=None, aliases=None, strict=False, counts_name="<counts>"):
    """Join a :func:`geomap.counts.read_counts` table onto the facilities GeoDataFrame.

    Returns ``(joined, report)``: a copy of ``facilities`` with the detainee and status fields
    filled (figures already in ``facilities`` are kept and merged, identical ones once), and the
    match report DataFrame (:data:`REPORT_COLUMNS`). ``as_of`` (ISO date or month; None = latest)
    picks which figure and status are current. ``aliases`` maps input names to ids. With
    ``strict``, an unmatched or ambiguous row raises :class:`InputError` naming the first one.
    """
    cutoff_text = None if as_of is None else parse_as_of(as_of)
    report = match_rows(facilities, counts, aliases)
    missed = report[report["method"].isin(["unmatched", "ambiguous"])]
    if strict and len(missed):
        first = missed.iloc[0]
        more = f" (and {len(missed) - 1} more; see the match report without --strict)" if len(missed) > 1 else ""
        reason = "matches no facility" if first["method"] == "unmatched" else f"is ambiguous ({first['candidates']})"
        raise InputError(f"{counts_name}: row {first['row']}: {first['input_name']!r} {reason}: fix the name "
                         f"or map it to an id in an --aliases file (name,id){more}")

    joined = facilities.copy()
    joined.attrs = {**facilities.attrs, "as_of": cutoff_text}
    new_counts, new_events, totals = {}, {}, []
    for row, chosen in zip(counts.to_dict("records"), report["chosen_id"]):
        national = _NATIONAL.fullmatch(row["facility"])
        if national:
            totals.append(_national_total(row, counts_name, national[1]))
            continue
        if chosen is None:
            continue
        if row["detainees"] is not None:
            new_counts.setdefault(chosen, []).append(
                {"detainees": row["detainees"], "qualifier": row["qualifier"], "as_of": row["as_of"],
                 "source": row["source"], "counted_by": row["counted_by"], "note": row["note"], "_row": row["row"]})
        if row["status"] is not None:
            new_events.setdefault(chosen, []).append(
                {"status": row["status"], "date": row["status_date"], "source": row["source"], "note": row["note"]})
    conflicts, updated = {}, []
    for facility in facilities[list(COUNT_FIELDS + STATUS_FIELDS + ("id",))].to_dict("records"):
        updated.append({**_count_fields(facility, new_counts.get(facility["id"], []), cutoff_text, conflicts),
                        **_status_fields(facility, new_events.get(facility["id"], []), cutoff_text)})
    for field in COUNT_FIELDS + STATUS_FIELDS:
        joined[field] = pd.Series([values[field] for values in updated], index=joined.index, dtype=object)
    joined.attrs["national_totals"] = merge_figures(
        facilities.attrs.get("national_totals", []), totals,
        identity=lambda total: (total["country"], total["detainees"], total.get("qualifier") or "exact",
                                total["as_of"], total.get("source")))
    report["conflict"] = [conflicts.get(number, ("", False))[0] for number in report["row"]]
    report.attrs["held_conflicts"] = {number for number, (_, held) in conflicts.items() if held}
    figures = counts[counts["detainees"].notna()]
    report.attrs["counted_by"] = {"column": counts.attrs.get("counted_by_column", True),
                                  "unknown": int(figures["counted_by"].isna().sum()), "figures": len(figures)}
    return joined, report


def as_of_view(facilities, as_of):
    """The facilities as they stood on ``as_of``: current figure and status re-picked from their
    ``detainee_counts`` and ``status_history`` (for ``geomap build --as-of`` without new counts)."""
    return join_counts(facilities, pd.DataFrame(columns=COLUMNS, dtype=object), as_of)[0]


def _count_fields(facility, new, as_of, conflicts):
    """One facility's :data:`COUNT_FIELDS` with ``new`` figures merged in; notes same-date conflicts."""
    existing = facility_figures(facility)
    if not existing and not new:
        return {field: facility[field] for field in COUNT_FIELDS}
    merged = merge_figures(existing, new)
    _note_conflicts(facility["id"], merged, new, conflicts, existing)
    return count_fields([{key: value for key, value in count.items() if key != "_row"} for count in merged], as_of)


def _note_conflicts(facility_id, merged, new, conflicts, existing):
    """For each input row of ``new`` whose date has other, different figures in ``merged``: a
    one-line explanation, and whether the facilities file already held the row's figure (the
    report says it; stderr only names conflicts the join brought in)."""
    held = {_figure_identity(count) for count in existing}
    by_date = {}
    for count in merged:
        by_date.setdefault(date_key(count["as_of"]), []).append(count)
    for count in new:
        same_date = by_date[date_key(count["as_of"])]
        figures = {(other["detainees"], other.get("qualifier") or "exact") for other in same_date}
        if len(figures) < 2:
            continue
        shown = min(same_date, key=figure_rank)
        conflicts[count["_row"]] = (
            f"{facility_id} {shown['as_of']}: {len(figures)} different figures "
            f"({', '.join(f'{n} {q}' for n, q in sorted(figures))}); shown {shown['detainees']}"
            f" ({shown['counted_by'] or 'organisation unknown'}) by the same-date rule",
            _figure_identity(count) in held)


def _status_fields(facility, new, as_of):
    """One facility's :data:`STATUS_FIELDS` with ``new`` events merged into the history."""
    history = facility_events(facility)
    if not history and not new:
        return {field: facility[field] for field in STATUS_FIELDS}
    return status_fields(merge_events(history, new), as_of)


def join_file(facilities, counts_path, as_of=None, aliases_path=None, strict=False, encoding=None, header_row=None):
    """:func:`join_counts` from file paths (what ``geomap join`` and ``geomap build --counts`` call).

    Reads the counts (``header_row``: see :func:`geomap.counts.read_table`) and the optional
    crosswalk, records the counts file and its SHA-256 in ``attrs["inputs"]`` and returns
    ``(joined, report)``.
    """
    counts = read_counts(counts_path, encoding, header_row)
    aliases = read_aliases(aliases_path, set(facilities["id"]), encoding) if aliases_path else None
    joined, report = join_counts(facilities, counts, as_of, aliases, strict, counts_name=str(counts_path))
    joined.attrs["inputs"] = [*facilities.attrs.get("inputs", []), input_record(counts_path)]
    return joined, report


def join_national(facilities, counts_path, as_of=None):
    """Join only the ``national:XX`` rows of ``counts_path`` for the countries of ``facilities``.

    What ``geomap build`` does for a user's own facilities file without ``--counts``: the curated
    nationwide series stays on the map. Returns ``(joined, number of rows joined)``; with no such
    rows, ``facilities`` unchanged (and 0).
    """
    counts = read_counts(counts_path)
    countries = {str(country).upper() for country in facilities.get("country", pd.Series(dtype=object)).dropna()}
    national = counts[counts["facility"].str.fullmatch(r"national:[A-Za-z]{2}", case=False)
                      & counts["facility"].str[-2:].str.upper().isin(countries)]
    if national.empty:
        return facilities, 0
    # The totals joined onto no facility: nothing to match, and each facility's own fields stay as they
    # are (as with no nationwide rows at all) instead of being re-picked one by one (minutes at 100k).
    totals, _ = join_counts(facilities.iloc[:0], national.reset_index(drop=True), as_of, counts_name=str(counts_path))
    joined = facilities.copy() if as_of is None else as_of_view(facilities, as_of)
    joined.attrs = {**facilities.attrs, **totals.attrs}
    joined.attrs["inputs"] = [*facilities.attrs.get("inputs", []), input_record(counts_path)]
    return joined, len(national)


def default_output(facilities_path):
    """``output/<facilities stem>.joined.geojson``: the default of ``geomap join -o``."""
    return Path("output") / f"{input_stem(facilities_path)}.joined.geojson"


def report_path(output, facilities_path):
    """Where the match report of ``geomap join -o OUTPUT`` goes, checking OUTPUT is a GeoJSON name.

    ``jan.2026.geojson`` -> ``jan.2026.matches.csv`` beside it; the default
    ``<stem>.joined.geojson`` -> ``<stem>.matches.csv``; stdout (``-``) ->
    ``output/<FACILITIES stem>.matches.csv``. Any other OUTPUT suffix is an :class:`InputError`.
    """
    if str(output) == "-":
        return Path("output") / f"{input_stem(facilities_path)}.matches.csv"
    output = Path(output)
    if output.suffix.lower() not in (".geojson", ".json"):
        raise InputError(f"-o {output}: join writes GeoJSON: end the name in .geojson (or use - for stdout)")
    stem = output.stem.removesuffix(".joined")
    return output.with_name(f"{stem}.matches.csv")


def write_report(report, path, raw_cells=False):
    """Write the match report CSV atomically (UTF-8, comma-separated); unless ``raw_cells``, no
    cell is a live spreadsheet formula (:mod:`geomap.cells`: names come from the counts file)."""
    with atomic_write(path, newline="") as handle:
        (report if raw_cells else report.map(neutralise)).to_csv(handle, index=False)


#: How the summary says each match method (in this order), for one row and for several.
METHOD_WORDS = {
    "id": ("matched a facility by id", "matched facilities by id"),
    "name": ("matched a facility by its exact name", "matched facilities by their exact names"),
    "alias": ("matched a facility through --aliases", "matched facilities through --aliases"),
    "fuzzy": ("matched a facility by a close name", "matched facilities by close names"),
    "national": ("nationwide total", "nationwide totals"),
    "unmatched": ("unmatched", "unmatched"),
    "ambiguous": ("ambiguous", "ambiguous"),
}


def summary(report, report_file=None, counts_name="the counts file"):
    """Lines for stderr: what the rows of ``counts_name`` matched, the rows not matched, conflicting dates."""
    methods = {method: int(rows) for method, rows in report["method"].value_counts().items()}
    missed = methods.get("unmatched", 0) + methods.get("ambiguous", 0)
    joined = f"{len(report) - missed} of {len(report)}" if missed else f"{len(report)}"
    counted = ", ".join(f"{methods[method]} {words[methods[method] != 1]}"
                        for method, words in METHOD_WORDS.items() if method in methods)
    lines = [f"joined {joined} rows of {counts_name}: {counted}"]
    for method, advice in (("unmatched", "no facility matches"), ("ambiguous", "more than one facility matches")):
        rows = report[report["method"] == method]
        if len(rows):
            listed = ", ".join(f"row {r} {n!r}" for r, n in zip(rows["row"][:10], rows["input_name"][:10]))
            more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
            lines.append(f"{method} ({advice}; not joined): {listed}{more}")
    held = report.attrs.get("held_conflicts", set())
    conflicts = sorted({text for row, text in zip(report["row"], report["conflict"]) if text and row not in held})
    lines.extend(f"conflict: {text}" for text in conflicts)
    counted = report.attrs.get("counted_by")
    if counted and counted["figures"] and not counted["column"]:
        lines.append("counted_by: the counts file has no counted_by column: who counted its figures is unknown "
                     "(add one, e.g. foro_penal, jep, press; see docs/join.md)")
    elif counted and counted["unknown"]:
        lines.append(f"counted_by: {counted['unknown']} of {counted['figures']} figures do not say who counted them "
                     "(unknown organisation)")
    if report_file is not None:
        lines.append(f"match report: {report_file}")
    return lines
