"""Spanish all the way (issue 11, item 7): Spanish notes (``notes_es``) in the model, the exports,
the curated data and the Spanish page, which also shows the Spanish name and a metric-only scale."""

import json

import pytest
from click.testing import CliRunner

from geomap import frame as frames
from geomap.cli import main
from geomap.export import FORMATS, export_facilities, placemark_description, read_export
from geomap.load import read_facilities, read_locations
from geomap.render import detail_rows, DETAIL_FIELDS
from geomap.schema import FIELDS, validate_collection

from conftest import REPO

CURATED = REPO / "data/facilities.geojson"
SMALL = REPO / "tests/fixtures/small.geojson"


def _facility(**properties):
    base = {"id": "helicoide", "name": "El Helicoide", "name_en": "The Helix", "facility_type": "intelligence_hq",
            "country": "VE", "status": "open", "location_precision": "site",
            "location_source": "https://en.wikipedia.org/wiki/El_Helicoide",
            "notes": "Announced as a future cultural centre.", "notes_es": "Anunciado como futuro centro cultural."}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-66.9099, 10.4894]},
            "properties": {**base, **properties}}


def test_notes_es_is_a_documented_field_right_after_notes():
    assert FIELDS.index("notes_es") == FIELDS.index("notes") + 1
    assert validate_collection({"type": "FeatureCollection", "features": [_facility()]}) == []
    assert validate_collection({"type": "FeatureCollection", "features": [_facility(notes_es=None)]}) == []
    problems = validate_collection({"type": "FeatureCollection", "features": [_facility(notes_es=5)]})
    assert [problem.field for problem in problems] == ["notes_es"]


@pytest.mark.parametrize("fmt", [*FORMATS, "datapackage"])
def test_every_export_round_trips_notes_es(tmp_path, fmt):
    facilities = frames.from_features([_facility(), _facility(id="tumba", notes="Underground cells.", notes_es=None)])
    facilities.attrs["inputs"] = []
    out = tmp_path / f"facilities{FORMATS.get(fmt, '')}"
    export_facilities(facilities, fmt, out)
    read = read_export(out / "facilities.csv" if fmt == "datapackage" else out)
    assert read["notes_es"].tolist() == ["Anunciado como futuro centro cultural.", None]
    if fmt == "datapackage":  # described as the schema describes it
        fields = json.loads((out / "datapackage.json").read_text("utf-8"))["resources"][0]["schema"]["fields"]
        assert "Spanish" in next(field for field in fields if field["name"] == "notes_es")["description"]


def test_kml_popup_is_in_the_language_asked_for():
    properties = _facility()["properties"]
    assert "Anunciado como futuro centro cultural." in placemark_description(properties, "es")
    assert "Announced as a future cultural centre." not in placemark_description(properties, "es")
    assert "Announced as a future cultural centre." in placemark_description(properties, "en")
    # no Spanish notes: the Spanish popup falls back to the notes there are
    assert "Announced" in placemark_description({**properties, "notes_es": None}, "es")


def test_a_locations_csv_may_carry_spanish_notes(tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_text("Nombre;Ciudad;Notas;Notas_es\nEl Helicoide;Caracas;Helix;Hélice\n", "utf-8")
    facility = read_locations(path).iloc[0]
    assert (facility["notes"], facility["notes_es"]) == ("Helix", "Hélice")


def test_the_spanish_page_shows_spanish_notes_then_the_notes_there_are():
    facilities = frames.from_features([_facility(), _facility(id="tumba", notes="Underground cells.", notes_es=None)])
    notes = DETAIL_FIELDS.index("notes")
    assert [row[notes] for row in detail_rows(facilities, "es")] == ["Anunciado como futuro centro cultural.",
                                                                        "Underground cells."]
    assert [row[notes] for row in detail_rows(facilities, "en")] == ["Announced as a future cultural centre.",
                                                                        "Underground cells."]


def test_every_curated_note_has_its_spanish_translation():
    collection = json.loads(CURATED.read_text("utf-8"))
    missing = [f["properties"]["id"] for f in collection["features"]
               if f["properties"].get("notes") and not f["properties"].get("notes_es")]
    assert missing == []
    # a translation, not a copy of the English
    same = [f["properties"]["id"] for f in collection["features"]
            if f["properties"].get("notes") and f["properties"]["notes_es"] == f["properties"]["notes"]]
    assert same == []


@pytest.mark.browser
def test_the_spanish_page_shows_spanish_names_notes_and_a_metric_scale(offline_page, tmp_path):
    out = tmp_path / "mapa.html"
    result = CliRunner().invoke(main, ["build", str(CURATED), "-o", str(out), "--lang", "es", "--no-cluster"])
    assert result.exit_code == 0, result.output
    page = offline_page.open(out)
    helicoide = read_facilities(CURATED).set_index("id").loc["helicoide"]
    offline_page.reveal("helicoide")
    popup = page.wait_for_selector(".leaflet-popup-content .gm-popup")
    assert popup.eval_on_selector("h2", "h => h.textContent") == helicoide["name"]  # the Spanish name leads
    assert helicoide["notes_es"] in popup.inner_text() and helicoide["notes"] not in popup.inner_text()
    scale = page.eval_on_selector_all(".leaflet-control-scale-line", "lines => lines.map(l => l.textContent)")
    assert len(scale) == 1 and scale[0].endswith(("km", " m"))
    assert offline_page.errors == []


@pytest.mark.browser
def test_the_english_page_keeps_both_scales(offline_page, tmp_path):
    out = tmp_path / "map.html"
    assert CliRunner().invoke(main, ["build", str(SMALL), "-o", str(out)]).exit_code == 0
    page = offline_page.open(out)
    assert page.eval_on_selector_all(".leaflet-control-scale-line", "lines => lines.length") == 2
