"""The shipped dataset: data/facilities.geojson and data/counts.csv are valid, sourced and agree.

These tests guard the curated data, not the code: every coordinate, count and status has a
public URL and a date, approximate points say so, the two files tell the same story under the
documented rule (:func:`geomap.history.current_figure`), and no detainee is ever named.
"""

import csv
import importlib.util
import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.errors import InputError
from geomap.counts import QUALIFIERS
from geomap.history import current_figure, current_status, date_key
from geomap.load import read_json
from geomap.organisations import ORGANISATIONS
from geomap.schema import STATUSES, is_date, is_http_url, validate_collection

DATA = Path(__file__).resolve().parents[1] / "data"
FACILITIES = DATA / "facilities.geojson"
COUNTS = DATA / "counts.csv"
NATIONAL = "national:VE"

#: Detainees named in the research notes (../shared/reference): they must never appear in the data.
DENY_NAMES = (
    "Leopoldo López", "Lorent Saleh", "Rocío San Miguel", "Alberto Trentini", "Gerardo Carrero",
    "Antonio Ledezma", "Daniel Ceballos", "Raúl Baduel", "Iván Simonovis", "Edgar Zambrano",
    "Miguel Rodríguez Torres", "Trentini", "Simonovis", "Ledezma", "Baduel", "Saleh",
    "Nahuel Gallo", "nahuel-gallo",
)


def _fold(text):
    """Lower case without accents, so 'Rocio' matches 'Rocío'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def collection():
    return read_json(FACILITIES)


@pytest.fixture(scope="module")
def facilities(collection):
    return {feature["properties"]["id"]: feature["properties"] for feature in collection["features"]}


@pytest.fixture(scope="module")
def rows():
    with COUNTS.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_shipped_file_validates(collection):
    assert validate_collection(collection, str(FACILITIES)) == []


def test_cli_validate_passes():
    result = CliRunner().invoke(main, ["validate", str(FACILITIES)])
    assert result.exit_code == 0, result.output
    assert "facilities, valid" in result.output


def test_file_is_rfc7946_pretty_utf8(collection):
    text = FACILITIES.read_text("utf-8")
    assert "crs" not in collection
    assert text == json.dumps(collection, indent=2, ensure_ascii=False) + "\n"


def test_at_least_thirty_facilities_with_unique_ids(collection):
    ids = [feature["properties"]["id"] for feature in collection["features"]]
    assert len(ids) >= 30
    assert len(ids) == len(set(ids))


def test_primary_counting_organisation_is_foro_penal(collection):
    assert collection["geomap"]["primary_counted_by"] == "foro_penal"


def test_every_location_has_https_source_and_date(facilities):
    for fid, props in facilities.items():
        assert props["location_source"].startswith("https://"), fid
        assert is_date(props["location_as_of"]), fid
        assert props["location_source"] in props["sources"], fid
        assert all(is_http_url(url) for url in props["sources"]), fid


def test_every_count_has_date_and_source(facilities):
    for fid, props in facilities.items():
        if props["detainees"] is not None:
            assert is_date(props["detainees_as_of"]) and is_http_url(props["detainees_source"]), fid
        for count in props["detainee_counts"]:
            assert is_date(count["as_of"]) and is_http_url(count["source"]), fid


def test_imprecise_points_say_so(facilities):
    for fid, props in facilities.items():
        if props["location_precision"] != "site":
            assert "not the facility" in props["notes"], fid
            assert props["location_precision"] in props["notes"], fid


def test_counts_rows_are_sourced_and_dated(rows, facilities):
    assert rows, "counts.csv has no rows"
    for number, row in enumerate(rows, start=2):
        where = f"counts.csv row {number}"
        assert row["facility"] == NATIONAL or row["facility"] in facilities, where
        assert is_http_url(row["source"]), where
        assert row["detainees"] or row["status"], where
        if row["detainees"]:
            assert row["detainees"].isdigit() and is_date(row["as_of"]), where
            assert row["qualifier"] in QUALIFIERS, where
        if row["status"]:
            assert row["status"] in STATUSES and is_date(row["status_date"]), where


def test_counts_columns_and_counted_by(rows):
    assert list(rows[0]) == ["facility", "detainees", "qualifier", "as_of", "source", "counted_by", "status",
                             "status_date", "note"]
    for number, row in enumerate(rows, start=2):
        counted_by = row["counted_by"]
        if row["detainees"]:
            assert counted_by, f"counts.csv row {number}: a figure needs counted_by"
        if counted_by:  # an agreed slug, or an organisation named in words (not a mistyped slug)
            assert counted_by in ORGANISATIONS or " " in counted_by, f"counts.csv row {number}: {counted_by!r}"
    assert {row["counted_by"] for row in rows if row["facility"] == NATIONAL} == {"foro_penal", "jep"}


def test_rows_unique_and_sorted(rows, collection):
    keys = [tuple(row.values()) for row in rows]
    assert len(keys) == len(set(keys))
    order = [feature["properties"]["id"] for feature in collection["features"]]
    facility_part = [row for row in rows if row["facility"] != NATIONAL]
    national_part = rows[len(facility_part):]
    assert all(row["facility"] == NATIONAL for row in national_part)
    positions = [order.index(row["facility"]) for row in facility_part]
    assert positions == sorted(positions), "facility rows are grouped by facility in dataset order"
    dates = [date_key(row["as_of"]) for row in national_part]
    assert dates == sorted(dates), "national rows run oldest first"


def test_every_row_source_is_a_facility_source(rows, facilities):
    for number, row in enumerate(rows, start=2):
        if row["facility"] != NATIONAL:
            assert row["source"] in facilities[row["facility"]]["sources"], f"counts.csv row {number}"


def test_national_totals_present(rows):
    national = [row for row in rows if row["facility"] == NATIONAL]
    assert len(national) >= 10
    assert all(row["detainees"] and not row["status"] for row in national)


def test_national_series_per_organisation(rows):
    national = [row for row in rows if row["facility"] == NATIONAL]
    foro_penal = [row for row in national if row["counted_by"] == "foro_penal"]
    assert len(foro_penal) >= 35
    dates = [row["as_of"] for row in foro_penal]
    assert len(dates) == len(set(dates)), "one Foro Penal figure per date"
    for row in national:  # JEP's own counts are never filed under Foro Penal's series
        if ("JEP" in row["note"] or "Justicia, Encuentro y Perdón" in row["note"]) and "Foro Penal" not in row["note"]:
            assert row["counted_by"] == "jep", row["as_of"]
    on_march_2 = {row["counted_by"]: int(row["detainees"]) for row in national if row["as_of"] == "2026-03-02"}
    assert on_march_2 == {"foro_penal": 526, "jep": 759}


def _rows_for(rows, fid):
    counts = [{"detainees": int(r["detainees"]), "qualifier": r["qualifier"], "as_of": r["as_of"],
               "source": r["source"], "counted_by": r["counted_by"] or None, "note": r["note"]}
              for r in rows if r["facility"] == fid and r["detainees"]]
    events = [{"status": r["status"], "date": r["status_date"], "source": r["source"], "note": r["note"]}
              for r in rows if r["facility"] == fid and r["status"]]
    return (sorted(counts, key=lambda c: date_key(c["as_of"])), sorted(events, key=lambda e: date_key(e["date"])))


def test_geojson_agrees_with_counts_csv(rows, facilities):
    for fid, props in facilities.items():
        counts, events = _rows_for(rows, fid)
        assert props["detainee_counts"] == counts, fid
        assert props["status_history"] == events, fid
        figure = current_figure(counts) if counts else None
        assert props["detainees"] == (figure and figure["detainees"]), fid
        assert props["detainees_qualifier"] == (figure and figure["qualifier"]), fid
        assert props["detainees_as_of"] == (figure and figure["as_of"]), fid
        assert props["detainees_source"] == (figure and figure["source"]), fid
        assert props["detainees_counted_by"] == (figure and figure["counted_by"]), fid
        event = current_status(events) if events else None
        assert props["status"] == (event["status"] if event else "unknown"), fid
        assert props["status_date"] == (event and event["date"]), fid
        assert props["status_source"] == (event and event["source"]), fid


def test_tocuyito_shows_the_original_not_the_republication_of_the_same_date(facilities):
    # El Vinotinto's "at least 380" cites El Carabobeño; El Carabobeño's own "more than 100" (read via
    # its mirror) is the same date: the same-date rule shows the original, not the larger republished figure
    counts = facilities["tocuyito"]["detainee_counts"]
    shown = current_figure(counts, "2024-12-31")
    assert (shown["detainees"], shown["as_of"]) == (100, "2024-12-31")
    assert "el-carabobeno.com" in shown["source"]
    assert {count["detainees"] for count in counts if count["as_of"] == "2024-12-31"} == {100, 380}


def test_helicoide_announced_closure_with_seed_figure(facilities):
    helicoide = facilities["helicoide"]
    assert helicoide["status"] == "announced_closure"
    assert ("announced_closure", "2026-01-30") in {(e["status"], e["date"]) for e in helicoide["status_history"]}
    assert {(c["detainees"], c["qualifier"]) for c in helicoide["detainee_counts"]} >= {(80, "up_to")}


def test_yare_complex_and_its_units(facilities, rows):
    assert facilities["yare"]["status"] != "closed", "Yare I's emptying is not a closure of the complex"
    assert "Yare I" in facilities["yare"]["notes"]
    january = {(row["facility"], int(row["detainees"])) for row in rows
               if row["counted_by"] == "foro_penal" and row["as_of"] == "2026-01-09" and row["detainees"]}
    assert {("yare_ii", 42), ("yare_iii", 38)} <= january


def test_no_detainee_names_anywhere(collection):
    text = _fold(FACILITIES.read_text("utf-8") + COUNTS.read_text("utf-8"))
    for name in DENY_NAMES:
        assert _fold(name) not in text, name


def _refresh_script():
    path = DATA.parent / "scripts" / "refresh_data.py"
    spec = importlib.util.spec_from_file_location("refresh_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refresh_script_reproduces_the_shipped_file(tmp_path):
    facilities, counts = tmp_path / "facilities.geojson", tmp_path / "counts.csv"
    shutil.copy(FACILITIES, facilities)
    shutil.copy(COUNTS, counts)
    _refresh_script().refresh(facilities, counts)
    assert facilities.read_text("utf-8") == FACILITIES.read_text("utf-8")


def test_refresh_script_refuses_an_unknown_facility(tmp_path):
    facilities, counts = tmp_path / "facilities.geojson", tmp_path / "counts.csv"
    shutil.copy(FACILITIES, facilities)
    counts.write_text(COUNTS.read_text("utf-8") + "no_such_place,5,exact,2026-01-01,https://example.org/,press,,,\n", "utf-8")
    with pytest.raises(InputError, match="no_such_place"):
        _refresh_script().refresh(facilities, counts)
    assert facilities.read_text("utf-8") == FACILITIES.read_text("utf-8")
