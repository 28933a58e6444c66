"""Join dated detainee counts and status events onto facilities (``geomap join``).

:func:`join_counts` matches every count row to a facility (:mod:`geomap.names`), keeps every
dated figure (``detainee_counts``) and status event (``status_history``) oldest first, and
shows the one current on ``as_of``: the latest figure/event dated on or before it. Rows for
``national:XX`` are nationwide totals and go to ``attrs["national_totals"]``. Nothing is
dropped silently: the match report has one line per input row (see docs/join.md).

Dates: a month (``2026-01``) counts as its last day, so a January figure is not shown "as of"
10 January. Two different figures for one facility and date are both kept; the one shown is
chosen by :func:`current_figure`'s documented rule and the conflict is reported.
"""

import calendar
import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .counts import COLUMNS, QUALIFIERS, cell_text, map_header, parse_date, read_counts, read_table
from .errors import InputError
from .files import atomic_write
from .load import input_record
from .names import Facility, NameMatcher

REPORT_COLUMNS = ("row", "input_name", "state", "chosen_id", "method", "score", "candidates", "conflict")
_NATIONAL = re.compile(r"^national:([A-Za-z]{2})$", re.I)
COUNT_FIELDS = ("detainees", "detainees_qualifier", "detainees_as_of", "detainees_source", "detainee_counts")
STATUS_FIELDS = ("status", "status_date", "status_source", "status_history")
#: Status events on the same date: the later stage of a closure wins.
_STATUS_ORDER = ("unknown", "open", "announced_closure", "closed")


def date_key(value):
    """The day an ISO date or month stands for when comparing: a month is its last day."""
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:])
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date.fromisoformat(value)


def latest_date(facilities):
    """The newest date of a current figure, status or nationwide total: what the data describes
    when no ``--as-of`` was asked for (a month counting as its last day)."""
    dates = [d for column in ("detainees_as_of", "status_date") if column in facilities.columns
             for d in facilities[column] if isinstance(d, str)]
    dates += [total["as_of"] for total in facilities.attrs.get("national_totals") or []]
    return max(dates, key=date_key, default=None)


def cutoff_day(as_of):
    """``as_of`` (ISO, dd/mm/yyyy or month; None = no limit) as the last day it covers."""
    return None if as_of is None else date_key(parse_as_of(as_of))


def _figure_rank(count):
    """Sort key among figures of one date: best first (see :func:`current_figure`)."""
    qualifier = count.get("qualifier") or "exact"
    return (len(count["as_of"]) == 7, QUALIFIERS.index(qualifier), -count["detainees"], count["source"])


def current_figure(counts, as_of=None):
    """The figure to show on ``as_of`` (None = the latest) from ``{detainees, qualifier, as_of, source}`` dicts.

    The latest date on or before ``as_of`` wins. Figures of the same date are ranked: a day
    beats a month, then exact > about > at_least > up_to, then the larger figure, then the
    source URL (only so that row order never changes the result). Returns None if none qualifies.
    Also used for national totals' headline.
    """
    cutoff = cutoff_day(as_of)
    eligible = [count for count in counts if cutoff is None or date_key(count["as_of"]) <= cutoff]
    if not eligible:
        return None
    latest = max(date_key(count["as_of"]) for count in eligible)
    return min((count for count in eligible if date_key(count["as_of"]) == latest), key=_figure_rank)


def shown_count_note(counts, detainees, qualifier, as_of, source):
    """The note of the figure the facility shows (matched on all four fields, not just the date:
    two sources can report on the same day)."""
    for count in counts or []:
        if (count.get("detainees"), count.get("qualifier") or "exact", count.get("as_of"), count.get("source")) == (
                detainees, qualifier or "exact", as_of, source):
            return count.get("note")
    return None


def current_status(history, as_of=None):
    """The status event in effect on ``as_of``: the latest dated on or before it (None if none).

    Two events on the same date: the later stage wins (closed > announced_closure > open > unknown).
    """
    cutoff = cutoff_day(as_of)
    eligible = [event for event in history if cutoff is None or date_key(event["date"]) <= cutoff]
    if not eligible:
        return None
    return max(eligible, key=lambda event: (date_key(event["date"]), _STATUS_ORDER.index(event["status"])))


def _merge(existing, new, identity, date_field):
    """Existing + new items without repeats (same ``identity``), oldest first (stable)."""
    merged, seen = [], set()
    for item in [*existing, *new]:
        key = identity(item)
        if key not in seen:
            seen.add(key)
            merged.append(item)
    return sorted(merged, key=lambda item: date_key(item[date_field]))


def _count_identity(count):
    return (count["detainees"], count.get("qualifier") or "exact", count["as_of"], count["source"])


def _event_identity(event):
    return (event["status"], event["date"], event["source"])


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
            "as_of": row["as_of"], "source": row["source"], "note": row["note"]}


def match_rows(facilities, counts, aliases=None):
    """The match report: one row per count row (see :data:`REPORT_COLUMNS`), ``conflict`` empty.

    National rows get method ``national``; other methods are those of :class:`geomap.names.Match`.
    """
    matcher = NameMatcher(
        (Facility(row["id"], tuple(filter(None, [row["name"], row.get("name_en"), *(row.get("aliases") or [])])),
                  row.get("state"))
         for row in facilities.to_dict("records")),
        aliases,
    )
    national = counts["facility"].str.match(_NATIONAL)
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
        national = _NATIONAL.match(row["facility"])
        if national:
            totals.append(_national_total(row, counts_name, national[1]))
            continue
        if chosen is None:
            continue
        if row["detainees"] is not None:
            new_counts.setdefault(chosen, []).append(
                {"detainees": row["detainees"], "qualifier": row["qualifier"], "as_of": row["as_of"],
                 "source": row["source"], "note": row["note"], "_row": row["row"]})
        if row["status"] is not None:
            new_events.setdefault(chosen, []).append(
                {"status": row["status"], "date": row["status_date"], "source": row["source"], "note": row["note"]})
    conflicts, updated = {}, []
    for facility in facilities[list(COUNT_FIELDS + STATUS_FIELDS + ("id",))].to_dict("records"):
        updated.append({**_count_fields(facility, new_counts.get(facility["id"], []), cutoff_text, conflicts),
                        **_status_fields(facility, new_events.get(facility["id"], []), cutoff_text)})
    for field in COUNT_FIELDS + STATUS_FIELDS:
        joined[field] = pd.Series([values[field] for values in updated], index=joined.index, dtype=object)
    joined.attrs["national_totals"] = _merge(
        facilities.attrs.get("national_totals", []), totals,
        lambda total: (total["country"], *_count_identity(total)), "as_of")
    report["conflict"] = [conflicts.get(number, "") for number in report["row"]]
    return joined, report


def as_of_view(facilities, as_of):
    """The facilities as they stood on ``as_of``: current figure and status re-picked from their
    ``detainee_counts`` and ``status_history`` (for ``geomap build --as-of`` without new counts)."""
    return join_counts(facilities, pd.DataFrame(columns=COLUMNS, dtype=object), as_of)[0]


def facility_as_of(facility, as_of):
    """One facility (a dict with :data:`COUNT_FIELDS`, :data:`STATUS_FIELDS` and ``id``) as it
    stood on ``as_of``: its current figure and status re-picked by the rules of :func:`join_counts`."""
    return {**_count_fields(facility, [], as_of, {}), **_status_fields(facility, [], as_of)}


def parse_as_of(as_of):
    """``--as-of`` as ISO text (date or month), or :class:`InputError` naming the fix."""
    try:
        return parse_date(as_of, "--as-of")
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _count_fields(facility, new, as_of, conflicts):
    """One facility's :data:`COUNT_FIELDS` with ``new`` figures merged in; notes same-date conflicts."""
    fields = {field: facility[field] for field in COUNT_FIELDS}
    existing = [dict(count) for count in facility["detainee_counts"] or []]
    if facility["detainees"] is not None:
        existing.append({"detainees": facility["detainees"], "qualifier": facility["detainees_qualifier"],
                         "as_of": facility["detainees_as_of"], "source": facility["detainees_source"], "note": None})
    if not existing and not new:
        return fields
    merged = _merge(existing, new, _count_identity, "as_of")
    _note_conflicts(facility["id"], merged, conflicts)
    figure = current_figure(merged, as_of) or {}
    return {
        "detainees": figure.get("detainees"),
        "detainees_qualifier": (figure.get("qualifier") or "exact") if figure else None,
        "detainees_as_of": figure.get("as_of"),
        "detainees_source": figure.get("source"),
        "detainee_counts": [{key: value for key, value in count.items() if key != "_row"} for count in merged],
    }


def _note_conflicts(facility_id, merged, conflicts):
    """For each input row whose date has other, different figures: a one-line explanation."""
    by_date = {}
    for count in merged:
        by_date.setdefault(date_key(count["as_of"]), []).append(count)
    for same_date in by_date.values():
        figures = {(count["detainees"], count.get("qualifier") or "exact") for count in same_date}
        if len(figures) < 2:
            continue
        shown = min(same_date, key=_figure_rank)
        text = (f"{facility_id} {shown['as_of']}: {len(figures)} different figures "
                f"({', '.join(f'{n} {q}' for n, q in sorted(figures))}); shown {shown['detainees']} by the "
                "same-date rule")
        for count in same_date:
            if "_row" in count:
                conflicts[count["_row"]] = text


def _status_fields(facility, new, as_of):
    """One facility's :data:`STATUS_FIELDS` with ``new`` events merged into the history."""
    fields = {field: facility[field] for field in STATUS_FIELDS}
    history = [dict(event) for event in facility["status_history"] or []]
    dated = facility["status_date"] is not None and facility["status_source"] is not None
    if dated:
        history.append({"status": facility["status"], "date": facility["status_date"],
                        "source": facility["status_source"], "note": None})
    if not history and not new:
        return fields
    history = _merge(history, new, _event_identity, "date")
    event = current_status(history, as_of)
    if event is None:  # every event is later than as_of: no source says what it was then
        return {"status": "unknown", "status_date": None, "status_source": None, "status_history": history}
    return {"status": event["status"], "status_date": event["date"], "status_source": event["source"],
            "status_history": history}


def join_file(facilities, counts_path, as_of=None, aliases_path=None, strict=False, encoding=None):
    """:func:`join_counts` from file paths (what ``geomap join`` and ``geomap build --counts`` call).

    Reads the counts (and the optional crosswalk), records the counts file and its SHA-256 in
    ``attrs["inputs"]`` and returns ``(joined, report)``.
    """
    counts = read_counts(counts_path, encoding)
    aliases = read_aliases(aliases_path, set(facilities["id"]), encoding) if aliases_path else None
    joined, report = join_counts(facilities, counts, as_of, aliases, strict, counts_name=str(counts_path))
    joined.attrs["inputs"] = [*facilities.attrs.get("inputs", []), input_record(counts_path)]
    return joined, report


def default_output(facilities_path):
    """``output/<facilities stem>.joined.geojson``: the default of ``geomap join -o``."""
    return Path("output") / f"{Path(str(facilities_path)).stem}.joined.geojson"


def report_path(output, facilities_path):
    """Where the match report of ``geomap join -o OUTPUT`` goes, checking OUTPUT is a GeoJSON name.

    ``jan.2026.geojson`` -> ``jan.2026.matches.csv`` beside it; the default
    ``<stem>.joined.geojson`` -> ``<stem>.matches.csv``; stdout (``-``) ->
    ``output/<FACILITIES stem>.matches.csv``. Any other OUTPUT suffix is an :class:`InputError`.
    """
    if str(output) == "-":
        return Path("output") / f"{Path(str(facilities_path)).stem}.matches.csv"
    output = Path(output)
    if output.suffix.lower() not in (".geojson", ".json"):
        raise InputError(f"-o {output}: join writes GeoJSON: end the name in .geojson (or use - for stdout)")
    stem = output.stem.removesuffix(".joined")
    return output.with_name(f"{stem}.matches.csv")


def write_report(report, path):
    """Write the match report CSV atomically (UTF-8, comma-separated)."""
    with atomic_write(path, newline="") as handle:
        report.to_csv(handle, index=False)


def summary(report, report_file=None):
    """Lines for stderr: counts per method, the rows not matched, conflicting dates."""
    methods = report["method"].value_counts()
    lines = [f"{len(report)} rows: " + ", ".join(f"{methods[m]} {m}" for m in methods.index)]
    for method, advice in (("unmatched", "no facility matches"), ("ambiguous", "more than one facility matches")):
        rows = report[report["method"] == method]
        if len(rows):
            listed = ", ".join(f"row {r} {n!r}" for r, n in zip(rows["row"][:10], rows["input_name"][:10]))
            more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
            lines.append(f"{method} ({advice}; not joined): {listed}{more}")
    conflicts = sorted(set(filter(None, report["conflict"])))
    lines.extend(f"conflict: {text}" for text in conflicts)
    if report_file is not None:
        lines.append(f"match report: {report_file}")
    return lines
