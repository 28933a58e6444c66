"""Geocoding without the network: input loading, gazetteer, locality fallback, cache, CLI."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions, format_summary, geocode_file, geocode_frame
from geomap.geocode.cache import GeocodeCache, cache_key
from geomap.geocode.gazetteer import Gazetteer, facility_names
from geomap.geocode.text import fold
from geomap.geocode.locality import LocalityTable
from geomap.geocode.providers import NominatimAnswer, PhotonAnswer
from geomap.load import read_locations
from geomap.schema import validate_collection

FIXTURES = Path(__file__).parent / "fixtures"
GAZETTEER = FIXTURES / "gazetteer.geojson"
UNLOCATED = FIXTURES / "unlocated.csv"
REPO = Path(__file__).resolve().parent.parent


def offline(tmp_path, **settings):
    return GeocodeOptions(**{"gazetteer": GAZETTEER, "cache": tmp_path / "cache.sqlite", "offline": True} | settings)


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer(GAZETTEER)


@pytest.mark.parametrize("name", ["Helicoide", "SEBIN El Helicoide", "El Helicoide", "Helicoid", "El Helicoide SEBIN Caracas"])
def test_gazetteer_resolves_the_helicoide_however_it_is_written(gazetteer, name):
    found = gazetteer.resolve({"name": name, "country": "VE"})
    assert found.geocoding["facility_id"] == "helicoide"
    assert (found.lon, found.lat, found.precision) == (-66.9099, 10.4894, "site")
    assert found.source == "https://en.wikipedia.org/wiki/El_Helicoide"


@pytest.mark.parametrize("name", ["Cárcel de Tocorón", "Tocorón", "carcel de tocoron en Aragua"])
def test_gazetteer_resolves_tocoron(gazetteer, name):
    assert gazetteer.resolve({"name": name, "country": "VE"}).geocoding["facility_id"] == "tocoron"


@pytest.mark.parametrize("name, why", [
    ("SEBIN", "ambiguous (helicoide, la_tumba)"),
    ("Tocorón women annex prison", "add it as an alias"),  # extra words: maybe another facility
    ("Centro de Formación Hombre Nuevo 'El Libertador' (Cárcel Fénix Carabobo)", "unmatched"),  # "carabobo" is a state
    ("Internado Judicial Rodeo I", "unmatched"),  # in the file, but without coordinates
])
def test_gazetteer_never_guesses(gazetteer, name, why):
    assert why in gazetteer.resolve({"name": name, "country": "VE"})


def test_gazetteer_respects_the_rows_country_and_state(gazetteer):
    assert "not CO" in gazetteer.resolve({"name": "El Helicoide", "country": "CO"})
    assert "Zulia" in gazetteer.resolve({"name": "El Helicoide", "country": "VE", "state": "Zulia"})


@pytest.mark.parametrize("city, state, precision, place", [
    ("Los Teques", "Miranda", "locality", "Los Teques, Miranda, VE"),
    ("Santa Ana del Táchira (municipio Córdoba)", "Táchira", "locality", "Santa Ana, Tachira, VE"),
    ("Caraballeda", "La Guaira", "locality", "Caraballeda, Vargas, VE"),  # renamed state
    ("Caracas (La Yaguara)", "Distrito Capital", "locality", "Caracas, Capital, VE"),
    ("El Dorado (municipio Sifontes)", "Bolívar", "region", "centre of 7 places in Bolivar, VE"),
    (None, "Zulia", "region", "centre of 21 places in Zulia, VE"),
])
def test_locality_fallback_gives_the_town_or_state_centre(city, state, precision, place):
    found = LocalityTable().resolve({"city": city, "state": state, "country": "VE"})
    assert found.precision == precision
    assert found.geocoding["place"] == place
    assert "GeoNames (CC BY 4.0)" in found.source


def test_locality_fallback_reports_an_ambiguous_town():
    assert "ambiguous" in LocalityTable().resolve({"city": "Santa Ana", "country": "VE"})


def test_done_when_researched_facilities_resolve_offline_and_the_rest_is_reported(tmp_path):
    output = tmp_path / "located.geojson"
    result = CliRunner().invoke(main, ["geocode", str(UNLOCATED), "-o", str(output), "--offline",
                                       "--gazetteer", str(GAZETTEER), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 2, result.output
    collection = json.loads(output.read_text("utf-8"))
    assert validate_collection(collection, require_geometry=False) == []
    located = collection["features"]
    assert len(located) == 16 and all(f["geometry"] for f in located)  # the row not placed is set apart
    assert {f["properties"]["location_precision"] for f in located} == {"locality", "region"}
    assert "12  locality/locality" in result.output and "4  locality/region" in result.output
    assert "1 unresolved" in result.output and "Antigua Planta" in result.output
    (unplaced,) = csv.DictReader((tmp_path / "located.unresolved.csv").open(encoding="utf-8", newline=""))
    assert "Antigua Planta" in unplaced["name"] and unplaced["row"] == "17"


@pytest.mark.skipif(not (REPO / "data/facilities.geojson").exists(), reason="curated dataset not written yet")
def test_with_the_curated_dataset_every_researched_facility_resolves_offline(tmp_path):
    summary = geocode_file(UNLOCATED, tmp_path / "out.geojson", offline(tmp_path, gazetteer=REPO / "data/facilities.geojson"))
    assert summary["unresolved"] == []


def test_input_coordinates_are_kept_unless_forced(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("name,lat,lon,state\nEl Helicoide,10.5,-66.9,Distrito Capital\n", encoding="utf-8")
    kept = geocode_frame(read_locations(csv_path), offline(tmp_path), progress=False).iloc[0]
    assert (kept.geometry.y, kept["location_precision"]) == (10.5, "approximate")
    assert kept["location_source"] == f"coordinates given in {csv_path}, row 2"  # the file's row: the header is row 1
    assert kept["geocoding"] == {"step": "input"}
    forced = geocode_frame(read_locations(csv_path), offline(tmp_path, force=True), progress=False).iloc[0]
    assert (forced.geometry.y, forced["geocoding"]["step"]) == (10.4894, "gazetteer")


def test_forcing_keeps_the_input_point_when_nothing_as_precise_is_found(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("name,lat,lon,state,country\nRetén Desconocido,8.1,-63.5,,VE\nRetén Desconocido,8.2,-63.6,Bolívar,VE\n",
                        encoding="utf-8")
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", "-", "--offline", "--force", "--gazetteer",
                                       str(GAZETTEER), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 0, result.output
    nothing, coarser = (feature for feature in json.loads(result.stdout)["features"])
    assert nothing["geometry"]["coordinates"] == [-63.5, 8.1]
    assert coarser["geometry"]["coordinates"] == [-63.6, 8.2]
    for feature in (nothing, coarser):
        assert feature["properties"]["geocoding"]["step"] == "input"
        assert feature["properties"]["location_precision"] == "approximate"
        assert feature["properties"]["geocoding"]["force_failed"]
    assert "coarser than the input" in coarser["properties"]["geocoding"]["force_failed"][-1]


def test_cached_answers_are_used_offline(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("name,city,state,country\nRodeo I,Guatire,Miranda,VE\n", encoding="utf-8")
    answer = {"lat": 10.48, "lon": -66.5, "address": "Rodeo I", "raw": {"lat": "10.48", "lon": "-66.5", "class": "amenity", "type": "prison", "place_rank": 30}}
    options = offline(tmp_path)
    with GeocodeCache(options.cache) as cache:
        cache.put("nominatim https://nominatim.openstreetmap.org", cache_key("RODEO I, Guatire, Miranda", "ve"), [answer], "2026-11-01")
    row = geocode_frame(read_locations(csv_path), options, progress=False).iloc[0]
    assert (row["geocoding"]["step"], row["location_precision"], row["location_as_of"]) == ("cache", "site", "2026-11-01")


def test_csv_rows_become_valid_facilities_with_honest_defaults(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("\ufeffname,city,aliases\nRetén X,Caraballeda,Retén; El X\nRetén X,Caracas,\n", encoding="utf-8")
    facilities = read_locations(csv_path, country="ve")
    assert list(facilities["id"]) == ["reten_x", "reten_x_2"]
    first = facilities.iloc[0]
    assert (first["facility_type"], first["status"], first["country"], first["aliases"]) == ("other", "unknown", "VE", ["Retén", "El X"])


def test_bad_csv_rows_are_all_reported_and_nothing_is_written(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("name,facility_type,lat,lon\nA,jail,,\n,prison,,\nC,prison,10.5,\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_locations(csv_path)
    lines = sorted(str(problem) for problem in error.value.problems)
    assert any("row 2" in line and "facility_type" in line for line in lines)
    assert any("row 3" in line and "name" in line for line in lines)
    assert any("row 4" in line and "lat/lon" in line for line in lines)
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", str(tmp_path / "out.geojson"), "--offline"])
    assert result.exit_code == 1 and not (tmp_path / "out.geojson").exists()
    (tmp_path / "names.csv").write_text("title\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'name' column"):
        read_locations(tmp_path / "names.csv")


def test_geojson_input_with_null_geometries_and_stdout_output(tmp_path):
    result = CliRunner().invoke(main, ["geocode", str(GAZETTEER), "-o", "-", "--offline", "--gazetteer", str(GAZETTEER),
                                       "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 0, result.output
    collection = json.loads(result.stdout)
    rodeo = next(f for f in collection["features"] if f["properties"]["id"] == "rodeo_i")
    assert rodeo["properties"]["location_precision"] == "locality" and rodeo["geometry"]


def test_summary_lines_name_steps_and_failures(tmp_path):
    summary = geocode_file(UNLOCATED, tmp_path / "o.geojson", offline(tmp_path, gazetteer=None))
    lines = format_summary(summary)
    assert lines[0].startswith("geocoded 17 rows; 0 requests sent")
    assert any("gazetteer" not in line and "locality/region" in line for line in lines)


@pytest.mark.parametrize("raw, precision", [
    ({"class": "amenity", "type": "prison", "place_rank": 30}, "site"),
    ({"class": "building", "type": "yes", "place_rank": 30}, "approximate"),
    ({"class": "place", "type": "suburb", "place_rank": 19, "addresstype": "suburb"}, "approximate"),
    ({"class": "place", "type": "town", "place_rank": 16, "addresstype": "town"}, "locality"),
    ({"class": "boundary", "type": "administrative", "place_rank": 8, "addresstype": "state"}, "region"),
    ({"class": "boundary", "type": "administrative", "place_rank": 4, "addresstype": "country"}, None),
])
def test_nominatim_precision_from_rank_addresstype_and_tags(raw, precision):
    assert NominatimAnswer.precision(raw) == precision


def test_photon_answers_are_read_too():
    raw = {"properties": {"osm_key": "amenity", "osm_value": "prison", "osm_type": "W", "osm_id": 7, "countrycode": "VE", "type": "house"}}
    assert (PhotonAnswer.precision(raw), PhotonAnswer.country(raw), PhotonAnswer.url(raw)) == ("site", "VE", "https://www.openstreetmap.org/way/7")


def test_geocode_refuses_a_non_geojson_output_before_any_work(tmp_path):
    result = CliRunner().invoke(main, ["geocode", str(FIXTURES / "unlocated.csv"), "--offline", "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 1 and "geocode writes GeoJSON" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_force_with_an_unknown_precision_is_a_one_line_error(tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon,location_precision\nSomewhere,10.5,-66.9,town\n", "utf-8")
    result = CliRunner().invoke(main, ["geocode", str(sites), "--offline", "--force", "--cache", str(tmp_path / "c.sqlite"),
                                       "-o", str(tmp_path / "out.geojson")])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (1, 2)


def _name_variants_to_try(facilities):
    """Rows naming the curated facilities as sources do: exactly, unaccented, lower-cased, with a typo,
    a generic prefix or extra words, in their own state, in none and in another one."""
    states = sorted({properties.get("state") for properties, _ in facilities.values()} - {None})
    rows = []
    for number, (properties, _) in enumerate(facilities.values()):
        other_state = states[(states.index(properties["state"]) + 1) % len(states)] if properties.get("state") else None
        for name in facility_names(properties):
            plain = fold(name)
            rows += [{"name": name, "state": properties.get("state"), "country": "VE"},
                     {"name": plain, "country": "VE"},
                     {"name": name.upper()[:-1], "state": other_state, "country": "VE"},
                     {"name": f"Cárcel de {plain} {'anexo' if number % 2 else 'Caracas'}", "state": properties.get("state")}]
    return rows + [{"name": name, "state": state, "country": "VE"} for name, state in [
        ("SEBIN", None), ("SEBIN", "Distrito Capital"), ("Sebin", "Carabobo"), ("Yare", "Miranda"), ("Yare 2", None),
        ("Rodeo", "Miranda"), ("Tocorón women annex prison", "Aragua"), ("Fénix", "Carabobo"), ("Carabobo", "Carabobo"),
        ("Cárcel Fénix Carabobo", "Carabobo"), ("Helicoide", "Zulia"), ("La Tumba", "Estado Distrito Capital"),
        ("DGCIM", None), ("Centro de detención 12", "Miranda"), ("", None), ("El", None), ("Centro penitenciario", None),
    ]] + [{"name": "El Helicoide", "name_en": "The Helix", "aliases": ["Rodeo I", "nowhere"], "state": "Miranda"}]


@pytest.mark.parametrize("path", [GAZETTEER, REPO / "data" / "facilities.geojson"])
def test_gazetteer_matching_all_rows_at_once_matches_as_row_by_row(path):
    """``prepare`` (one batched match for all rows, what geocode_frame does) changes no row's result."""
    one_by_one = Gazetteer(path)
    rows = _name_variants_to_try(one_by_one.entries)
    expected = [one_by_one.resolve(row) for row in rows]
    batched = Gazetteer(path)
    batched.prepare(rows)
    found = [batched.resolve(row) for row in rows]
    assert found == expected
    assert batched.matcher is not one_by_one.matcher and len(batched._matches) >= len({row["name"] for row in rows})
    kinds = {type(result).__name__ for result in expected}
    assert kinds == {"Resolution", "str", "NoneType"}  # matches, refusals and a row without a name
    assert {"name", "fuzzy"} <= {result.geocoding["match"] for result in expected if not isinstance(result, str) and result}
