"""`geomap add`: reported rows into the dataset (geomap.add), and the advocate's round trip of issue 13."""

import csv
import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from geomap.add import add_file, add_report, read_report, summary_lines
from geomap.cli import main
from geomap.counts import read_counts
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions
from geomap.load import read_facilities
from geomap.render import block_text

from conftest import REPO

SOURCE = "https://example.org/informe-2026-12-01"
USER_AGENT = "geomap-tests/1.0 (tests@example.org)"


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    """The curated dataset copied to tmp_path/data (the current folder), with a private geocode cache."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def offline(tmp_path, **settings):
    return GeocodeOptions(gazetteer=str(REPO / "data/facilities.geojson"), cache=tmp_path / "c.sqlite", offline=True,
                          **settings)


def write_report(path, rows):
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def features(path):
    return {feature["properties"]["id"]: feature for feature in json.loads(path.read_text("utf-8"))["features"]}


TOCUYITO_VARIANT = {"name": "Cárcel de Tocuyito", "state": "Carabobo", "address": "Vía a Tocuyito, Libertador",
                    "detainees": "más de 120", "as_of": "2026-11-28", "source": SOURCE, "counted_by": "Foro Penal"}
WITHOUT_COORDINATES = {"name": "Internado Judicial de Barinas", "city": "Barinas", "state": "Barinas", "country": "VE",
                       "detainees": "12", "as_of": "2026-11-28", "source": SOURCE, "counted_by": "Foro Penal"}
WITH_COORDINATES = {"name": "Comando de Zona 21 GNB", "city": "San Cristóbal", "state": "Táchira", "country": "VE",
                    "lat": "7.7669", "lon": "-72.2250", "detainees": "hasta 30", "as_of": "2026-11-27",
                    "source": SOURCE, "counted_by": "prensa"}


# ---------------------------------------------------------------- the API


def test_a_variant_name_enriches_the_existing_facility_and_its_figure_becomes_a_dated_row(dataset):
    report = write_report(dataset / "report.csv", [TOCUYITO_VARIANT])
    before = features(dataset / "data/facilities.geojson")
    result = add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert [item["id"] for item in result.enriched] == ["tocuyito"] and result.added == []
    assert result.enriched[0]["filled"] == {"address": "Vía a Tocuyito, Libertador"}
    assert result.enriched[0]["aliases_added"] == []  # "Cárcel de Tocuyito" is already one of its aliases
    assert [(row["facility"], row["detainees"], row["qualifier"], row["as_of"], row["source"], row["counted_by"])
            for row in result.count_rows] == [("tocuyito", 120, "at_least", "2026-11-28", SOURCE, "foro_penal")]
    result.write()
    after = features(dataset / "data/facilities.geojson")
    assert after.keys() == before.keys()
    tocuyito = after["tocuyito"]["properties"]
    assert tocuyito["address"] == "Vía a Tocuyito, Libertador"
    assert (tocuyito["detainees"], tocuyito["detainees_as_of"], tocuyito["detainees_source"]) == (120, "2026-11-28", SOURCE)
    counts = read_counts("data/counts.csv")
    assert counts.iloc[-1]["facility"] == "tocuyito" and counts.iloc[-1]["detainees"] == 120
    assert len(counts) == len(read_counts(REPO / "data/counts.csv")) + 1


def test_add_report_works_on_a_collection_in_memory_and_leaves_it_unchanged(dataset):
    collection = json.loads((REPO / "data/facilities.geojson").read_text("utf-8"))
    pristine = json.dumps(collection)
    report = read_report(write_report(dataset / "report.csv", [TOCUYITO_VARIANT, WITH_COORDINATES]))
    result = add_report(report, collection, options=offline(dataset))
    assert json.dumps(collection) == pristine
    assert len(result.collection["features"]) == len(collection["features"]) + 1
    assert summary_lines(result, dry_run=True)[-1] == "dry run: nothing written"


def test_a_fuzzy_variant_is_added_to_the_aliases(dataset):
    report = write_report(dataset / "report.csv", [{"name": "La Maxima de Tocuyto", "state": "Carabobo"}])
    result = add_file(report, "data/facilities.geojson", None, offline(dataset))
    assert result.enriched[0]["id"] == "tocuyito" and result.enriched[0]["method"] == "fuzzy"
    assert result.enriched[0]["aliases_added"] == ["La Maxima de Tocuyto"]
    result.write()
    assert "La Maxima de Tocuyto" in features(dataset / "data/facilities.geojson")["tocuyito"]["properties"]["aliases"]


def test_new_rows_become_facilities_with_stable_unique_ids_located_and_valid(dataset):
    report = write_report(dataset / "report.csv", [WITHOUT_COORDINATES, WITH_COORDINATES,
                                                   {**WITH_COORDINATES, "detainees": "25", "as_of": "2026-11-01"}])
    result = add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert [(item["row"], item["id"]) for item in result.added] == [
        (2, "internado_judicial_de_barinas_barinas"), (3, "comando_de_zona_21_gnb_tachira")]
    result.write()
    after = features(dataset / "data/facilities.geojson")
    barinas, gnb = after["internado_judicial_de_barinas_barinas"], after["comando_de_zona_21_gnb_tachira"]
    assert barinas["properties"]["location_precision"] == "locality" and barinas["geometry"]
    assert barinas["properties"]["geocoding"]["step"] == "locality"
    assert gnb["geometry"]["coordinates"] == [-72.225, 7.7669]
    assert gnb["properties"]["location_source"] == f"coordinates given in {report}, row 3"
    assert [count["detainees"] for count in gnb["properties"]["detainee_counts"]] == [25, 30]  # one facility, two rows
    assert (gnb["properties"]["facility_type"], gnb["properties"]["status"]) == ("other", "unknown")
    assert gnb["properties"]["sources"] == [SOURCE]
    read_facilities(dataset / "data/facilities.geojson")  # valid
    counts = read_counts("data/counts.csv")
    assert list(counts["facility"].iloc[-3:]) == ["internado_judicial_de_barinas_barinas",
                                                  "comando_de_zona_21_gnb_tachira", "comando_de_zona_21_gnb_tachira"]


def test_an_id_already_taken_is_uniquified_deterministically(dataset):
    report = write_report(dataset / "report.csv", [WITH_COORDINATES])
    add_file(report, "data/facilities.geojson", None, offline(dataset)).write()
    same = write_report(dataset / "same.csv", [{**WITH_COORDINATES, "name": "Comando de Zona 21 (GNB)"}])
    again = add_file(same, "data/facilities.geojson", None, offline(dataset))
    assert again.added == [] and again.enriched[0]["id"] == "comando_de_zona_21_gnb_tachira"  # matched, not a second one
    # the facility is renamed later; its id stays, and a new site of the old name gets another id
    collection = json.loads((dataset / "data/facilities.geojson").read_text("utf-8"))
    renamed = next(f for f in collection["features"] if f["properties"]["id"] == "comando_de_zona_21_gnb_tachira")
    renamed["properties"].update(name="Destacamento 211", aliases=[])
    (dataset / "data/facilities.geojson").write_text(json.dumps(collection), encoding="utf-8")
    elsewhere = write_report(dataset / "elsewhere.csv", [{**WITH_COORDINATES, "lat": "8.0", "lon": "-72.3"}])
    assert [item["id"] for item in add_file(elsewhere, "data/facilities.geojson", None, offline(dataset)).added] == [
        "comando_de_zona_21_gnb_tachira_2"]


def test_a_new_rows_own_id_and_precision_are_kept(dataset):
    report = write_report(dataset / "report.csv", [{**WITH_COORDINATES, "id": "gnb_cz21", "location_precision": "site"},
                                                   {**WITHOUT_COORDINATES, "id": "gnb_cz21"}])  # taken: a slug instead
    result = add_file(report, "data/facilities.geojson", None, offline(dataset))
    assert [item["id"] for item in result.added] == ["gnb_cz21", "internado_judicial_de_barinas_barinas"]
    assert result.added[0]["precision"] == "site"


def test_adding_the_same_report_twice_changes_nothing_the_second_time(dataset):
    report = write_report(dataset / "report.csv", [TOCUYITO_VARIANT, WITH_COORDINATES])
    add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset)).write()
    facilities_text, counts_text = (dataset / "data/facilities.geojson").read_text(), (dataset / "data/counts.csv").read_text()
    again = add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert again.added == [] and again.count_rows == [] and len(again.already_counted) == 2
    again.write()
    assert (dataset / "data/facilities.geojson").read_text() == facilities_text
    assert (dataset / "data/counts.csv").read_text() == counts_text


def test_without_counts_the_figures_go_into_the_facilities_file_and_a_new_counts_file_is_started(dataset):
    shutil.copy(dataset / "data/facilities.geojson", dataset / "mine.geojson")
    report = write_report(dataset / "report.csv", [TOCUYITO_VARIANT])
    add_file(report, "mine.geojson", None, offline(dataset)).write()
    counts = features(dataset / "mine.geojson")["tocuyito"]["properties"]["detainee_counts"]
    assert {"detainees": 120, "qualifier": "at_least", "as_of": "2026-11-28", "source": SOURCE, "counted_by": "foro_penal",
            "note": None} in counts
    add_file(report, "data/facilities.geojson", "new-counts.csv", offline(dataset)).write()
    assert (dataset / "new-counts.csv").read_text("utf-8") == (
        "facility,detainees,qualifier,as_of,source,counted_by,status,status_date,note\n"
        f"tocuyito,120,at_least,2026-11-28,{SOURCE},foro_penal,,,\n")


def test_unknown_columns_are_listed(dataset):
    report = write_report(dataset / "report.csv", [{**TOCUYITO_VARIANT, "responsable": "Ana", "x_extra": "1"}])
    assert read_report(report).unknown_columns == ["responsable", "x_extra"]
    ids = write_report(dataset / "ids.csv", [{"facility_id": "tocuyito", "Fecha": "2026-11-28", "Detenidos": "3",
                                              "Fuente": SOURCE}])
    (row,) = read_report(ids).rows
    assert (row["location"], row["counts"]) == ({"id": "tocuyito"}, {"as_of": "2026-11-28", "detainees": "3", "source": SOURCE})


def test_a_status_column_becomes_a_dated_status_event(dataset):
    report = write_report(dataset / "report.csv", [{"nombre": "Cárcel de Tocuyito", "estado": "cerrado",
                                                    "fecha_estado": "2026-11-30", "fuente": SOURCE}])
    result = add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert [(row["facility"], row["status"], row["status_date"]) for row in result.count_rows] == [
        ("tocuyito", "closed", "2026-11-30")]


def test_estado_holding_state_names_is_the_state(dataset):
    report = write_report(dataset / "report.csv", [{"nombre": "Comando de Zona 21 GNB", "estado": "Táchira",
                                                    "lat": "7.7669", "lon": "-72.2250"}])
    result = add_file(report, "data/facilities.geojson", None, offline(dataset))
    assert [item["id"] for item in result.added] == ["comando_de_zona_21_gnb_tachira"]


def test_ambiguous_rows_are_listed_not_guessed_and_strict_fails(dataset):
    far = {**TOCUYITO_VARIANT, "lat": "10.6", "lon": "-66.9"}  # Caracas, ~130 km from Tocuyito
    report = write_report(dataset / "report.csv", [far, {"name": "Rodeo", "state": "Miranda"}])
    result = add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert result.enriched == [] and result.count_rows == []
    reasons = {item["row"]: item["reason"] for item in result.ambiguous}
    assert "km from tocuyito" in reasons[2]
    assert "rodeo_i" in reasons[3] and "rodeo_ii" in reasons[3]  # two plausible matches
    with pytest.raises(InputError, match=r"report\.csv: row 2: .*ambiguous"):
        add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset), strict=True)


def test_a_new_row_that_is_a_probable_duplicate_is_ambiguous(dataset):
    # a name the matcher does not know, at El Helicoide's point, with a name alike to one of its own
    report = write_report(dataset / "report.csv", [{"name": "Helicoyde SEBIN", "state": "Miranda",
                                                    "lat": "10.4894", "lon": "-66.9099"}])
    result = add_file(report, "data/facilities.geojson", None, offline(dataset))
    assert result.added == [] and "helicoide" in result.ambiguous[0]["reason"]


def test_a_bad_count_row_names_the_report_row_and_writes_nothing(dataset):
    report = write_report(dataset / "report.csv", [WITH_COORDINATES, {**TOCUYITO_VARIANT, "source": ""}])
    with pytest.raises(InputError, match=r"report\.csv: row 3: figure 120 needs a source URL"):
        add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))


def test_nothing_is_written_when_the_result_fails_validation(dataset):
    report = write_report(dataset / "report.csv", [{**WITH_COORDINATES, "facility_type": "castle"}])
    with pytest.raises(InputError) as caught:
        add_file(report, "data/facilities.geojson", "data/counts.csv", offline(dataset))
    assert [str(problem) for problem in caught.value.problems] == [
        f"{report}: row 2 (id=comando_de_zona_21_gnb_tachira): facility_type: 'castle' is not one of: prison, "
        "pretrial_detention, intelligence_hq, military_prison, police, other"]
    assert (dataset / "data/facilities.geojson").read_bytes() == (REPO / "data/facilities.geojson").read_bytes()
    assert (dataset / "data/counts.csv").read_bytes() == (REPO / "data/counts.csv").read_bytes()


def test_a_failure_while_writing_leaves_both_files_as_they_were(dataset):
    (dataset / "mine.csv").write_text("facility,detainees,as_of,source\nhelicoide,57,2026-01-09,https://example.org/a\n",
                                      encoding="utf-8")
    result = add_file(write_report(dataset / "report.csv", [WITH_COORDINATES]), "data/facilities.geojson", "mine.csv",
                      offline(dataset))
    with pytest.raises(InputError, match=r"mine\.csv: no qualifier, counted_by columns"):
        result.write()  # the facilities file was complete, but the counts could not be: neither is replaced
    assert (dataset / "data/facilities.geojson").read_bytes() == (REPO / "data/facilities.geojson").read_bytes()
    assert (dataset / "mine.csv").read_text("utf-8").count("\n") == 2
    assert sorted(path.name for path in (dataset / "data").iterdir()) == sorted(path.name for path in (REPO / "data").iterdir())


def test_an_xlsx_and_a_geojson_report_are_read(dataset):
    workbook = openpyxl.Workbook()
    workbook.active.append(list(WITH_COORDINATES))
    workbook.active.append(list(WITH_COORDINATES.values()))
    workbook.save(dataset / "report.xlsx")
    assert read_report(dataset / "report.xlsx").rows[0]["location"]["name"] == "Comando de Zona 21 GNB"
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-72.225, 7.7669]},
         "properties": {key: value for key, value in WITH_COORDINATES.items() if key not in ("lat", "lon")}}]}
    (dataset / "report.geojson").write_text(json.dumps(collection), encoding="utf-8")
    result = add_file(dataset / "report.geojson", "data/facilities.geojson", None, offline(dataset))
    assert [item["id"] for item in result.added] == ["comando_de_zona_21_gnb_tachira"]
    assert result.collection["features"][-1]["properties"]["location_source"] == (
        f"coordinates given in {dataset / 'report.geojson'}, feature 0")


# ---------------------------------------------------------------- the command


def test_cli_dry_run_prints_what_would_change_and_writes_nothing(dataset):
    report = write_report(dataset / "report.csv", [TOCUYITO_VARIANT, WITH_COORDINATES,
                                                   {**WITH_COORDINATES, "responsable": "Ana"}])
    result = CliRunner().invoke(main, ["add", str(report), "--to", "data/facilities.geojson", "--counts", "data/counts.csv",
                                       "--offline", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would add 1 facility" in result.stderr and "comando_de_zona_21_gnb_tachira" in result.stderr
    assert "tocuyito" in result.stderr and "address" in result.stderr
    assert "columns geomap does not know" in result.stderr and "responsable" in result.stderr
    assert "dry run: nothing written" in result.stderr and "added" not in result.stderr
    assert (dataset / "data/facilities.geojson").read_bytes() == (REPO / "data/facilities.geojson").read_bytes()
    assert (dataset / "data/counts.csv").read_bytes() == (REPO / "data/counts.csv").read_bytes()


def test_cli_geocodes_a_new_row_against_the_geocoding_server(dataset, nominatim):
    nominatim.places["barinas"] = [nominatim.place("Internado Judicial de Barinas", 8.6195, -70.2444, state="Barinas")]
    report = write_report(dataset / "report.csv", [WITHOUT_COORDINATES])
    result = CliRunner().invoke(main, ["add", str(report), "--to", "data/facilities.geojson", "--counts", "data/counts.csv",
                                       "--geocoder-url", nominatim.url, "--user-agent", USER_AGENT,
                                       "--cache", str(dataset / "c.sqlite"), "--gazetteer", str(REPO / "data/facilities.geojson")])
    assert result.exit_code == 0, result.output
    added = features(dataset / "data/facilities.geojson")["internado_judicial_de_barinas_barinas"]
    assert added["geometry"]["coordinates"] == [-70.2444, 8.6195]
    assert added["properties"]["location_precision"] == "site" and len(nominatim.requests) == 1
    assert "geocoded 1 rows; 1 requests sent" in result.stderr


def test_cli_exit_2_when_a_new_row_cannot_be_located_and_strict_exit_1_on_ambiguous(dataset):
    nowhere = write_report(dataset / "report.csv", [{"name": "Retén Desconocido", "country": "VE"}, WITH_COORDINATES])
    result = CliRunner().invoke(main, ["add", str(nowhere), "--to", "data/facilities.geojson", "--offline"])
    assert result.exit_code == 2, result.output
    assert "not located" in result.stderr and "Retén Desconocido" in result.stderr
    assert "comando_de_zona_21_gnb_tachira" in features(dataset / "data/facilities.geojson")  # the rest is written
    far = write_report(dataset / "far.csv", [{**TOCUYITO_VARIANT, "lat": "10.6", "lon": "-66.9"}])
    before = (dataset / "data/facilities.geojson").read_bytes()
    strict = CliRunner().invoke(main, ["add", str(far), "--to", "data/facilities.geojson", "--offline", "--strict"])
    assert strict.exit_code == 1 and "ambiguous" in strict.stderr and "Traceback" not in strict.output
    assert (dataset / "data/facilities.geojson").read_bytes() == before


def test_cli_to_a_missing_file_is_a_one_line_error(dataset):
    report = write_report(dataset / "report.csv", [WITH_COORDINATES])
    result = CliRunner().invoke(main, ["add", str(report), "--to", "nope.geojson", "--offline"])
    assert result.exit_code == 1 and "nope.geojson: no such file" in result.stderr
    stdout = CliRunner().invoke(main, ["add", str(report), "--to", "-", "--offline"])
    assert stdout.exit_code == 1 and "--to -: add rewrites that file in place" in stdout.stderr


# ---------------------------------------------------------------- issue 13's "Done when": the round trip


def test_an_advocates_round_trip_add_build_diff(dataset):
    """Three reported rows (a variant of Tocuyito, one without coordinates, one new with them) -> build -> bulletin."""
    runner = CliRunner()
    exported = runner.invoke(main, ["export", "-o", "output/before.geojson"])
    assert exported.exit_code == 0, exported.output
    report = write_report(dataset / "report.csv", [TOCUYITO_VARIANT, WITHOUT_COORDINATES, WITH_COORDINATES])
    added = runner.invoke(main, ["add", str(report), "--to", "data/facilities.geojson", "--counts", "data/counts.csv",
                                 "--offline"])
    assert added.exit_code == 0, added.output
    assert "added 2 facilities to data/facilities.geojson" in added.stderr
    assert "added 3 dated rows to data/counts.csv: 3 figures" in added.stderr
    assert "matched row 2 'Cárcel de Tocuyito' -> tocuyito (name): added address" in added.stderr
    assert runner.invoke(main, ["validate", "data/facilities.geojson", "--strict"]).exit_code == 0
    built = runner.invoke(main, ["build", "--no-timeline"])
    assert built.exit_code == 0, built.output
    assert "Internado Judicial de Barinas" in block_text((dataset / "output/map.html").read_text("utf-8"), "gm-rows")
    assert runner.invoke(main, ["export", "-o", "output/after.geojson"]).exit_code == 0
    as_json = runner.invoke(main, ["diff", "output/before.geojson", "output/after.geojson", "--json"])
    assert as_json.exit_code == 0, as_json.output
    bulletin = json.loads(as_json.stdout)
    assert sorted(item["id"] for item in bulletin["added"]) == ["comando_de_zona_21_gnb_tachira",
                                                                "internado_judicial_de_barinas_barinas"]
    assert bulletin["removed"] == []
    standing = {item["id"]: [(f["detainees"], f["qualifier"], f["as_of"], f["source"], f["counted_by"])
                             for f in item["figures"]] for item in bulletin["added"]}
    assert standing == {"internado_judicial_de_barinas_barinas": [(12, "exact", "2026-11-28", SOURCE, "foro_penal")],
                        "comando_de_zona_21_gnb_tachira": [(30, "up_to", "2026-11-27", SOURCE, "press")]}
    tocuyito = [item for item in bulletin["figures"] if item["id"] == "tocuyito"]
    assert [(item["counted_by"], item["new"]["detainees"], item["new"]["as_of"], item["new"]["source"])
            for item in tocuyito] == [("foro_penal", 120, "2026-11-28", SOURCE)]
    markdown = runner.invoke(main, ["diff", "output/before.geojson", "output/after.geojson"]).stdout
    added_section = markdown.split("\n## ", 2)[1]
    assert "Internado Judicial de Barinas" in added_section and "Comando de Zona 21 GNB" in added_section
    assert "Tocuyito" not in added_section
    assert "example.org" in markdown and "28 November 2026" in markdown
