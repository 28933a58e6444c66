"""Load and validate facilities: files in, the facilities GeoDataFrame out.

Facilities GeoJSON is read as a stream (:func:`read_facilities`): the file in chunks,
one feature decoded at a time, each batch checked and turned into frame columns before
the next is read, so neither the whole text nor all features as Python dicts are ever
held. Anything the stream does not expect (broken JSON, a top level that is not an
object with a ``features`` array) is read again whole, so errors read exactly as
``json`` words them (line and column).
"""

import codecs
import contextlib
import csv
import hashlib
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import frame as frames
from .cells import restore
from .errors import InputError
from .files import sha256_file
from .names import fold
from .schema import (
    LOCATION_FIELDS,
    MAX_DEPTH,
    PROVENANCE_KEY,
    FeatureChecker,
    Problem,
    collection_problems,
    provenance_problems,
    validate_collection,
    value_problems,
)

#: Bytes read at a time by the streaming reader (a feature may straddle two reads).
CHUNK_BYTES = 4 << 20
#: The largest file geomap reads whole (CSV, JSON, KML, GeoPackage, XLSX, and GeoJSON the stream
#: cannot read): its text, rows and parsed values take several times this in memory.
MAX_FILE_BYTES = 512 << 20
#: The most characters one feature (or other top-level member) of a streamed GeoJSON may hold.
MAX_JSON_VALUE_CHARS = 64 << 20
#: The most characters one CSV cell may hold (csv's own default, 128 Ki, is less than a long history).
MAX_CSV_FIELD_CHARS = 16 << 20


#: Byte-order marks of UTF-16 (little- and big-endian): the text behind one is UTF-16.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@contextlib.contextmanager
def _reading(name):
    """Turn OS errors while reading ``name`` into InputErrors that name the file and the fix."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{name}: no such file: check the path") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None


def text_codec(head):
    """The codec of text whose first bytes are ``head``: UTF-16 after its BOM, else UTF-8 (a BOM dropped).

    Bytes are never decoded with the locale, so a pipe reads the same under the C locale or cp1252.
    """
    return "utf-16" if head[:2] in UTF16_BOMS else "utf-8-sig"


#: The stdin stream last read and its copy on disk (one copy per stream: stdin can be read once).
_STDIN = {}


def local_path(path):
    """The file to read for ``path``: ``path`` itself, or for ``-`` a copy of stdin's bytes.

    Stdin is copied once, as bytes, into a temporary file removed when the process ends (or the
    next stdin is read), so every reader (streamed GeoJSON, zip, SQLite) can open it by name and
    read it again to word an error.
    """
    if str(path) != "-":
        return Path(path)
    stream = sys.stdin
    if _STDIN.get("stream") is not stream:
        copy = tempfile.NamedTemporaryFile(prefix="geomap-stdin-")  # deleted when closed or collected
        source = getattr(stream, "buffer", None)
        if source is None:  # a text stream without bytes under it (a notebook's): its text as UTF-8
            copy.write(stream.read().encode("utf-8"))
        else:
            shutil.copyfileobj(source, copy, CHUNK_BYTES)
        copy.flush()
        _STDIN.update(stream=stream, copy=copy)
    return Path(_STDIN["copy"].name)


def input_suffix(path):
    """The suffix that says how to read ``path``: its own, or for ``-`` the one stdin's first bytes show.

    Stdin: a zip is XLSX, an SQLite file GPKG; text starting ``{`` is GeoJSON, ``[`` JSON records,
    ``<`` KML, anything else CSV.
    """
    if str(path) != "-":
        return Path(str(path)).suffix.lower()
    with open(local_path(path), "rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx"
    if head.startswith(b"SQLite format 3\x00"):
        return ".gpkg"
    text = head.decode(text_codec(head), errors="ignore").lstrip()
    return {"{": ".geojson", "[": ".json", "<": ".kml"}.get(text[:1], ".csv")


def input_stem(path):
    """The name outputs derived from an input take: the file's stem, ``stdin`` for ``-``."""
    return "stdin" if str(path) == "-" else Path(str(path)).stem


def _too_big(name, size):
    return InputError(f"{name}: is {size / (1 << 20):,.0f} MiB, more than the {MAX_FILE_BYTES >> 20} MiB geomap reads "
                      "whole: split it into smaller files")


def check_size(path, name=None):
    """Raise InputError if ``path`` (``-``: stdin) is larger than :data:`MAX_FILE_BYTES` (or missing, unreadable)."""
    name = str(path) if name is None else name
    with _reading(name):
        local = local_path(path)
        size = local.stat().st_size
        if not local.is_file():
            raise IsADirectoryError
    if size > MAX_FILE_BYTES:
        raise _too_big(name, size)


def read_bytes(path, name=None):
    """The bytes of a file (``-``: stdin) of at most :data:`MAX_FILE_BYTES`, with errors that name the file and the fix."""
    name = str(path) if name is None else name
    check_size(path, name)
    with _reading(name):
        return local_path(path).read_bytes()


def read_text(path, kind="GeoJSON must be UTF-8 (RFC 7946)", name=None):
    """A UTF-8 text file (``-`` for stdin; a BOM is dropped; UTF-16 after its BOM) with errors that name the
    file and the fix.

    ``name`` is how messages call the file (default: ``path``).
    """
    name = str(path) if name is None else name
    data = read_bytes(path, name)
    codec = text_codec(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        label = "UTF-16, though it starts with UTF-16's byte-order mark" if codec == "utf-16" else "UTF-8"
        raise InputError(f"{name}: not {label} (byte {exc.start}): {kind}; re-save it as UTF-8") from None


def read_json(path, name=None):
    """Parse a JSON file (``-`` for stdin) with errors that name the file (or ``name``) and the fix.

    Nesting deeper than :data:`geomap.schema.MAX_DEPTH` is an error (nothing downstream recurses into it).
    """
    name = str(path) if name is None else name
    text = read_text(path, name=name)
    too_deep = f"{name}: JSON nested more than {MAX_DEPTH} levels deep: flatten it"
    try:
        with frames.gc_paused():
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:  # deeper than Python's parser follows
        raise InputError(too_deep) from None
    deep = next(value_problems(data, text=False), None)  # the only problem it looks for without text
    if deep is not None:
        raise InputError(f"{too_deep} (at {deep[0]})" if deep[0] else too_deep)
    return data


def csv_rows(text, name, delimiter=",", missing=()):
    """The rows of CSV ``text`` (cells restored, see :mod:`geomap.cells`), with errors that name ``name``.

    A cell may hold up to :data:`MAX_CSV_FIELD_CHARS` characters. A cell whose text (stripped,
    case-folded) is in ``missing`` becomes "", before it is restored: ``'-`` stays the text ``-``.
    """
    previous = csv.field_size_limit(MAX_CSV_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if missing:
            return [["" if cell.strip().casefold() in missing else restore(cell) for cell in row] for row in reader]
        return [[restore(cell) for cell in row] for row in reader]
    except csv.Error as exc:
        raise InputError(f"{name}: line {reader.line_num}: not readable CSV ({exc}): re-save it as CSV") from None
    finally:
        csv.field_size_limit(previous)


def raise_problems(problems, name):
    """Raise the InputError listing every problem of ``name``, if there is any."""
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise InputError(f"{name}: {len(problems)} {noun}; fix them and run again", problems)


def check_collection(collection, name, require_geometry=True):
    """Raise InputError listing every schema problem of a parsed FeatureCollection."""
    raise_problems(validate_collection(collection, name, require_geometry=require_geometry), name)
    return collection


class _NotStreamable(Exception):
    """The text is not what the stream expects (a JSON object with a ``features`` array)."""


class _JsonStream:
    """JSON values decoded one at a time from a UTF-8 (or BOM'd UTF-16) file read in chunks (SHA-256 kept on the way)."""

    _WHITESPACE = re.compile(r"[ \t\n\r]*")

    def __init__(self, handle, name):
        self.handle, self.name = handle, name
        self.sha256 = hashlib.sha256()
        self.decoder = None  # chosen by the first chunk's byte-order mark (text_codec)
        self.decode = json.JSONDecoder().raw_decode  # the C scanner json.loads uses
        self.buffer, self.pos, self.offset, self.eof = "", 0, 0, False

    def _more(self):
        """Append the next chunk, dropping what was consumed; False at the end of the file."""
        if self.eof:
            return False
        block = self.handle.read(CHUNK_BYTES)
        self.sha256.update(block)
        self.eof = not block
        if self.decoder is None:
            self.decoder = codecs.getincrementaldecoder(text_codec(block))()
        self.offset += self.pos
        self.buffer = self.buffer[self.pos:] + self.decoder.decode(block, final=self.eof)
        self.pos = 0
        return not self.eof

    def char(self):
        """The next character that is not whitespace (consumed); "" at the end of the file."""
        while True:
            self.pos = self._WHITESPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                self.pos += 1
                return self.buffer[self.pos - 1]
            if not self._more():
                return ""

    def value(self):
        """The next JSON value (whitespace before it skipped)."""
        if not self.char():
            raise _NotStreamable
        self.pos -= 1
        failed = None
        while True:
            try:
                value, end = self.decode(self.buffer, self.pos)
                if end < len(self.buffer) or self.eof:  # a number at the end may go on in the next chunk
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                # more text fixes a value cut by the chunk's end; the same error again is a real one
                # (and the whole-file reader, bounded by MAX_FILE_BYTES, words it)
                if self.eof or failed == (exc.msg, self.offset + exc.pos):
                    raise _NotStreamable from None
                failed = (exc.msg, self.offset + exc.pos)
            if len(self.buffer) - self.pos > MAX_JSON_VALUE_CHARS:
                raise InputError(f"{self.name}: the value at character {self.offset + self.pos:,} is longer than "
                                 f"{MAX_JSON_VALUE_CHARS:,} characters: no facility is that large; check the file")
            self._more()

    def collection(self, members):
        """Yield the features of a top-level JSON object; its other members go into ``members``."""
        if self.char() != "{":
            raise _NotStreamable
        char = self.char()
        while char != "}":
            if char != '"' or "features" in members:  # a repeated "features": json keeps the last
                raise _NotStreamable
            self.pos -= 1
            key = self.value()
            if self.char() != ":":
                raise _NotStreamable
            if key == "features":
                members[key] = []  # a list, for collection_problems
                yield from self._array()
            else:
                members[key] = self.value()
            char = self.char()
            if char == ",":
                char = self.char()
            elif char != "}":
                raise _NotStreamable
        if self.char() != "":
            raise _NotStreamable

    def _array(self):
        if self.char() != "[":
            raise _NotStreamable
        char = self.char()
        if char == "]":
            return
        if not char:
            raise _NotStreamable
        self.pos -= 1
        while True:
            yield self.value()
            char = self.char()
            if char == "]":
                return
            if char != ",":
                raise _NotStreamable




def read_facilities(path, require_geometry=True, check_locations=True):
    """Read and validate a facilities GeoJSON file (``-`` for stdin) into the facilities GeoDataFrame.

    Streams the file (see the module docstring). Raises :class:`InputError` carrying
    every problem found; nothing is returned half-valid. ``frame.attrs["inputs"]``
    records the file and its SHA-256. With ``check_locations``, a point outside the
    country its record declares (swapped lon/lat, say) is a problem too
    (:func:`geomap.places.location_problems`; the state check is ``geomap validate``'s).
    """
    name = str(path)
    try:
        with _reading(name), open(local_path(path), "rb") as handle:
            stream, members = _JsonStream(handle, name), {}
            checker = FeatureChecker(name, require_geometry)
            facilities = frames.from_features(stream.collection(members), checker)
    except (_NotStreamable, UnicodeDecodeError, RecursionError):
        facilities = facilities_from(check_collection(read_json(path, name), name, require_geometry), path)
        return check_countries(facilities, name, check_locations)
    problems = collection_problems(members, name) or checker.problems
    if PROVENANCE_KEY in members:
        problems = problems + provenance_problems(members[PROVENANCE_KEY], name)
    raise_problems(problems, name)
    sha256 = None if name == "-" else stream.sha256.hexdigest()
    return check_countries(_with_provenance(facilities, members, {"path": name, "sha256": sha256}), name, check_locations)


def check_countries(facilities, name, check=True):
    """``facilities``, once every point lies in its declared country (when ``check``; warnings are validate's).

    Raises :class:`InputError` naming each point outside its country (see :mod:`geomap.places`).
    """
    if check:
        from .places import location_problems

        raise_problems([problem for problem in location_problems(facilities, name, states=False) if not problem.warning], name)
    return facilities


def facilities_from(collection, path):
    """The facilities GeoDataFrame of a checked FeatureCollection read from ``path``.

    Records the file in ``attrs["inputs"]`` and, when the collection is a geomap export,
    restores its ``attrs["national_totals"]`` from the provenance member.
    """
    return _with_provenance(frames.from_features(collection["features"]), collection, input_record(path))


def _with_provenance(facilities, collection, record):
    """``facilities`` with the input ``record``, and from the ``geomap`` member the national totals of a
    geomap export and the dataset's primary counting organisation (``primary_counted_by``), in its attrs.

    Every caller has checked the provenance (:func:`geomap.schema.provenance_problems`) first.
    """
    facilities.attrs["inputs"] = [record]
    provenance = collection.get(PROVENANCE_KEY)
    if isinstance(provenance, dict):
        for key in ("national_totals", "primary_counted_by"):
            if provenance.get(key) is not None:
                facilities.attrs[key] = provenance[key]
    return facilities


def input_record(path):
    """Provenance of one input file: its path and SHA-256 (stdin has no hash)."""
    if str(path) == "-":
        return {"path": "-", "sha256": None}
    return {"path": str(path), "sha256": sha256_file(path)}


#: Text columns a locations CSV may carry into the facility (any other column is ignored).
LOCATION_COLUMNS = ("id", "name", "name_en", "facility_type", "operator", "address", "city", "state",
                    "country", "status", "location_precision", "location_source", "location_as_of", "notes", "notes_es")
#: Headers (folded, spaces as "_"; any case and accents) a locations table may use for each column,
#: Spanish ones included.
LOCATION_HEADERS = {column: (column,) for column in LOCATION_COLUMNS} | {
    "name": ("name", "nombre", "centro", "establecimiento", "facility", "facility_name", "nombre_del_centro"),
    "address": ("address", "direccion", "domicilio"),
    "city": ("city", "ciudad", "localidad", "poblacion", "town"),
    "state": ("state", "estado", "entidad", "entidad_federal", "province", "provincia"),
    "country": ("country", "pais", "country_code", "codigo_pais"),
    "notes": ("notes", "notas", "observaciones"),
    "notes_es": ("notes_es", "notas_es", "observaciones_es"),
    "aliases": ("aliases", "alias", "otros_nombres"),
    "lat": ("lat", "latitude", "latitud"),
    "lon": ("lon", "lng", "long", "longitude", "longitud"),
}
#: Weaker headers, taken only when no header above names the column: a municipality is the
#: city when there is no city column; x/y are lon/lat when nothing says lat/lon.
LOCATION_FALLBACK_HEADERS = {"city": ("municipio", "municipality", "county_seat"), "lat": ("y",), "lon": ("x",)}
#: Every header a locations column may have, strong or weak: what finds the header row.
_ANY_LOCATION_HEADERS = {column: titles + LOCATION_FALLBACK_HEADERS.get(column, ())
                         for column, titles in LOCATION_HEADERS.items()}
#: A locations table's header names a facility and something that places it.
LOCATION_NEEDS = ({"name"}, {"address", "city", "state", "country", "lat", "lon"})


def read_locations(path, country=None, header_row=None):
    """Facilities to geocode: a facilities GeoJSON (geometry may be null), a CSV or an XLSX (``-``: stdin).

    CSV: one facility per row, a ``name`` column, optionally ``id``, ``address``,
    ``city``, ``state``, ``country``, ``lat``/``lon`` and the other text fields of
    the data model (``aliases`` separated by ``;``). Headers match in any case and
    with the usual synonyms (:data:`LOCATION_HEADERS`: ``Name``, ``Latitude``/``Longitude``,
    ``lng``, ``Nombre;Ciudad;Estado;País``; ``Municipio`` and ``x``/``y`` when nothing
    better is there); title rows above the header are skipped, or ``header_row`` names
    it (:func:`geomap.counts.read_table`). Spanish Excel habits are fine: comma, semicolon
    or tab; UTF-8 (BOM or not), UTF-16 with its BOM, or cp1252; decimal commas in
    coordinates; ``NA``, ``N/A``, ``-`` for no value. Missing required fields get honest
    defaults: ``facility_type`` "other", ``status`` "unknown", ``id`` a unique slug of the
    name. ``country`` (an ISO code), when given, is every row's country; otherwise a row
    keeps its own or has none, never a guessed one: geocoding takes it from the point.
    Every bad row is reported (row, id, field) and nothing is returned half-valid.
    ``attrs["rows"]`` holds each facility's row number in the file.
    """
    suffix = input_suffix(path)
    if suffix in (".geojson", ".json"):
        return read_facilities(path, require_geometry=False)
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        raise InputError(f"{path}: expected a .csv, .xlsx or .geojson file")
    from .counts import cell_text, map_header, read_table

    header, records = read_table(path, None, header_row, _ANY_LOCATION_HEADERS, LOCATION_NEEDS)
    columns = map_header(path, header, LOCATION_HEADERS, LOCATION_FALLBACK_HEADERS)
    if "name" not in columns.values():
        raise InputError(f"{path}: no 'name' column: the header names the columns, e.g. name,city,state "
                         "(or Nombre;Ciudad;Estado); if the header is lower down, give its row number with --header-row N")
    features, lines, problems = [], [], []
    for line, row in records:
        values = {column: cell_text(row, index) for index, column in columns.items() if cell_text(row, index)}
        if not values:
            continue
        properties = {key: values[key] for key in LOCATION_COLUMNS if key in values}
        properties["aliases"] = [alias.strip() for alias in values.get("aliases", "").split(";") if alias.strip()]
        properties.setdefault("facility_type", "other")
        properties.setdefault("status", "unknown")
        if country or "country" in properties:
            properties["country"] = (country or properties["country"]).upper()
        geometry = None
        if "lat" in values or "lon" in values:
            try:
                geometry = {"type": "Point", "coordinates": [_degrees(values["lon"]), _degrees(values["lat"])]}
            except (KeyError, ValueError):
                problems.append(Problem(f"{path}: row {line}", None, None, "lat/lon",
                                        "give both lat and lon as decimal degrees, or leave both empty"))
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        lines.append(line)
    _assign_ids([feature["properties"] for feature in features])
    collection = {"type": "FeatureCollection", "features": features}
    for problem in validate_collection(collection, str(path), require_geometry=False):
        if problem.field in LOCATION_FIELDS and features[problem.index]["properties"].get(problem.field) is None:
            continue  # geocoding fills these in (coordinates given without them become "approximate")
        where = f"{path}: row {lines[problem.index]}" + (f" (id={problem.id})" if problem.id else "")
        problems.append(Problem(where, None, None, problem.field, problem.message))
    if problems:
        raise InputError(f"{path}: {len(problems)} bad rows or values; fix them and run again", problems)
    facilities = facilities_from(collection, path)
    facilities.attrs["rows"] = lines
    return facilities


def _degrees(text):
    """Decimal degrees from a cell, with a decimal point or (Spanish Excel) a decimal comma."""
    return float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)


def _assign_ids(records):
    """Give rows without an id a slug of their name, unique in the file (``name``, ``name_2``...)."""
    taken = {record["id"] for record in records if record.get("id")}
    for record in records:
        if not record.get("id") and record.get("name"):
            record["id"] = unique_slug(record["name"], taken)


def unique_slug(text, taken):
    """A facility id from ``text`` ("Cárcel de X" -> ``carcel_de_x``, at most 60 characters) not in
    ``taken`` (``_2``, ``_3``... appended), added to ``taken``: the same inputs always give the same id."""
    base = "_".join(fold(text).split())[:60] or "facility"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    taken.add(candidate)
    return candidate
