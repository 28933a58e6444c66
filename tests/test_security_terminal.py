"""Hostile text in ids, names and server answers reaches the terminal escaped, never obeyed.

Payloads: ESC [2J clears the screen; OSC 52 (ESC ] 52 ; c ; base64 BEL) sets the
clipboard; U+202E reverses the rest of the line; a fake "valid" after a carriage
return overwrites what came before. Files keep the text as it was given.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_geocode_online import USER_AGENT, write_csv
from werkzeug import Response

from geomap.cli import main
from geomap.text import printable

FIXTURES = Path(__file__).parent / "fixtures"
CLEAR, CLIPBOARD, REVERSE = "\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\u202e"
HOSTILE = f"Evil{CLEAR}{CLIPBOARD}{REVERSE}gnp.exe\r valid"
RAW = ("\x1b", "\x07", "\u202e", "\r")


def assert_escaped(output):
    """Nothing a terminal obeys got through; the escapes show what was there."""
    assert not any(char in output for char in RAW), repr(output)
    assert r"\x1b[2J" in output and r"\x1b]52;c;ZXZpbA==\x07" in output and r"\u202e" in output


@pytest.mark.parametrize("text, shown", [
    ("plain Tocorón, 中文 and emoji 🚩", "plain Tocorón, 中文 and emoji 🚩"),
    ("a\tb\nc\x00\x7f\x85\x9b", r"a\x09b\x0ac\x00\x7f\x85\x9b"),
    ("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
     r"\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    ("lone \ud800 surrogate", r"lone \ud800 surrogate"),
])
def test_printable_escapes_exactly_the_unsafe_characters(text, shown):
    assert printable(text) == shown


def hostile_facilities(tmp_path):
    collection = json.loads((FIXTURES / "small.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["properties"] |= {"id": HOSTILE, "name": HOSTILE}
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def test_validate_problems_are_escaped(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(hostile_facilities(tmp_path))])
    assert result.exit_code == 1
    assert_escaped(result.output)


def test_join_reports_are_escaped_on_the_terminal_but_not_in_the_files(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text(f"facility,detainees,as_of,source\n\"{HOSTILE}\",5,2026-01,https://example.org/x\n", encoding="utf-8")
    output = tmp_path / "joined.geojson"
    result = CliRunner().invoke(main, ["join", str(FIXTURES / "small.geojson"), str(counts), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert_escaped(result.output)
    report = (tmp_path / "joined.matches.csv").read_text(encoding="utf-8")
    assert CLEAR in report  # the match report keeps the data as it came


def test_geocode_summary_is_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    csv_path = write_csv(tmp_path / "rows.csv", [{"name": HOSTILE.replace("\r", "")}])
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "--offline", "-o", str(tmp_path / "out.geojson"),
                                       "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and r"\x1b[2J" in result.output and r"\u202e" in result.output


def test_server_text_is_escaped(tmp_path, nominatim, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nominatim.script.append(Response(json.dumps({"error": HOSTILE}), status=200, content_type="application/json"))
    csv_path = write_csv(tmp_path / "rows.csv", [{"name": "Rodeo"}])
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", str(tmp_path / "out.geojson"), "--cache",
                                       str(tmp_path / "c.sqlite"), "--geocoder-url", nominatim.url, "--user-agent", USER_AGENT])
    assert result.exit_code == 2, result.output
    assert_escaped(result.output)


def test_build_lists_unlocated_names_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    csv_path = write_csv(tmp_path / "rows.csv", [{"name": HOSTILE.replace("\r", ""), "state": "Miranda", "country": "VE"},
                                                 {"name": "Nowhere " + CLEAR}])
    result = CliRunner().invoke(main, ["build", str(csv_path), "--geocode", "--offline", "--no-timeline", "-o",
                                       str(tmp_path / "map.html"), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and "not on the map, no location found: Nowhere \\x1b[2J" in result.output


def test_errors_are_escaped(tmp_path):
    path = tmp_path / f"broken{CLEAR}.geojson"
    path.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and r"broken\x1b[2J.geojson" in result.output


def test_every_cli_message_goes_through_say():
    """A new message printed with click.echo(..., err=True) would skip the escaping."""
    import geomap.cli

    source = Path(geomap.cli.__file__).read_text(encoding="utf-8")
    assert source.count("err=True") == 1  # the one inside say()
