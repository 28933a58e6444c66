"""examples/ and the README's Use section: every command there runs as written from a fresh clone."""

import csv
import json
import re
import shlex
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geomap.cli import default_output, main
from geomap.load import read_locations

from conftest import REPO


def test_a_sites_csv_saved_by_spanish_excel_is_read(tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_bytes("Nombre;Ciudad;Estado;Latitud;Longitud\r\nRetén de Caraballeda;Caraballeda;La Guaira;;\r\n"
                     "Cárcel X;Maturín;Monagas;9,75;-63,18\r\n".encode("cp1252"))
    facilities = read_locations(path)
    first, second = facilities.to_dict("records")
    assert (first["name"], first["city"], first["state"]) == ("Retén de Caraballeda", "Caraballeda", "La Guaira")
    assert facilities.geometry.iloc[0] is None
    assert (second["name"], facilities.geometry.iloc[1].x, facilities.geometry.iloc[1].y) == ("Cárcel X", -63.18, 9.75)


def use_commands():
    """Every ``geomap …`` line of the README's "Use" section, as argument lists (comments dropped)."""
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```sh\n")[1:]]
    return [shlex.split(line, comments=True) for block in blocks for line in block.splitlines()
            if line.startswith("geomap ")]


COMMANDS = use_commands()


def test_the_use_section_has_the_commands_to_run():
    assert {command[1] for command in COMMANDS} >= {"validate", "build", "embed", "snapshot", "geocode", "join", "add", "export"}


@pytest.fixture
def clone(tmp_path, monkeypatch):
    """A folder laid out like a fresh clone (data/, examples/), as the current folder; a private geocode cache."""
    for folder in ("data", "examples"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def needs_chromium(command):
    return "snapshot" in command or "--png" in command


@pytest.mark.parametrize("command", [
    pytest.param(command, id=" ".join(command), marks=[pytest.mark.browser] if needs_chromium(command) else [])
    for command in COMMANDS])
def test_every_use_command_runs_as_written(command, clone, request, monkeypatch):
    if needs_chromium(command):
        request.getfixturevalue("browser")  # skips without chromium (fails under GEOMAP_REQUIRE_BROWSER=1)
        # its own process: Playwright's sync API cannot start twice in the thread the browser fixture uses
        done = subprocess.run([sys.executable, "-m", "geomap", *command[1:]], capture_output=True, text=True,
                              env=os.environ | {"PYTHONPATH": str(REPO)}, timeout=120)
        exit_code, output = done.returncode, done.stderr
    elif "--since" in command:  # reads this repository's own git history: run it in the checkout
        if not (REPO / ".git").exists():
            pytest.skip("not a git checkout (an unpacked sdist): --since needs the repository's history")
        monkeypatch.chdir(REPO)
        result = CliRunner().invoke(main, command[1:])
        exit_code, output = result.exit_code, result.output
    else:
        result = CliRunner().invoke(main, command[1:])
        exit_code, output = result.exit_code, result.output
    assert exit_code == 0, f"{' '.join(command)}:\n{output}"


def test_a_map_in_another_language_gets_its_own_default_name(clone):
    runner = CliRunner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    english = (clone / "output" / "map.html").read_text("utf-8")
    result = runner.invoke(main, ["build", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert (clone / "output" / "map.html").read_text("utf-8") == english
    assert "<title>Centros de detención" in (clone / "output" / "map.es.html").read_text("utf-8")
    assert "output/map.es.html: " in result.stderr


def test_build_says_what_it_joined_in_words(clone):
    result = CliRunner().invoke(main, ["build", "--no-timeline"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^joined \d+ rows of data/counts\.csv: \d+ matched facilities by id, \d+ nationwide totals$",
                     result.stderr, re.M), result.stderr


def test_the_example_report_matches_curated_facilities_under_other_names(clone):
    result = CliRunner().invoke(main, ["join", "data/facilities.geojson", "examples/report.csv", "-o", "output/j.geojson"])
    assert result.exit_code == 0, result.output
    report = list(csv.DictReader(open(clone / "output" / "j.matches.csv", encoding="utf-8")))
    assert "unmatched" not in {row["method"] for row in report} and "fuzzy" in {row["method"] for row in report}
    assert [row["chosen_id"] for row in report if row["input_name"] == "Helicoide del SEBIN"] == ["helicoide"]


def test_the_example_sites_are_all_placed_offline_some_by_the_gazetteer(clone):
    result = CliRunner().invoke(main, ["geocode", "examples/sites.csv", "--offline"])
    assert result.exit_code == 0, result.output
    features = json.loads((clone / "output" / "sites.geojson").read_text("utf-8"))["features"]
    steps = {feature["properties"]["name"]: feature["properties"]["geocoding"]["step"] for feature in features}
    assert steps["Helicoide"] == "gazetteer" and "locality" in steps.values()
    assert all(feature["geometry"] for feature in features)


def test_the_example_additions_enrich_nothing_twice_and_add_two_prisons(clone):
    result = CliRunner().invoke(main, ["add", "examples/additions.csv", "--to", "data/facilities.geojson", "--offline",
                                       "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "matched row 2 'Cárcel de Tocuyito' -> tocuyito (name)" in result.stderr
    assert "would add 2 facilities to data/facilities.geojson:" in result.stderr
    assert "internado_judicial_de_barinas_barinas" in result.stderr and "comunidad_penitenciaria_fenix_lara_lara" in result.stderr
    assert "would add 0 dated rows to data/counts.csv: 0 figures, 0 status events; 1 already in the dataset" in result.stderr
    assert (clone / "data/facilities.geojson").read_bytes() == (REPO / "data/facilities.geojson").read_bytes()


def test_the_previous_release_is_an_export_the_bulletin_compares_with_today(clone):
    collection = json.loads((clone / "examples" / "facilities-previous.geojson").read_text("utf-8"))
    assert len(collection["features"]) == 23 and collection["geomap"]["national_totals"]
    assert [item["path"] for item in collection["geomap"]["inputs"]] == ["data/facilities.geojson", "data/counts.csv"]
    result = CliRunner().invoke(main, ["diff", "examples/facilities-previous.geojson", "data/facilities.geojson", "--json"])
    assert result.exit_code == 0, result.output
    bulletin = json.loads(result.stdout)
    assert {facility["id"] for facility in bulletin["added"]} >= {"yare_ii", "yare_iii"}
    assert not bulletin["removed"]


def test_default_output_names_carry_the_language_unless_english():
    assert [default_output("en", ".html"), default_output("es", ".html"), default_output("es", ".png")] == [
        "output/map.html", "output/map.es.html", "output/map.es.png"]
