"""Joining dated counts and status events onto facilities: readers, name matching, time series, CLI."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.counts import read_counts
from geomap.errors import InputError
from geomap.export import read_export
from geomap.history import current_figure, current_status, date_key
from geomap.join import as_of_view, join_counts, join_file, read_aliases, summary
from geomap.load import check_collection
from geomap.names import Facility, NameMatcher, name_variants, normalize

FIXTURES = Path(__file__).parent / "fixtures" / "join"
FACILITIES = FIXTURES / "facilities.geojson"
REPO = Path(__file__).resolve().parent.parent
HEADER = "facility,detainees,qualifier,as_of,source,status,status_date,note\n"


@pytest.fixture
def facilities():
    return read_export(FACILITIES)


def write(tmp_path, text, name="counts.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def by_id(joined):
    return {row["id"]: row for row in joined.to_dict("records")}


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("name, expected", [
    ("Centro Penitenciario de Aragua (Tocorón)", "aragua tocoron"),
    ("CENTRO PENITENCIARIO DE ARAGUA (TOCORON)", "aragua tocoron"),
    ("Internado Judicial Rodeo I", "rodeo 1"),
    ("Cárcel de Uribana", "uribana"),
    ("sede del SEBIN", "sebin"),
    ("  El   Helicoide. ", "helicoide"),
    ("Sede", "sede"),  # nothing left after the prefix: kept
])
def test_normalize_folds_case_accents_punctuation_and_generic_prefixes(name, expected):
    assert normalize(name) == expected


def test_name_variants_split_parentheses_and_slashes():
    assert name_variants("Internado Judicial de Monagas (La Pica) / Centro Penitenciario de Oriente") == (
        "monagas la pica centro penitenciario de oriente", "monagas", "pica", "oriente")


@pytest.mark.parametrize("name", ["tocoron", "Tocorón", "TOCORON", "Centro Penitenciario de Aragua",
                                  "Cárcel de Tocorón", "Centro Penitenciario de Aragua (Tocorón)"])
def test_names_with_and_without_accents_and_prefixes_match_exactly(facilities, name):
    match = matcher(facilities).match(name)
    assert (match.facility_id, match.method) == ("tocoron", "id" if name == "tocoron" else "name")


def matcher(facilities, aliases=None):
    return NameMatcher((Facility(row["id"], (row["name"], *row["aliases"]), row["state"])
                        for row in facilities.to_dict("records")), aliases)


def test_fuzzy_match_tolerates_extra_words_and_typos(facilities):
    names = matcher(facilities)
    assert names.match("SEBIN-Helicoide").facility_id == "helicoide"
    assert names.match("Helicoid").method == "fuzzy"
    assert names.match("Helicoid").facility_id == "helicoide"


def test_fuzzy_match_stays_in_the_row_state(facilities):
    names = matcher(facilities)
    assert names.match("Tocoronn", state="Aragua").facility_id == "tocoron"
    assert names.match("Tocoronn", state="Miranda").method == "unmatched"


def test_a_name_two_facilities_share_is_ambiguous_not_guessed(facilities):
    match = matcher(facilities).match("Boleíta")
    assert match.method == "ambiguous" and match.facility_id is None
    assert {candidate for candidate, _ in match.candidates} == {"dgcim_boleita", "zona7_boleita"}


def test_rodeo_one_and_two_are_not_confused(facilities):
    names = matcher(facilities)
    assert names.match("Rodeo I").facility_id == "rodeo_i"
    assert names.match("Rodeo 2").facility_id == "rodeo_ii"
    assert names.match("Rodeo III").method == "unmatched"


# ------------------------------------------------------------------ readers


def test_semicolon_cp1252_spanish_headers_and_day_first_dates():
    counts = read_counts(FIXTURES / "counts_es_cp1252.csv")
    first = counts.iloc[0].to_dict()
    assert first["facility"] == "SEBIN-Helicoide" and first["state"] == "Distrito Capital"
    assert (first["detainees"], first["qualifier"], first["as_of"]) == (65, "exact", "2026-01-15")
    assert counts.iloc[1]["status"] == "announced_closure" and counts.iloc[1]["status_date"] == "2026-01-30"
    assert (counts.iloc[2]["detainees"], counts.iloc[2]["qualifier"], counts.iloc[2]["as_of"]) == (800, "at_least", "2024-11")
    assert counts.iloc[2]["note"] == "Foro Penal – tras 86 excarcelaciones"  # en dash: cp1252, not latin-1
    assert list(counts["row"]) == [2, 3, 4, 5, 6, 7]


def test_utf8_bom_is_not_part_of_the_first_header():
    counts = read_counts(FIXTURES / "counts_bom.csv")
    assert list(counts["facility"]) == ["helicoide", "La Tumba"]
    assert counts.iloc[0]["detainees"] == 65


def test_xlsx_with_date_cells_and_float_numbers():
    counts = read_counts(FIXTURES / "counts.xlsx")
    assert list(counts["as_of"]) == ["2026-01-15", "2024-12-31"]
    assert list(counts["detainees"]) == [65, 380]
    assert all(type(value) is int for value in counts["detainees"])


def test_json_records_with_spanish_keys():
    counts = read_counts(FIXTURES / "counts.json")
    assert list(counts["facility"]) == ["rodeo_i", "Tocorón"]
    assert list(counts["as_of"]) == ["2024-06", "2026-02-04"]


@pytest.mark.parametrize("line, message", [
    ("helicoide,-5,,2026-01,https://example.org/a,,,", "row 3: detainees -5 is negative"),
    ("helicoide,muchos,,2026-01,https://example.org/a,,,", "row 3: detainees 'muchos' is not a whole number"),
    ("helicoide,40-60,,2026-01,https://example.org/a,,,", "for a range give one bound"),
    ("helicoide,65,,31/02/2026,https://example.org/a,,,", "row 3: as_of '31/02/2026' is not a real date"),
    ("helicoide,65,,2026-01,,,,", "row 3: figure 65 needs a source URL"),
    ("helicoide,65,,2026-01,javascript:alert(1),,,", "is not an http(s) URL"),
    ("helicoide,,,,https://example.org/a,cerrado,,", "row 3: status 'closed' needs a status_date"),
    ("helicoide,,,,https://example.org/a,Miranda,2026-01-01,", "if this column holds the state"),
    ("helicoide,65,muchos,2026-01,https://example.org/a,,,", "qualifier 'muchos' is not one of"),
    ("helicoide,,,2026-01,https://example.org/a,,,", "neither a detainees figure nor a status"),
])
def test_bad_rows_name_the_file_the_row_and_the_fix(tmp_path, line, message):
    path = write(tmp_path, HEADER + "helicoide,65,,2026-01,https://example.org/ok,,,\n" + line + "\n")
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert str(caught.value).startswith(f"{path}: row 3: ") and message in str(caught.value)


def test_every_bad_row_is_reported_at_once(tmp_path):
    path = write(tmp_path, HEADER + "a,-1,,2026-01,https://example.org/a,,,\nb,x,,2026-01,https://example.org/a,,,\n")
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert "2 rows have problems" in str(caught.value)
    assert [str(problem).split(": ")[1] for problem in caught.value.problems] == ["row 2", "row 3"]


@pytest.mark.parametrize("content, message", [
    ("", "is empty: expected a header row"),
    ("\n \n", "is empty: expected a header row"),
    (HEADER, "has a header but no rows"),
    (HEADER + ",,,,,,,\n", "has a header but no rows"),
    ("lugar_x,valor\nhelicoide,65\n", "no facility column (found 'lugar_x', 'valor')"),
    ("facility,valor\nhelicoide,65\n", "no detainees or status column"),
    ("facility,centro,detainees\nhelicoide,x,65\n", "columns 'facility' and 'centro' both mean facility"),
])
def test_empty_header_only_and_headerless_files_are_errors(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(InputError) as caught:
        read_counts(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_a_file_neither_utf8_nor_cp1252_asks_for_an_encoding(tmp_path):
    path = write(tmp_path, HEADER.encode() + "helicoide,65,,2026-01,https://example.org/a,,,Sótano\x81\n".encode("latin-1"))
    with pytest.raises(InputError, match="pass --encoding"):
        read_counts(path)
    assert read_counts(path, encoding="latin-1").iloc[0]["note"] == "Sótano\x81"


def test_quantity_words_set_the_qualifier(tmp_path):
    path = write(tmp_path, "centro;presos;fecha;fuente\nTocorón;más de 800;11/2024;https://example.org/a\n"
                           "Rodeo I;hasta 80;01/2026;https://example.org/b\nYare;~200;2024-11;https://example.org/c\n")
    counts = read_counts(path)
    assert list(zip(counts["detainees"], counts["qualifier"])) == [(800, "at_least"), (80, "up_to"), (200, "about")]


# ------------------------------------------------------------------ join


def test_join_fills_figures_sources_status_and_national_totals(facilities):
    joined, report = join_file(facilities, FIXTURES / "counts_es_cp1252.csv")
    rows = by_id(joined)
    helicoide = rows["helicoide"]
    assert (helicoide["detainees"], helicoide["detainees_as_of"], helicoide["detainees_source"]) == (
        65, "2026-01-15", "https://example.org/jep-enero")
    assert [count["detainees"] for count in helicoide["detainee_counts"]] == [50, 65]  # the input's figure kept
    assert (helicoide["status"], helicoide["status_date"]) == ("announced_closure", "2026-01-30")
    assert helicoide["status_history"][0]["note"] == "Anuncio de la presidenta encargada"
    assert (rows["tocoron"]["detainees"], rows["tocoron"]["detainees_qualifier"]) == (800, "at_least")
    assert rows["la_tumba"]["detainees"] is None
    assert joined.attrs["national_totals"] == [{"country": "VE", "detainees": 863, "qualifier": "exact",
                                                "as_of": "2025-12-29", "source": "https://example.org/foro-penal-balance",
                                                "counted_by": None, "note": "Balance de Foro Penal"}]
    assert list(report["method"]) == ["fuzzy", "name", "name", "name", "name", "national"]
    assert len(joined) == len(facilities) and list(joined.columns) == list(facilities.columns)
    assert [input["path"] for input in joined.attrs["inputs"]] == [str(FACILITIES), str(FIXTURES / "counts_es_cp1252.csv")]


def test_joining_twice_adds_nothing(facilities):
    once, _ = join_file(facilities, FIXTURES / "counts_es_cp1252.csv")
    twice, _ = join_file(once, FIXTURES / "counts_es_cp1252.csv")
    for column in ("detainee_counts", "status_history", "detainees", "status"):
        assert list(once[column]) == list(twice[column])
    assert once.attrs["national_totals"] == twice.attrs["national_totals"]


def test_two_figures_for_one_facility_and_date_are_kept_reported_and_resolved(facilities, tmp_path):
    path = write(tmp_path, HEADER + "helicoide,80,up_to,2026-01-15,https://example.org/b,,,\n"
                                    "helicoide,65,,2026-01-15,https://example.org/a,,,\n"
                                    "tocoron,700,,2025-01,https://example.org/c,,,\n"
                                    "tocoron,750,,2025-01,https://example.org/d,,,\n")
    joined, report = join_file(facilities, path)
    rows = by_id(joined)
    assert [count["detainees"] for count in rows["helicoide"]["detainee_counts"]] == [50, 80, 65]
    assert rows["helicoide"]["detainees"] == 65  # exact beats up_to
    assert rows["tocoron"]["detainees"] == 750  # both exact: the larger
    assert report["conflict"].iloc[0] == report["conflict"].iloc[1] != ""
    assert "2 different figures (65 exact, 80 up_to); shown 65" in report["conflict"].iloc[0]


def test_joining_the_same_rows_again_still_reports_their_conflicts(facilities, tmp_path):
    path = write(tmp_path, HEADER + "helicoide,80,up_to,2026-01-15,https://example.org/b,,,\n"
                                    "helicoide,65,,2026-01-15,https://example.org/a,,,\n")
    once, _ = join_file(facilities, path)
    _, again = join_file(once, path)  # the rows are already in the facilities file
    assert list(again["conflict"]) == [again["conflict"].iloc[0]] * 2 != ["", ""]
    assert "2 different figures (65 exact, 80 up_to); shown 65" in again["conflict"].iloc[0]
    assert not [line for line in summary(again) if line.startswith("conflict:")]  # stderr names only new ones


def test_as_of_picks_the_latest_figure_on_or_before_and_a_month_counts_as_its_last_day(facilities, tmp_path):
    path = write(tmp_path, HEADER + "helicoide,65,,2026-01,https://example.org/jan,,,\n"
                                    "helicoide,,,,https://example.org/close,cierre anunciado,2026-01-30,\n")
    rows = by_id(join_file(facilities, path, as_of="2026-01-10")[0])
    assert (rows["helicoide"]["detainees"], rows["helicoide"]["detainees_as_of"]) == (50, "2025-06")
    assert rows["helicoide"]["status"] == "unknown" and len(rows["helicoide"]["status_history"]) == 1
    for as_of in ("2026-01-31", "2026-01", "31/01/2026"):
        rows = by_id(join_file(facilities, path, as_of=as_of)[0])
        assert rows["helicoide"]["detainees"] == 65 and rows["helicoide"]["status"] == "announced_closure"
    rows = by_id(join_file(facilities, path, as_of="2020-01-01")[0])
    assert rows["helicoide"]["detainees"] is None and len(rows["helicoide"]["detainee_counts"]) == 2


def test_as_of_view_repicks_figures_from_the_history_alone(facilities):
    joined, _ = join_file(facilities, FIXTURES / "counts_es_cp1252.csv")
    earlier = by_id(as_of_view(joined, "2025-12-31"))["helicoide"]
    assert (earlier["detainees"], earlier["status"], earlier["status_date"]) == (50, "unknown", None)
    assert by_id(as_of_view(joined, None))["helicoide"]["detainees"] == 65


def test_status_history_is_kept_oldest_first_and_current_is_the_latest_event():
    history = [{"status": "open", "date": "2024-01", "source": "https://example.org/a"},
               {"status": "closed", "date": "2026-03-01", "source": "https://example.org/c"},
               {"status": "announced_closure", "date": "2026-01-30", "source": "https://example.org/b"}]
    assert current_status(history)["status"] == "closed"
    assert current_status(history, "2026-02")["status"] == "announced_closure"
    assert current_status(history, "2023-12-31") is None


def test_current_figure_and_month_dates():
    counts = [{"detainees": 10, "qualifier": "exact", "as_of": "2026-01", "source": "https://example.org/a"},
              {"detainees": 12, "qualifier": "about", "as_of": "2026-01-31", "source": "https://example.org/b"}]
    assert current_figure(counts)["detainees"] == 12  # same day: a day beats a month
    assert current_figure(counts, "2026-01-30") is None
    assert str(date_key("2024-02")) == "2024-02-29"


def test_unmatched_and_ambiguous_rows_are_reported_not_dropped(facilities, tmp_path):
    path = write(tmp_path, HEADER + "Cárcel Imaginaria,5,,2026-01,https://example.org/a,,,\n"
                                    "Boleíta,40,,2026-01,https://example.org/b,,,\n")
    joined, report = join_file(facilities, path)
    assert list(report["method"]) == ["unmatched", "ambiguous"]
    assert "dgcim_boleita (100); zona7_boleita (100)" == report["candidates"].iloc[1]
    assert all(value is None for value in joined["detainees"] if value != 50)
    with pytest.raises(InputError, match=r"row 2: 'Cárcel Imaginaria' matches no facility: .*--aliases .*1 more"):
        join_file(facilities, path, strict=True)


def test_aliases_crosswalk_resolves_what_matching_cannot(facilities, tmp_path):
    crosswalk = write(tmp_path, "name,id\nBoleíta,dgcim_boleita\nLa Casa de los Sueños,helicoide\n", "aliases.csv")
    path = write(tmp_path, HEADER + "boleita,40,,2026-01,https://example.org/b,,,\n"
                                    "la casa de los sueños,65,,2026-01,https://example.org/a,,,\n")
    joined, report = join_file(facilities, path, aliases_path=crosswalk)
    assert list(zip(report["chosen_id"], report["method"])) == [("dgcim_boleita", "alias"), ("helicoide", "alias")]
    bad = write(tmp_path, "name,id\nX,no_such_id\n", "bad.csv")
    with pytest.raises(InputError, match=r"bad.csv: row 2: id 'no_such_id' is not a facility id"):
        read_aliases(bad, {"helicoide"})


def test_national_rows_carry_figures_only(facilities, tmp_path):
    path = write(tmp_path, HEADER + "national:VE,,,,https://example.org/a,open,2026-01-01,\n")
    with pytest.raises(InputError, match="row 2: national:VE rows carry a nationwide figure"):
        join_file(facilities, path)


def test_bad_as_of_is_an_error(facilities):
    with pytest.raises(InputError, match="--as-of '2026-02-30' is not a real date"):
        join_file(facilities, FIXTURES / "counts_bom.csv", as_of="2026-02-30")


def test_joined_output_is_valid_against_the_schema(facilities):
    from geomap.export import to_geojson

    joined, _ = join_counts(facilities, read_counts(FIXTURES / "counts.xlsx"))
    check_collection(to_geojson(joined), "joined")


# ------------------------------------------------------------------ CLI


def test_cli_writes_geojson_and_match_report(tmp_path):
    output = tmp_path / "out" / "joined.geojson"
    result = run("join", FACILITIES, FIXTURES / "counts_es_cp1252.csv", "-o", output)
    assert result.exit_code == 0, result.output
    report = (tmp_path / "out" / "joined.matches.csv").read_text("utf-8").splitlines()
    assert report[0] == "row,input_name,state,chosen_id,method,score,candidates,conflict"
    assert report[1].startswith("2,SEBIN-Helicoide,Distrito Capital,helicoide,fuzzy,100")
    joined = read_export(output)
    assert by_id(joined)["helicoide"]["detainees"] == 65
    assert joined.attrs["national_totals"][0]["detainees"] == 863
    assert (f"joined 6 rows of {FIXTURES / 'counts_es_cp1252.csv'}: 4 matched facilities by their exact names, "
            "1 matched a facility by a close name, 1 nationwide total") in result.stderr


def test_cli_reports_unmatched_rows_and_strict_fails_naming_the_row(tmp_path):
    path = write(tmp_path, HEADER + "helicoide,65,,2026-01,https://example.org/a,,,\n"
                                    "Cárcel Imaginaria,5,,2026-01,https://example.org/b,,,\n")
    output = tmp_path / "joined.geojson"
    result = run("join", FACILITIES, path, "-o", output)
    assert result.exit_code == 0
    assert f"joined 1 of 2 rows of {path}: 1 matched a facility by id, 1 unmatched" in result.stderr
    assert "unmatched (no facility matches; not joined): row 3 'Cárcel Imaginaria'" in result.stderr
    output.unlink()
    result = run("join", FACILITIES, path, "-o", output, "--strict")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: row 3: 'Cárcel Imaginaria' matches no facility: fix the name or map it to an id "
        "in an --aliases file (name,id)"]
    assert not output.exists()


def test_cli_bad_count_is_one_line_and_no_output(tmp_path):
    path = write(tmp_path, HEADER + "helicoide,-5,,2026-01,https://example.org/a,,,\n")
    output = tmp_path / "joined.geojson"
    result = run("join", FACILITIES, path, "-o", output)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {path}: row 2: detainees -5 is negative: counts are whole numbers ≥ 0"
    assert not output.exists()


def test_cli_stdout_and_encoding_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, HEADER + "helicoide,65,,2026-01,https://example.org/a,,,Sótano\n", encoding="latin-1")
    result = run("join", FACILITIES, path, "-o", "-", "--encoding", "latin-1", "--as-of", "2026-01")
    assert result.exit_code == 0, result.stderr
    collection = json.loads(result.stdout)
    helicoide = next(f["properties"] for f in collection["features"] if f["properties"]["id"] == "helicoide")
    assert helicoide["detainee_counts"][-1]["note"] == "Sótano"
    assert collection["geomap"]["as_of"] == "2026-01"
    assert (tmp_path / "output" / "facilities.matches.csv").exists()


# ------------------------------------------------------------------ shipped data


@pytest.mark.skipif(not (REPO / "data" / "counts.csv").exists() or not (REPO / "data" / "facilities.geojson").exists(),
                    reason="data/counts.csv and data/facilities.geojson not shipped yet")
def test_shipped_counts_reproduce_the_shipped_figures():
    facilities = read_export(REPO / "data" / "facilities.geojson")
    joined, report = join_file(facilities, REPO / "data" / "counts.csv")
    assert set(report["method"]) <= {"id", "national"}
    fields = ("detainees", "detainees_qualifier", "detainees_as_of", "detainees_source", "detainees_counted_by",
              "detainee_counts", "status", "status_date", "status_source", "status_history")
    for shipped, rejoined in zip(facilities.to_dict("records"), joined.to_dict("records")):
        assert {f: shipped[f] for f in fields} == {f: rejoined[f] for f in fields}, shipped["id"]
    assert joined.attrs["national_totals"] and all(t["country"] == "VE" for t in joined.attrs["national_totals"])


def test_a_shared_state_name_alone_does_not_claim_a_facility():
    from geomap.names import Facility, NameMatcher

    matcher = NameMatcher([Facility("tocuyito", ("Centro Penitenciario de Carabobo (Tocuyito)",), "Carabobo"),
                           Facility("helicoide", ("El Helicoide",), "Distrito Capital")])
    assert matcher.match("Cárcel Fénix Carabobo").method == "unmatched"
    assert matcher.match("SEBIN El Helicoide").facility_id == "helicoide"


# ------------------------------------------------------------------ review fixes


@pytest.mark.parametrize(("output", "report"), [
    ("jan.2026.geojson", "jan.2026.matches.csv"),
    ("out/jan.2026.json", "out/jan.2026.matches.csv"),
    ("output/facilities.joined.geojson", "output/facilities.matches.csv"),
    ("out/joined.geojson", "out/joined.matches.csv"),
])
def test_match_report_path_keeps_every_dot_of_the_output_name(output, report):
    from geomap.join import report_path

    assert report_path(output, FACILITIES) == Path(report)
    assert report_path("-", FACILITIES) == Path("output/facilities.matches.csv")


@pytest.mark.parametrize("name", ["joined.csv", "joined.kml", "joined"])
def test_cli_join_output_must_be_geojson(tmp_path, name):
    output = tmp_path / name
    result = run("join", FACILITIES, FIXTURES / "counts_es_cp1252.csv", "-o", output)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: -o {output}: join writes GeoJSON: end the name in .geojson (or use - for stdout)"
    assert list(tmp_path.iterdir()) == []


def test_a_figure_above_the_schema_maximum_is_a_bad_row(tmp_path):
    path = write(tmp_path, HEADER + "helicoide,10000001,,2026-01,https://example.org/a,,,\n")
    with pytest.raises(InputError, match=r"row 2: detainees 10000001 is more than 10000000: check the figure"):
        read_counts(path)


# ------------------------------------------------------------------ who counted


@pytest.mark.parametrize("header", ["counted_by", "Organización", "organisation", "organization", "Contabilizado por",
                                    "contado por", "fuente_organizacion"])
def test_counted_by_is_read_under_english_and_spanish_headers(facilities, tmp_path, header):
    path = write(tmp_path, f"facility,detainees,as_of,source,{header}\n"
                           "helicoide,65,2026-01-15,https://example.org/a,Foro Penal\n"
                           "national:VE,759,2026-03-02,https://example.org/n,JEP\n")
    joined, report = join_file(facilities, path)
    helicoide = by_id(joined)["helicoide"]
    assert helicoide["detainees_counted_by"] == "foro_penal"
    assert [count["counted_by"] for count in helicoide["detainee_counts"]] == [None, "foro_penal"]
    assert joined.attrs["national_totals"] == [{"country": "VE", "detainees": 759, "qualifier": "exact", "as_of": "2026-03-02",
                                                "source": "https://example.org/n", "counted_by": "jep", "note": None}]
    assert not [line for line in summary(report) if line.startswith("counted_by")]


def test_an_old_count_file_without_counted_by_joins_and_the_summary_says_so_once(tmp_path):
    path = write(tmp_path, HEADER + "helicoide,65,,2026-01-15,https://example.org/a,,,\n"
                                    "tocoron,700,,2026-01-15,https://example.org/b,,,\n"
                                    "national:VE,777,,2026-01-19,https://example.org/n,,,\n")
    output = tmp_path / "joined.geojson"
    result = run("join", FACILITIES, path, "-o", output)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "counted_by" in line] == [
        "counted_by: the counts file has no counted_by column: who counted its figures is unknown "
        "(add one, e.g. foro_penal, jep, press; see docs/join.md)"]
    joined = read_export(output)
    assert (by_id(joined)["helicoide"]["detainees"], by_id(joined)["helicoide"]["detainees_counted_by"]) == (65, None)
    assert joined.attrs["national_totals"][0]["counted_by"] is None


def test_figures_without_an_organisation_in_a_file_that_has_the_column_are_counted(facilities, tmp_path):
    path = write(tmp_path, "facility,detainees,as_of,source,counted_by\n"
                           "helicoide,65,2026-01-15,https://example.org/a,jep\n"
                           "tocoron,700,2026-01-15,https://example.org/b,\n")
    _, report = join_file(facilities, path)
    assert [line for line in summary(report) if line.startswith("counted_by")] == [
        "counted_by: 1 of 2 figures do not say who counted them (unknown organisation)"]


def test_naming_who_counted_a_figure_already_joined_adds_no_repeat(facilities, tmp_path):
    old = write(tmp_path, HEADER + "helicoide,65,,2026-01-15,https://example.org/a,,,\n", "old.csv")
    new = write(tmp_path, "facility,detainees,as_of,source,counted_by\n"
                          "helicoide,65,2026-01-15,https://example.org/a,jep\n"
                          "helicoide,65,2026-01-15,https://example.org/a,foro_penal\n", "new.csv")
    once, _ = join_file(facilities, old)
    twice = by_id(join_file(once, new)[0])["helicoide"]
    # the unattributed figure learns its organisation; another organisation's equal figure is its own
    assert [(c["detainees"], c["counted_by"]) for c in twice["detainee_counts"]] == [(50, None), (65, "jep"), (65, "foro_penal")]
    assert twice["detainees_counted_by"] == "foro_penal"  # same figure, date, page: the deterministic tie-break


def test_the_same_date_rule_prefers_the_organisations_own_figure_to_a_republication(facilities, tmp_path):
    path = write(tmp_path, "facility,detainees,as_of,source,counted_by,note\n"
                           "helicoide,90,2026-02-01,https://aggregator.example.com/x,foro_penal,republished from Foro Penal\n"
                           "helicoide,85,2026-02-01,https://foropenal.com/balance,foro_penal,\n")
    joined, report = join_file(facilities, path)
    helicoide = by_id(joined)["helicoide"]
    assert (helicoide["detainees"], helicoide["detainees_source"]) == (85, "https://foropenal.com/balance")
    assert "shown 85 (foro_penal) by the same-date rule" in report["conflict"].iloc[0]
