"""The map's time view: each facility as it stood at every date its data changes.

States are picked by the rules of :mod:`geomap.history` (the code behind ``--as-of``), so the
page moved back to a date shows what ``geomap build --as-of DATE`` shows for that date; the
nationwide total is one series per organisation, so the slider never shows one organisation's
figure as another's.
"""

from .history import (COUNT_FIELDS, STATUS_FIELDS, current_figure, cutoff_day, date_key, facility_as_of,
                      primary_organisation, series, shown_note, standing)

#: Facilities up to which a map gets its time view unless asked otherwise (``--timeline``): the
#: states take ~0.15 ms per facility to pick, and past a few thousand facilities the slider has
#: thousands of stops, one a day, which no reader can step through.
AUTO_LIMIT = 2_000
#: A date before every source: what a facility showed before its first dated event.
_BEFORE = "0001-01-01"
#: Facility state fields, in the order of each state list after its stop index.
STATE_FIELDS = ("status", "status_date", "status_source", "detainees", "detainees_qualifier", "detainees_as_of",
                "detainees_source", "detainees_counted_by")


def _own_dates(facility):
    """Every date at which this facility's status or figure can change."""
    dates = [event["date"] for event in facility["status_history"] or []]
    dates += [count["as_of"] for count in facility["detainee_counts"] or []]
    dates += [facility[field] for field in ("status_date", "detainees_as_of") if facility[field]]
    return dates


def figure_refs(counts, figures):
    """``figures`` as positions in a facility's ``counts`` (its ``detainee_counts``, as the page lists
    them); a figure not in that list as ``[detainees, qualifier, as_of, source, counted_by]``."""
    position = {_identity(count): k for k, count in enumerate(counts or [])}
    return [position.get(_identity(figure), [figure["detainees"], figure.get("qualifier"), figure["as_of"],
                                             figure.get("source"), figure.get("counted_by")])
            for figure in figures]


def _identity(figure):
    return (figure["detainees"], figure.get("qualifier") or "exact", figure["as_of"], figure.get("source"),
            figure.get("counted_by"))


def _state(facility, as_of, positions):
    """The facility's :data:`STATE_FIELDS` on ``as_of``, the note of the figure shown then and the
    latest figure of each organisation then (:func:`figure_refs`; the popup shows both, as a build
    ``--as-of`` does); a source that is one of its own ``sources`` is its position there."""
    fields = facility_as_of(facility, as_of)
    note = shown_note(fields["detainee_counts"], fields)
    figures = figure_refs(facility["detainee_counts"], standing(fields["detainee_counts"] or [], as_of))
    return [positions.get(fields[field], fields[field]) if field.endswith("_source") else fields[field]
            for field in STATE_FIELDS] + [note, figures]


def _by_organisation(totals, primary):
    """``[(counted_by, its figures)]``: one series per organisation, the primary one first, then first seen."""
    grouped = series(totals)
    return [(org, grouped[org]) for org in sorted(grouped, key=lambda org: org != primary)]  # sorted is stable


def national_points(totals, primary):
    """Each organisation's nationwide series as the headline's chart draws it, the primary one first:
    ``[{"counted_by", "points": [[as_of, detainees, qualifier or None for exact], ...]}]``, oldest first,
    one point a date: the figure the headline shows that day (:func:`current_figure`)."""
    chart = []
    for counted_by, figures in _by_organisation(totals, primary):
        days = {}
        for figure in figures:
            days.setdefault(date_key(figure["as_of"]), []).append(figure)
        shown = (current_figure(days[day]) for day in sorted(days))  # of one day's figures: the best ranked
        chart.append({"counted_by": counted_by, "points": [
            [figure["as_of"], figure["detainees"], None if (figure.get("qualifier") or "exact") == "exact" else figure["qualifier"]]
            for figure in shown]})
    return chart


def national_series(totals, keys, stops, primary):
    """Each organisation's nationwide series at the slider's stops, the primary one first:
    ``[{"counted_by", "changes": [[stop, detainees, qualifier, as_of, source], ...]}]``."""
    national = []
    for counted_by, figures in _by_organisation(totals, primary):
        changes, shown = [], None
        for stop, key in enumerate(keys):
            figure = current_figure(figures, stops[key])
            value = figure and [figure["detainees"], figure.get("qualifier"), figure["as_of"], figure.get("source")]
            if value != shown:
                changes.append([stop, *(value or [None] * 4)])
                shown = value
        national.append({"counted_by": counted_by, "changes": changes})
    return national


def timeline(facilities, as_of=None, counted_by=None):
    """The time view's data, or None when the map has fewer than two dates to move between.

    ``{"dates", "statuses", "max_detainees", "states", "national", "primary"}``: ``dates`` are the
    slider's stops (ISO days or months, oldest first, none after ``as_of``); ``states[i]`` lists
    facility i's states as ``[stop, *STATE_FIELDS, note, figures]`` where it changes (stop -1: before
    its first date; a source that is one of the facility's ``sources`` as its position there;
    ``figures`` the latest figure of each organisation, :func:`figure_refs`); ``national`` is
    :func:`national_series` and ``primary`` its lead organisation (``counted_by`` overrides the
    dataset's); ``statuses`` and ``max_detainees`` are every status and the largest figure of any
    state (the legend's rows and the size scale hold for every date).
    """
    records = facilities[list(COUNT_FIELDS + STATUS_FIELDS + ("id", "sources"))].to_dict("records")
    totals = facilities.attrs.get("national_totals") or []
    cutoff = cutoff_day(as_of)
    stops = {}  # date_key -> text; a day is preferred to the month ending on it
    for text in [d for record in records for d in _own_dates(record)] + [total["as_of"] for total in totals]:
        key = date_key(text)
        if (cutoff is None or key <= cutoff) and (key not in stops or len(stops[key]) == 7):
            stops[key] = text
    keys = sorted(stops)
    if len(keys) < 2:
        return None
    stop_of = {key: index for index, key in enumerate(keys)}
    states = []
    for record in records:
        positions = {url: k for k, url in enumerate(record["sources"] or [])}
        changes = [[-1, *_state(record, _BEFORE, positions)]]
        for stop in sorted({stop_of[date_key(d)] for d in _own_dates(record) if date_key(d) in stop_of}):
            state = _state(record, stops[keys[stop]], positions)
            if state != changes[-1][1:]:
                changes.append([stop, *state])
        states.append(changes)
    primary = primary_organisation(facilities, counted_by)
    every_state = [state for changes in states for state in changes]
    return {"dates": [stops[key] for key in keys], "statuses": sorted({state[1] for state in every_state}),
            "max_detainees": max((state[4] or 0 for state in every_state), default=0),
            "states": states, "national": national_series(totals, keys, stops, primary), "primary": primary}
