"""--counts given several times, and the nationwide series for a user's own facilities file."""

import json

from click.testing import CliRunner

from geomap.cli import main
from geomap.export import with_counts
from geomap.load import read_facilities

from conftest import REPO

SMALL = REPO / "tests/fixtures/small.geojson"  # not the curated dataset
CURATED_COUNTS = REPO / "data/counts.csv"
FIGURE = "helicoide,65,2026-01-20,https://example.org/jep,jep\n"


def counts_files(tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("facility,detainees,as_of,source,counted_by\n" + FIGURE, "utf-8")
    second = tmp_path / "second.csv"
    second.write_text("facility,detainees,as_of,source,counted_by\n" + FIGURE
                      + "la_tumba,7,2026-01-21,https://example.org/ovp,ovp\n"
                      "national:VE,777,2026-01-21,https://example.org/national,ovp\n", "utf-8")
    return first, second


def exported(tmp_path, *args):
    out = tmp_path / "out.geojson"
    result = CliRunner().invoke(main, ["export", str(SMALL), *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text("utf-8")), result.stderr


def figures_of(collection, facility_id):
    feature = next(f for f in collection["features"] if f["properties"]["id"] == facility_id)
    return feature["properties"]["detainee_counts"] or []


def test_two_counts_files_both_land_and_a_shared_figure_is_kept_once(tmp_path):
    first, second = counts_files(tmp_path)
    collection, stderr = exported(tmp_path, "--counts", str(first), "--counts", str(second))
    assert [f["detainees"] for f in figures_of(collection, "helicoide") if f["source"] == "https://example.org/jep"] == [65]
    assert [f["detainees"] for f in figures_of(collection, "la_tumba") if f["source"] == "https://example.org/ovp"] == [7]
    assert [total["detainees"] for total in collection["geomap"]["national_totals"]] == [777]
    assert str(first) in stderr and str(second) in stderr  # each file's join summary is said


def test_with_counts_joins_several_files_in_order():
    facilities = read_facilities(SMALL)
    joined, notes = with_counts(facilities, [CURATED_COUNTS, CURATED_COUNTS])
    once, _ = with_counts(facilities, CURATED_COUNTS)
    assert joined["detainee_counts"].tolist() == once["detainee_counts"].tolist()
    assert joined.attrs["national_totals"] == once.attrs["national_totals"] and notes


def curated_national_rows():
    return sum(line.startswith("national:VE,") for line in CURATED_COUNTS.read_text("utf-8").splitlines())


def test_an_own_facilities_file_keeps_the_curated_nationwide_series(tmp_path):
    collection, stderr = exported(tmp_path)
    totals = collection["geomap"]["national_totals"]
    assert len(totals) == curated_national_rows() > 0 and {total["country"] for total in totals} == {"VE"}
    assert all(not figures_of(collection, facility_id) or all(f["source"] != "https://example.org/jep" for f in figures_of(collection, facility_id))
               for facility_id in ("helicoide", "la_tumba"))
    [line] = [line for line in stderr.splitlines() if "nationwide totals" in line]
    assert f"joined the {curated_national_rows()} national figures of" in line and "--counts" in line


def test_own_counts_replace_the_curated_nationwide_series(tmp_path):
    _, second = counts_files(tmp_path)
    collection, stderr = exported(tmp_path, "--counts", str(second))
    assert [total["detainees"] for total in collection["geomap"]["national_totals"]] == [777]
    assert "nationwide totals" not in stderr
