"""The time view's data: each facility's state at every stop is the --as-of rule's answer."""

import pytest

from geomap.history import COUNT_FIELDS, STATUS_FIELDS, date_key, facility_as_of, national_figures
from geomap.join import join_file
from geomap.load import read_facilities
from geomap.timeline import STATE_FIELDS, timeline

from conftest import REPO


@pytest.fixture(scope="module")
def joined():
    return join_file(read_facilities(REPO / "data/facilities.geojson"), REPO / "data/counts.csv")[0]


def _state_at(states, stop, sources):
    """The state in effect at ``stop``, with sources given by position resolved."""
    state = [state for state in states if state[0] <= stop][-1][1:]
    return [sources[value] if field.endswith("_source") and isinstance(value, int) else value
            for field, value in zip(STATE_FIELDS, state)]


def test_every_stop_shows_what_as_of_that_date_shows(joined):
    view = timeline(joined)
    records = joined[list(COUNT_FIELDS + STATUS_FIELDS + ("id", "sources"))].to_dict("records")
    assert len(view["dates"]) > 10 and len(view["states"]) == len(records)
    for stop, date in enumerate(view["dates"]):
        for record, states in zip(records, view["states"]):
            expected = facility_as_of(record, date)
            assert _state_at(states, stop, record["sources"]) == [expected[field] for field in STATE_FIELDS], (record["id"], date)


def test_stops_end_at_as_of_and_are_in_order(joined):
    view = timeline(joined, "2026-01-15")
    keys = [date_key(d) for d in view["dates"]]
    assert keys == sorted(set(keys)) and max(view["dates"]) <= "2026-01-15"
    # each organisation's total at the last stop is the one a build --as-of 2026-01-15 shows in its headline
    lead, others = national_figures(joined.attrs["national_totals"], "2026-01-15", "foro_penal")
    assert view["primary"] == "foro_penal" and [s["counted_by"] for s in view["national"]] == ["foro_penal", "jep"]
    assert {s["counted_by"]: s["changes"][-1][1:] for s in view["national"]} == {
        figure["counted_by"]: [figure["detainees"], figure["qualifier"], figure["as_of"], figure["source"]]
        for figure in [lead, *others]}
    assert (lead["detainees"], others[0]["detainees"]) == (804, 1041)


def test_no_time_view_without_two_dates(joined):
    undated = joined.iloc[:1].copy()
    undated.attrs = {}
    for field in ("status_history", "detainee_counts"):
        undated[field] = [[]]
    for field in ("status_date", "detainees_as_of"):
        undated[field] = [None]
    assert timeline(undated) is None


def test_each_state_carries_the_note_of_the_figure_it_shows(joined):
    # Tocorón showed Foro Penal's 800 (with its note) until Efecto Cocuyo's 100 of 2025-08-08
    view = timeline(joined)
    tocoron = view["states"][list(joined["id"]).index("tocoron")]
    notes = {state[STATE_FIELDS.index("detainees") + 1]: state[len(STATE_FIELDS) + 1] for state in tocoron}
    assert notes[800].startswith("Foro Penal: 'En Tocorón se han verificado 86 excarcelaciones")
    assert notes[100].startswith("Efecto Cocuyo (8 Aug 2025)") and notes[None] is None
