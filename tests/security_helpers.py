"""Shared by the tests/test_security_*.py modules: hostile inputs meet the CLI and the readers."""

import copy
import json
from pathlib import Path

from click.testing import CliRunner

from geomap.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "tests" / "fixtures" / "small.geojson"
TOTAL = {"country": "VE", "detainees": 863, "qualifier": "exact", "as_of": "2026-01-19",
         "source": "https://foropenal.com/", "counted_by": "Foro Penal", "note": None}


def small_collection():
    """The small fixture as a fresh dict, to be tampered with."""
    return copy.deepcopy(json.loads(SMALL.read_text("utf-8")))


def write_json(path, value):
    path.write_text(json.dumps(value), "utf-8")  # ASCII: a lone surrogate travels as its \u escape
    return path


def cli_fails(args, exit_code=1):
    """Run the CLI expecting it to refuse: return stderr's lines, each one ``error: ...`` (no traceback)."""
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code == exit_code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.output
    return lines


def cli_runs(args):
    """Run the CLI expecting success; return the result."""
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result
