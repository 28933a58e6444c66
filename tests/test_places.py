"""Location checks: a point lies in the country and state its record declares (geomap.places)."""

import csv
import json
import math

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from geomap import places
from geomap.cli import main
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions, geocode_file
from geomap.load import read_facilities, read_locations

from conftest import REPO

SMALL = REPO / "tests/fixtures/small.geojson"
UCLA = REPO.parent / "shared/reference/peers/ucla_fac_data.csv"  # ../shared beside the clone
HELICOIDE = (-66.9099, 10.4894)  # Caracas, Distrito Capital
LOS_TEQUES = (-67.0333, 10.3450)  # Miranda
# US facilities from public prison lists (a tiny stand-in for UCLA's list of 2,296)
US_SITES = [("Alabama Treatment and Education Facility", "Alabama", 33.181005, -86.624017),
            ("San Quentin State Prison", "California", 37.9385, -122.4880),
            ("Rikers Island", "New York", 40.7930, -73.8860)]


def collection(**changes):
    """small.geojson with properties/geometry changes for feature 0: ``geometry=[lon, lat]``, ``state=...``."""
    data = json.loads(SMALL.read_text("utf-8"))
    feature = data["features"][0]
    if "geometry" in changes:
        feature["geometry"]["coordinates"] = list(changes.pop("geometry"))
    feature["properties"].update(changes)
    return data


def write(tmp_path, data, name="in.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    return path


def problems(tmp_path, **changes):
    path = write(tmp_path, collection(**changes))
    return [str(p) for p in places.location_problems(read_facilities(path, check_locations=False), str(path))]


def validate(path):
    return CliRunner().invoke(main, ["validate", str(path)])


def east_of(state, km):
    """A point ``km`` east of the easternmost vertex of ``state``: at most ``km`` from it, and at least ~``km``."""
    coordinates = shapely.get_coordinates(places.state_outline("VE", state))
    lon, lat = coordinates[np.argmax(coordinates[:, 0])]
    return lon + km / (111.195 * math.cos(math.radians(lat))), lat


# --- the API ---

def test_country_and_state_of_points_and_arrays():
    assert places.country_of(*HELICOIDE) == "VE"
    assert places.state_of(*HELICOIDE) == "Distrito Capital"
    assert places.state_of(*LOS_TEQUES) == "Miranda"
    assert places.country_of(-86.624017, 33.181005) == "US"
    assert places.country_of(-30.0, 0.0) is None  # mid-Atlantic
    assert places.state_of(-86.624017, 33.181005) is None  # no US states vendored
    assert list(places.country_of([-66.9, -74.08, 2.35], [10.5, 4.6, 48.85])) == ["VE", "CO", "FR"]
    assert places.country_of(-63.85, 11.0) == "VE"  # Margarita: not in the 1:110m outline, in the states


def test_state_outline_matches_names_as_validate_does():
    assert places.state_outline("VE", "Estado Miranda").contains(shapely.Point(LOS_TEQUES))
    assert places.state_outline("VE", "La Guaira") is places.state_outline("VE", "Vargas")
    assert places.state_outline("VE", "Atlantis") is None and places.state_outline("US", "Alabama") is None


def test_state_names_lists_the_vendored_states_with_synonyms():
    names = places.state_names("VE")
    assert len(names) == 25 and "Miranda" in names and "Vargas (or La Guaira)" in names
    assert places.state_names("US") == []


# --- country ---

def test_swapped_lon_lat_is_an_error_with_the_hint(tmp_path):
    found = problems(tmp_path, geometry=HELICOIDE[::-1])
    assert len(found) == 1
    assert "feature 0 (id=helicoide): geometry: point (10.4894, -66.9099) lies in no country, not VE: did you swap lon/lat? [-66.9099, 10.4894] lies in VE" in found[0]


def test_point_in_another_country_is_an_error_without_the_hint(tmp_path):
    found = problems(tmp_path, geometry=(-74.08, 4.6))  # Bogotá
    assert len(found) == 1 and "lies in CO, not VE: fix the point or the country" in found[0]
    assert "swap" not in found[0]


def test_build_refuses_a_point_outside_its_country(tmp_path):
    path = write(tmp_path, collection(geometry=HELICOIDE[::-1]))
    with pytest.raises(InputError) as error:
        read_facilities(path)
    assert "did you swap lon/lat?" in str(error.value.problems[0])
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "map.html")])
    assert result.exit_code == 1 and "did you swap lon/lat?" in result.stderr
    assert not (tmp_path / "map.html").exists()


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "kml"])
def test_reading_an_export_refuses_a_point_outside_its_country(tmp_path, fmt):
    from geomap.export import export_facilities, read_export

    facilities = read_facilities(SMALL)
    facilities.loc[0, "country"] = "CO"
    path = export_facilities(facilities, fmt, tmp_path / f"out.{fmt}")
    with pytest.raises(InputError) as error:
        read_export(path)
    assert "(id=helicoide): geometry: point (-66.9099, 10.4894) lies in VE, not CO" in str(error.value.problems[0])


def test_a_country_without_vendored_states_uses_the_coarse_outline(tmp_path):
    assert problems(tmp_path, country="US", geometry=(-86.624017, 33.181005), state="Alabama") == []
    found = problems(tmp_path, country="US", geometry=HELICOIDE, state="Alabama")
    assert len(found) == 1 and "lies in VE, not US" in found[0]


def test_a_country_without_an_outline_is_a_warning_not_an_error(tmp_path):
    path = write(tmp_path, collection(country="AW", geometry=(-70.03, 12.52)))  # Aruba: too small for 1:110m
    found = places.location_problems(read_facilities(path), str(path))  # build goes on
    assert len(found) == 1 and found[0].warning and "AW has no outline" in str(found[0])


# --- state ---

def test_point_in_the_neighbouring_state_names_that_state(tmp_path):
    found = problems(tmp_path, geometry=HELICOIDE, state="Miranda")
    assert len(found) == 1
    assert "feature 0 (id=helicoide): state: point (-66.9099, 10.4894) lies in Distrito Capital" in found[0]
    assert "outside Miranda" in found[0]
    result = validate(write(tmp_path, collection(geometry=HELICOIDE, state="Miranda")))
    assert result.exit_code == 1 and "lies in Distrito Capital" in result.stderr


def test_state_border_tolerance_passes_500_m_and_fails_5_km(tmp_path):
    assert problems(tmp_path, geometry=east_of("Distrito Capital", 0.5), state="Distrito Capital") == []
    found = problems(tmp_path, geometry=east_of("Distrito Capital", 5), state="Distrito Capital")
    assert len(found) == 1 and "lies in Miranda" in found[0] and "km outside Distrito Capital" in found[0]


@pytest.mark.parametrize("spelling", ["Distrito Capital", "DISTRITO CAPITAL", "Caracas", "Distrito Federal", "distrito  capital"])
def test_state_names_match_folded_and_by_synonym(tmp_path, spelling):
    assert problems(tmp_path, state=spelling) == []


def test_estado_prefix_accents_and_la_guaira(tmp_path):
    assert problems(tmp_path, geometry=LOS_TEQUES, state="Estado Miranda") == []
    assert problems(tmp_path, geometry=(-66.85056, 10.61306), state="La Guaira") == []  # Caraballeda
    assert problems(tmp_path, geometry=(-72.275833, 7.645278), state="Tachira") == []


def test_unknown_state_name_warns_with_the_known_names_and_passes(tmp_path):
    path = write(tmp_path, collection(state="Caracas Metro"))
    found = places.location_problems(read_facilities(path), str(path))
    assert len(found) == 1 and found[0].warning
    assert "state: 'Caracas Metro' matches no state of VE; known names: Amazonas, Anzoátegui," in str(found[0])
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "Vargas (or La Guaira)" in result.stderr


def test_a_state_mismatch_is_for_validate_not_build(tmp_path):
    path = write(tmp_path, collection(geometry=HELICOIDE, state="Miranda"))
    assert len(read_facilities(path)) == 4
    result = CliRunner().invoke(main, ["build", str(path), "-o", str(tmp_path / "map.html"), "--no-timeline"])
    assert result.exit_code == 0, result.output


# --- the country of rows that do not give one ---

def _sites_csv(tmp_path, rows, header="name,state,lat,lon"):
    path = tmp_path / "sites.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


def _geocode(tmp_path, path, **kwargs):
    output = tmp_path / "out.geojson"
    options = GeocodeOptions(gazetteer=None, cache=tmp_path / "cache.sqlite", offline=True)
    summary = geocode_file(path, output, options, progress=False, **kwargs)
    return summary, [f["properties"] for f in json.loads(output.read_text("utf-8"))["features"]]


def test_a_row_without_a_country_gets_the_country_its_point_lies_in(tmp_path):
    path = _sites_csv(tmp_path, [("Helicoide", "Distrito Capital", HELICOIDE[1], HELICOIDE[0]),
                                 *US_SITES])
    assert read_locations(path)["country"].tolist() == [None] * 4  # never a silent default
    _, rows = _geocode(tmp_path, path)
    assert [row["country"] for row in rows] == ["VE", "US", "US", "US"]


def test_country_option_sets_every_row_and_the_row_comes_next(tmp_path):
    path = _sites_csv(tmp_path, [("A", 10.5, -66.9, "CO"), ("B", 10.5, -66.9, "")], header="name,lat,lon,country")
    assert read_locations(path)["country"].tolist() == ["CO", None]
    assert read_locations(path, country="ve")["country"].tolist() == ["VE", "VE"]


def test_a_row_without_a_country_or_a_point_is_named_with_the_fix(tmp_path):
    path = _sites_csv(tmp_path, [("Nowhere In Particular", "", "", "")])
    summary, rows = _geocode(tmp_path, path)
    assert rows == []  # not placed: set apart in out.unresolved.csv, with no country made up
    (unplaced,) = csv.DictReader(open(summary["unresolved_path"], encoding="utf-8", newline=""))
    assert unplaced["country"] == "" and "--country" in unplaced["reason"]
    reasons = " | ".join(summary["unresolved"][0]["reasons"])
    assert "no country" in reasons and "--country" in reasons
    path = _sites_csv(tmp_path, [("At Sea", "", 0.0, -30.0)])
    with pytest.raises(InputError) as error:
        _geocode(tmp_path, path)
    assert "sites.csv: row 2 (id=at_sea): country: none given and the point (-30, 0) lies in no country: " \
           "add a country column (ISO 3166-1 code, e.g. US) or pass --country" in str(error.value.problems[0])


def test_cli_geocode_has_no_venezuelan_default(tmp_path):
    path = _sites_csv(tmp_path, US_SITES)
    output = tmp_path / "out.geojson"
    result = CliRunner().invoke(main, ["geocode", str(path), "-o", str(output), "--offline", "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 0, result.output
    assert {f["properties"]["country"] for f in json.loads(output.read_text("utf-8"))["features"]} == {"US"}


@pytest.mark.skipif(not UCLA.is_file(), reason=f"{UCLA} is not on this machine")
def test_ucla_us_facilities_are_not_made_venezuelan(tmp_path):
    with UCLA.open(encoding="utf-8", newline="") as stream:
        located = [(row["Name"], row["State"], row["Latitude"], row["Longitude"]) for row in csv.DictReader(stream)
                   if row["Latitude"] not in ("", "NA") and row["Longitude"] not in ("", "NA")]
    assert len(located) > 1000
    _, rows = _geocode(tmp_path, _sites_csv(tmp_path, located))
    countries = [row["country"] for row in rows]
    assert "VE" not in countries
    assert countries.count("US") >= 0.95 * len(countries)
