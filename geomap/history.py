"""The rules of dated figures: which figure and status stand on a date, per organisation.

Every figure (a facility's ``detainee_counts`` item or a nationwide total) is dated, sourced and
attributed to the organisation that counted it (``counted_by``, :mod:`geomap.organisations`);
every status event is dated and sourced. A *series* is the figures of one organisation (``None``:
the figures whose organisation is unknown): one organisation's figure never continues another's.
The join, the time view, the page and the exports all ask this module what stood on a date, so a
build ``--as-of D``, the slider moved to D and an export as of D agree (see docs/join.md).

Dates: a month (``2026-01``) counts as its last day, so a January figure is not shown "as of"
10 January.
"""

import calendar
import datetime as dt
import re
from collections import Counter
from functools import lru_cache

from .counts import QUALIFIERS, parse_date
from .errors import InputError
from .organisations import canonical_counted_by, is_own_channel

#: A facility's current-figure fields (the figure shown) and its full series.
COUNT_FIELDS = ("detainees", "detainees_qualifier", "detainees_as_of", "detainees_source", "detainees_counted_by",
                "detainee_counts")
STATUS_FIELDS = ("status", "status_date", "status_source", "status_history")
#: Status events on the same date: the later stage of a closure wins.
_STATUS_ORDER = ("unknown", "open", "announced_closure", "closed")
#: How a note says that the page read republishes another outlet's report (docs/join.md,
#: "Same-date rule"). A verbatim mirror of the original page ("read via its mirror") is not one.
REPUBLICATION_NOTE = re.compile(r"\b(republish\w*|republication|citing|cited from|copied from)\b", re.I)


@lru_cache(maxsize=65536)  # a dataset repeats a few thousand dates in millions of comparisons
def date_key(value):
    """The day an ISO date or month stands for when comparing: a month is its last day."""
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:])
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date.fromisoformat(value)


def parse_as_of(as_of):
    """``--as-of`` as ISO text (date or month), or :class:`InputError` naming the fix."""
    try:
        return parse_date(as_of, "--as-of")
    except ValueError as exc:
        raise InputError(str(exc)) from None


@lru_cache(maxsize=1024)
def cutoff_day(as_of):
    """``as_of`` (ISO, dd/mm/yyyy or month; None = no limit) as the last day it covers."""
    return None if as_of is None else date_key(parse_as_of(as_of))


def latest_date(facilities):
    """The newest date of a current figure, status or nationwide total: what the data describes
    when no ``--as-of`` was asked for (a month counting as its last day)."""
    dates = [d for column in ("detainees_as_of", "status_date") if column in facilities.columns
             for d in facilities[column] if isinstance(d, str)]
    dates += [total["as_of"] for total in facilities.attrs.get("national_totals") or []]
    return max(dates, key=date_key, default=None)


# --- figures ---------------------------------------------------------------------


def is_republication(figure):
    """True when the figure's note says its page republishes another outlet (:data:`REPUBLICATION_NOTE`)."""
    return bool(REPUBLICATION_NOTE.search(figure.get("note") or ""))


def _origin(figure):
    """0: read on the counting organisation's own site; 1: not marked a republication; 2: a republication."""
    if is_own_channel(figure.get("counted_by"), figure.get("source")):
        return 0
    return 2 if is_republication(figure) else 1


def figure_rank(figure):
    """Sort key among figures of one date, best first (docs/join.md, "Same-date rule"): a day beats a
    month; a known ``counted_by`` beats an unknown one; the organisation's own page beats any other, and
    a republication loses to both; exact > about > at_least > up_to; then, only so that row order never
    changes the result, the larger figure, the organisation's slug and the source URL."""
    return (len(figure["as_of"]) == 7, figure.get("counted_by") is None, _origin(figure),
            QUALIFIERS.index(figure.get("qualifier") or "exact"), -figure["detainees"], figure.get("counted_by") or "",
            figure.get("source") or "")


def _eligible(figures, as_of):
    cutoff = cutoff_day(as_of)
    return [figure for figure in figures if cutoff is None or date_key(figure["as_of"]) <= cutoff]


def current_figure(figures, as_of=None):
    """The figure standing on ``as_of`` (None = the latest) among ``{detainees, qualifier, as_of,
    source, counted_by, note}`` dicts: the latest dated on or before it, figures of that date ranked
    by :func:`figure_rank`. None if none qualifies. For one organisation's series, pass only its figures.
    """
    eligible = _eligible(figures, as_of)
    if not eligible:
        return None
    latest = max(date_key(figure["as_of"]) for figure in eligible)
    return min((figure for figure in eligible if date_key(figure["as_of"]) == latest), key=figure_rank)


def series(figures):
    """``{counted_by: [figures]}``: one series per organisation (None: unknown), in first-seen order."""
    grouped = {}
    for figure in figures:
        grouped.setdefault(figure.get("counted_by"), []).append(figure)
    return grouped


def standing(figures, as_of=None):
    """The figure standing on ``as_of`` in each organisation's series, newest first (one date: by
    :func:`figure_rank`). The first is :func:`current_figure` of all of them: what a marker shows."""
    found = filter(None, (current_figure(own, as_of) for own in series(figures).values()))
    return sorted(found, key=lambda figure: (-date_key(figure["as_of"]).toordinal(), figure_rank(figure)))


def _figure_identity(figure):
    return (figure["detainees"], figure.get("qualifier") or "exact", figure["as_of"], figure.get("source"))


def merge_figures(*groups, identity=_figure_identity):
    """The figures of ``groups`` without repeats, oldest first (stable), each a copy with ``counted_by``.

    Figures with the same ``identity`` (number, qualifier, date, source) are one figure when their
    organisations agree or one of them is unknown: the one first seen is kept, and learns its
    organisation from a repeat that names it. Two organisations' equal figures stay two.
    """
    merged, seen = [], {}
    for figure in (figure for group in groups for figure in group):
        kept = seen.setdefault(identity(figure), [])
        twin = next((other for other in kept if None in (other["counted_by"], figure.get("counted_by"))
                     or other["counted_by"] == figure.get("counted_by")), None)
        if twin is None:
            copy = {**figure, "counted_by": figure.get("counted_by")}
            kept.append(copy)
            merged.append(copy)
        elif twin["counted_by"] is None:
            twin["counted_by"] = figure.get("counted_by")
    return sorted(merged, key=lambda figure: date_key(figure["as_of"]))


def merge_events(*groups):
    """Status events of ``groups`` without repeats (same status, date and source), oldest first (stable)."""
    merged, seen = [], set()
    for event in (event for group in groups for event in group):
        key = (event["status"], event["date"], event["source"])
        if key not in seen:
            seen.add(key)
            merged.append(event)
    return sorted(merged, key=lambda event: date_key(event["date"]))


def current_status(history, as_of=None):
    """The status event in effect on ``as_of``: the latest dated on or before it (None if none).

    Two events on the same date: the later stage wins (closed > announced_closure > open > unknown).
    """
    cutoff = cutoff_day(as_of)
    eligible = [event for event in history if cutoff is None or date_key(event["date"]) <= cutoff]
    if not eligible:
        return None
    return max(eligible, key=lambda event: (date_key(event["date"]), _STATUS_ORDER.index(event["status"])))


# --- a facility on a date ----------------------------------------------------------


def facility_figures(facility):
    """A facility's dated figures: its ``detainee_counts`` and its current figure (when it has one)."""
    figures = [dict(count) for count in facility.get("detainee_counts") or []]
    if facility.get("detainees") is not None:
        figures.append({"detainees": facility["detainees"], "qualifier": facility.get("detainees_qualifier"),
                        "as_of": facility["detainees_as_of"], "source": facility["detainees_source"],
                        "counted_by": facility.get("detainees_counted_by"), "note": None})
    return figures


def facility_events(facility):
    """A facility's status events: its ``status_history`` and its current status, when dated and sourced."""
    events = [dict(event) for event in facility.get("status_history") or []]
    if facility.get("status_date") is not None and facility.get("status_source") is not None:
        events.append({"status": facility["status"], "date": facility["status_date"],
                       "source": facility["status_source"], "note": None})
    return events


def count_fields(figures, as_of=None):
    """:data:`COUNT_FIELDS` of a facility whose merged series is ``figures``, as they stood on ``as_of``."""
    figure = current_figure(figures, as_of) or {}
    return {
        "detainees": figure.get("detainees"),
        "detainees_qualifier": (figure.get("qualifier") or "exact") if figure else None,
        "detainees_as_of": figure.get("as_of"),
        "detainees_source": figure.get("source"),
        "detainees_counted_by": figure.get("counted_by"),
        "detainee_counts": figures,
    }


def status_fields(history, as_of=None):
    """:data:`STATUS_FIELDS` of a facility whose merged events are ``history``, as they stood on ``as_of``.

    Every event later than ``as_of``: ``unknown``, as no source says what it was then.
    """
    event = current_status(history, as_of)
    if event is None:
        return {"status": "unknown", "status_date": None, "status_source": None, "status_history": history}
    return {"status": event["status"], "status_date": event["date"], "status_source": event["source"],
            "status_history": history}


def facility_as_of(facility, as_of):
    """One facility (a dict with :data:`COUNT_FIELDS`, :data:`STATUS_FIELDS`) as it stood on ``as_of``.

    A facility without any figure (or any event) keeps its own fields as they are.
    """
    figures, events = facility_figures(facility), facility_events(facility)
    fields = {field: facility.get(field) for field in COUNT_FIELDS + STATUS_FIELDS}
    if figures:
        fields.update(count_fields(merge_figures(figures), as_of))
    if events:
        fields.update(status_fields(merge_events(events), as_of))
    return fields


def shown_note(figures, fields):
    """The note of the figure a facility shows (``fields``: its current :data:`COUNT_FIELDS`), matched
    on number, qualifier, date, source and organisation, not just the date: two sources can report on one day."""
    shown = {"detainees": fields["detainees"], "qualifier": fields["detainees_qualifier"],
             "as_of": fields["detainees_as_of"], "source": fields["detainees_source"],
             "counted_by": fields.get("detainees_counted_by")}
    if shown["detainees"] is None:
        return None
    return next((figure.get("note") for figure in figures or []
                 if _figure_identity(figure) == _figure_identity(shown)
                 and figure.get("counted_by") == shown["counted_by"]), None)


# --- nationwide series ---------------------------------------------------------------


def primary_organisation(facilities, override=None):
    """Whose nationwide series the headline leads with: ``override`` (``--counted-by``), else the
    dataset's ``primary_counted_by`` (``attrs``, from its ``geomap`` member), else the organisation with
    the most nationwide figures (ties: the one with the newest figure, then by name). None: the figures
    whose organisation is unknown (or no totals at all)."""
    if override:
        return canonical_counted_by(override)
    if facilities.attrs.get("primary_counted_by"):
        return facilities.attrs["primary_counted_by"]
    totals = facilities.attrs.get("national_totals") or []
    if not totals:
        return None
    points = Counter(total.get("counted_by") for total in totals)
    newest = {}
    for total in totals:
        newest[total.get("counted_by")] = max(newest.get(total.get("counted_by"), dt.date.min), date_key(total["as_of"]))
    return min(points, key=lambda org: (-points[org], -newest[org].toordinal(), org is None, org or ""))


def national_figures(totals, as_of=None, primary=None):
    """``(primary figure or None, [the other organisations' figures, newest first, then by slug])``
    standing on ``as_of``: each organisation's own latest nationwide total, never another's (the
    page's slider orders them the same way)."""
    standing_now = standing(totals, as_of)
    lead = next((figure for figure in standing_now if figure.get("counted_by") == primary), None)
    others = [figure for figure in standing_now if figure is not lead]
    return lead, sorted(others, key=lambda figure: (-date_key(figure["as_of"]).toordinal(), figure.get("counted_by") or ""))
