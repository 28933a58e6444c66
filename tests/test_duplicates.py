"""Probable duplicate facilities: `validate` warns (one line each, exit 0; --strict fails)."""

import copy
import json

from click.testing import CliRunner

from geomap.cli import main
from geomap.load import read_facilities
from geomap.names import probable_duplicates

from conftest import REPO

CURATED = REPO / "data/facilities.geojson"


def curated_with(tmp_path, *extra):
    """The curated collection plus ``extra`` features (each a copy of a curated one, renamed, moved east)."""
    data = json.loads(CURATED.read_text("utf-8"))
    by_id = {feature["properties"]["id"]: feature for feature in data["features"]}
    for base_id, properties, shift in extra:
        feature = copy.deepcopy(by_id[base_id])
        for names in ("name_en", "aliases"):
            feature["properties"].pop(names, None)
        feature["properties"].update(properties)
        lon, lat = feature["geometry"]["coordinates"]
        feature["geometry"]["coordinates"] = [lon + shift, lat]
        data["features"].append(feature)
    path = tmp_path / "merged.geojson"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_the_curated_data_has_no_probable_duplicates():
    # several facilities share a town point there (Yare, Yare II, Yare III; Rodeo I and II): distinct names
    assert probable_duplicates(read_facilities(CURATED)) == []
    result = CliRunner().invoke(main, ["validate", str(CURATED)])
    assert result.exit_code == 0 and "duplicate" not in result.stderr


def test_a_variant_name_in_the_same_state_is_a_probable_duplicate(tmp_path):
    path = curated_with(tmp_path, ("tocuyito", {"id": "carcel_tocuyito", "name": "Cárcel de Tocuyito"}, 0.0))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "duplicate" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"warning: {path}: feature ")
    for words in ("(id=carcel_tocuyito)", "(id=tocuyito)", 'same name "tocuyito" in Carabobo',
                  "merge them, or add one name to the other's aliases if they are the same facility"):
        assert words in lines[0]
    strict = CliRunner().invoke(main, ["validate", "--strict", str(path)])
    assert strict.exit_code == 1 and "error: " in strict.stderr and "carcel_tocuyito" in strict.stderr


def test_the_same_name_in_another_state_is_not_a_duplicate(tmp_path):
    path = curated_with(tmp_path, ("tocoron", {"id": "tocuyito_aragua", "name": "Cárcel de Tocuyito"}, 0.0))
    assert probable_duplicates(read_facilities(path)) == []


def test_near_points_with_alike_names_are_probable_duplicates(tmp_path):
    # 0.0001 degrees of longitude at Caracas: about 11 m; a typo the name rule does not catch
    path = curated_with(tmp_path, ("helicoide", {"id": "helicoid", "name": "Helicoide de la Roca Tarpeyaa"}, 0.0001))
    [duplicate] = probable_duplicates(read_facilities(path))
    assert (duplicate.first_id, duplicate.second_id) == ("helicoide", "helicoid")
    assert duplicate.reason.startswith("11 m apart, names ") and duplicate.reason.endswith("% alike")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0 and "11 m apart" in result.stderr


def test_near_points_with_other_names_or_numbers_are_distinct(tmp_path):
    path = curated_with(tmp_path, ("helicoide", {"id": "otro", "name": "Comando de Zona 43 de la GNB"}, 0.0001),
                        ("rodeo_ii", {"id": "rodeo_iv", "name": "Internado Judicial Rodeo IV"}, 0.0001))
    assert probable_duplicates(read_facilities(path)) == []


def test_validate_caps_the_warnings_it_prints_and_says_how_many_more(tmp_path):
    extra = [("tocuyito", {"id": f"carcel_tocuyito_{n}", "name": "Cárcel de Tocuyito"}, n / 1000) for n in range(5)]
    path = curated_with(tmp_path, *extra)
    capped = CliRunner().invoke(main, ["validate", "--max-warnings", "2", str(path)])
    assert capped.exit_code == 0, capped.output
    lines = capped.stderr.splitlines()
    assert sum("duplicate" in line for line in lines) == 2
    assert f"warning: {path}: 3 more warnings not shown; --max-warnings 0 lists them all" in lines
    every = CliRunner().invoke(main, ["validate", "--max-warnings", "0", str(path)])
    assert sum("duplicate" in line for line in every.stderr.splitlines()) == 5
    assert "more warnings not shown" not in every.stderr
