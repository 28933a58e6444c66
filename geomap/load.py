"""Load and validate facilities: files in, the facilities GeoDataFrame out."""

import json
import sys
from pathlib import Path

from . import frame as frames
from .errors import InputError
from .files import sha256_file
from .schema import validate_collection


def read_json(path):
    """Parse a JSON file (``-`` for stdin) with errors that name the file and the fix."""
    name = str(path)
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file: check the path") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 (byte {exc.start}): GeoJSON must be UTF-8 (RFC 7946); re-save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def check_collection(collection, name, require_geometry=True):
    """Raise InputError listing every schema problem of a parsed FeatureCollection."""
    problems = validate_collection(collection, name, require_geometry=require_geometry)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise InputError(f"{name}: {len(problems)} {noun}; fix them and run again", problems)
    return collection


def read_facilities(path, require_geometry=True):
    """Read and validate a facilities GeoJSON file into the facilities GeoDataFrame.

    Raises :class:`InputError` carrying every problem found; nothing is returned
    half-valid. ``frame.attrs["inputs"]`` records the file and its SHA-256.
    """
    collection = check_collection(read_json(path), str(path), require_geometry)
    facilities = frames.from_features(collection["features"])
    facilities.attrs["inputs"] = [input_record(path)]
    return facilities


def input_record(path):
    """Provenance of one input file: its path and SHA-256 (stdin has no hash)."""
    if str(path) == "-":
        return {"path": "-", "sha256": None}
    return {"path": str(path), "sha256": sha256_file(path)}
