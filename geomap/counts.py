"""Read detainee-count files (CSV, XLSX, JSON) into one table of checked, normalized rows.

Reports arrive as Spanish Excel exports, hand-made CSVs and JSON dumps. :func:`read_counts`
accepts them all and returns a DataFrame with one row per input row and the columns of
:data:`COLUMNS`: ``row`` (the spreadsheet row number, header = 1), ``facility`` (as written),
``state``, ``detainees`` (int or None), ``qualifier``, ``as_of``, ``source``, ``counted_by`` (who
counted the figure: a slug of :mod:`geomap.organisations`, other text as written, None if not said),
``status``, ``status_date`` and ``note`` (ISO dates; ``YYYY-MM`` when only a month is known).
``attrs["counted_by_column"]`` says whether the file had a counted_by column at all.

Every problem names the file, the row and the fix; all of them are reported at once and no
rows are returned from a file with any problem. See docs/join.md for the accepted headers.
"""

import datetime as dt
import itertools
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from .errors import InputError
from .load import check_size, csv_rows, input_suffix, local_path, read_bytes, read_json, text_codec
from .names import fold
from .organisations import canonical_counted_by
from .schema import MAX_DETAINEES, STATUSES, future_problem, is_date, is_http_url, text_problem

COLUMNS = ("row", "facility", "state", "detainees", "qualifier", "as_of", "source", "counted_by", "status", "status_date",
           "note")
QUALIFIERS = ("exact", "about", "at_least", "up_to")

#: Accepted headers (folded: lower case, no accents, spaces as "_") for each column.
HEADERS = {
    "facility": ("facility", "facility_id", "id", "name", "establecimiento", "centro", "instalacion",
                 "centro_de_reclusion", "centro_de_detencion", "nombre", "lugar"),
    "state": ("state", "entidad", "entidad_federal", "provincia"),
    "detainees": ("detainees", "count", "detenidos", "presos", "presos_politicos", "detenidos_politicos",
                  "cantidad", "cifra"),
    "qualifier": ("qualifier", "calificador"),
    "as_of": ("as_of", "date", "fecha", "fecha_cifra"),
    "source": ("source", "url", "fuente", "enlace"),
    "counted_by": ("counted_by", "organisation", "organization", "organizacion", "organisation_counting",
                   "contabilizado_por", "contado_por", "contabilizada_por", "fuente_organizacion",
                   "organizacion_fuente", "quien_contabiliza", "ong"),
    "status": ("status", "estado", "estatus", "situacion"),
    "status_date": ("status_date", "fecha_estado", "fecha_estatus"),
    "note": ("note", "notes", "nota", "notas", "observaciones", "observacion", "comentario", "comentarios"),
}

#: Columns a counts file must have to be one: a facility, and a figure or a status. The header is
#: the first row that names them (see :func:`read_table`).
NEEDED = ({"facility"}, {"detainees", "status"})
#: Said when a header lacks a needed column: perhaps the header is another row.
HEADER_ROW_HINT = "; if the header is lower down, give its row number with --header-row N"
#: Rows searched for the header below a report's title rows.
HEADER_SEARCH_ROWS = 30
#: Cells that mean "no value" (as typed, any case): R's and Excel's NA, and the dash of a hand-made
#: table. A cell geomap wrote as ``'-`` (see :mod:`geomap.cells`) is the text "-", not this.
MISSING = frozenset({"na", "n/a", "#n/a", "-"})

#: Spanish and English words for qualifiers and statuses, folded.
QUALIFIER_WORDS = {
    "exact": ("exact", "exacto", "exacta"),
    "about": ("about", "approximately", "around", "aprox", "aproximado", "aproximadamente", "cerca de",
              "alrededor de", "unos", "unas", "ca", "~"),
    "at_least": ("at least", "at_least", "more than", "over", "al menos", "por lo menos", "mas de", "minimo",
                 ">", ">=", "≥"),
    "up_to": ("up to", "up_to", "as many as", "hasta", "maximo", "<=", "≤"),
}
STATUS_WORDS = {
    "open": ("open", "abierto", "abierta", "activo", "activa", "operativo", "en funcionamiento"),
    "announced_closure": ("announced closure", "announced_closure", "cierre anunciado", "anuncio de cierre",
                          "por cerrar"),
    "closed": ("closed", "cerrado", "cerrada", "clausurado", "clausurada"),
    "unknown": ("unknown", "desconocido", "sin informacion"),
}
_QUALIFIER_OF = {fold(word) or word: name for name, words in QUALIFIER_WORDS.items() for word in words}
_STATUS_OF = {fold(word): name for name, words in STATUS_WORDS.items() for word in words}
_FIGURE = re.compile(r"(?P<words>[^\d-]*?)\s*(?P<number>-?\d[\d.,\s]*)")
#: The largest first sheet of an XLSX geomap reads, as the workbook declares it and as found.
MAX_XLSX_ROWS = 100_000
MAX_XLSX_COLUMNS = 200
#: The most an XLSX (a zip of XML files) may unpack to: a few KB can claim gigabytes.
MAX_XLSX_UNPACKED_BYTES = 256 << 20


def read_counts(path, encoding=None, header_row=None):
    """Read a counts file (``-``: stdin) into the normalized DataFrame described in the module docstring.

    The format follows the suffix (stdin: its first bytes): ``.xlsx``/``.xlsm`` (first sheet),
    ``.json`` (a list of objects), anything else CSV — comma, semicolon or tab (whichever the
    header uses), UTF-8 with or without BOM, UTF-16 with its BOM (Excel's "Unicode text"), else
    cp1252 (Excel's "CSV" on Windows). ``encoding`` forces one. Title rows above the header are
    skipped (see :func:`read_table`; ``header_row`` names it). ``NA``, ``N/A``, ``-`` are empty.
    Raises :class:`InputError` for a missing, empty, header-only or invalid file.
    """
    name = str(path)
    header, records = read_table(path, encoding, header_row, HEADERS, NEEDED)
    columns = _count_columns(name, header)
    if not records:
        raise InputError(f"{name}: has a header but no rows: add one row per dated figure or status event")
    rows, problems = [], []
    for number, values in records:
        raw = {column: cell_text(values, index) for index, column in columns.items()}
        if not any(raw.values()):
            continue
        try:
            rows.append(_check_row(raw, number))
        except ValueError as exc:
            problems.append(f"{name}: row {number}: {exc}")
    if problems:
        raise InputError(problems[0] if len(problems) == 1 else f"{name}: {len(problems)} rows have problems; fix them and run again",
                         problems if len(problems) > 1 else ())
    if not rows:
        raise InputError(f"{name}: has a header but no rows: add one row per dated figure or status event")
    table = pd.DataFrame([[row[column] for column in COLUMNS] for row in rows], columns=COLUMNS, dtype=object)
    table.attrs["counted_by_column"] = "counted_by" in columns.values()
    return table


def read_table(path, encoding=None, header_row=None, synonyms=None, needs=()):
    """``(header, [(row number, values), ...])`` of a CSV, XLSX or JSON-records file (``-``: stdin).

    Row numbers are the file's own (as a spreadsheet shows them; a header in row 1 puts the first
    record in row 2). The header is row ``header_row`` when given; otherwise the first of the
    first :data:`HEADER_SEARCH_ROWS` rows that names, through ``synonyms`` (see :func:`map_header`),
    a column of each set in ``needs``, so title rows above it are skipped; else the first row that is
    not empty. Raises :class:`InputError` for a missing, unreadable or empty file. Shared by count
    files, ``--aliases`` crosswalks and the locations geocode reads.
    """
    suffix = input_suffix(path)
    if suffix == ".json":
        return _read_json_records(path)
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path)
    else:
        rows = _read_csv(path, encoding, header_row, synonyms, needs)
    index, _ = _header_index(path, rows, header_row, synonyms, needs)
    return rows[index], [(number, line) for number, line in enumerate(rows[index + 1:], start=index + 2)]


def _known_columns(row, synonyms):
    """The columns the cells of ``row`` name through ``synonyms`` (never raises, unlike :func:`map_header`)."""
    lookup = _lookup(synonyms or {})
    return {lookup[key] for key in (_header_key(cell) for cell in row) if key in lookup}


def _header_index(path, rows, header_row, synonyms, needs):
    """``(index in rows of the header, how well it names columns)``: see :func:`read_table`.

    The score (does it name every needed column, how many it names, how many cells) chooses a
    CSV's delimiter.
    """
    def score(index):
        known = _known_columns(rows[index], synonyms)
        return all(known & need for need in needs), len(known), sum(1 for cell in rows[index] if _cell(cell))

    if header_row is not None:
        if header_row > len(rows):
            raise InputError(f"{path}: --header-row {header_row}: the file has {len(rows)} rows")
        if not any(_cell(cell) for cell in rows[header_row - 1]):
            raise InputError(f"{path}: --header-row {header_row}: that row is empty: give the row that names the columns")
        return header_row - 1, score(header_row - 1)
    filled = (index for index, row in enumerate(rows) if any(_cell(cell) for cell in row))
    searched = list(itertools.islice(filled, HEADER_SEARCH_ROWS))
    if not searched:
        raise InputError(f"{path}: is empty: expected a header row such as facility,detainees,as_of,source")
    found = next((index for index in searched if score(index)[0]), searched[0])
    return found, score(found)


def _decode(path, data, encoding):
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}: try utf-8, cp1252 or latin-1") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not {encoding} (byte {exc.start}): pick the encoding the file was saved in") from None
    if text_codec(data) == "utf-16":
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: starts with UTF-16's byte-order mark but is not UTF-16 (byte {exc.start}): "
                             "pass --encoding or re-save it as UTF-8") from None
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError as exc:
            failure = exc
    raise InputError(f"{path}: neither UTF-8 nor cp1252 (byte {failure.start}): "
                     "pass --encoding (e.g. latin-1) or re-save it as UTF-8")


def _read_csv(path, encoding, header_row, synonyms, needs):
    """The rows of a CSV file, split by the delimiter (comma, semicolon or tab) whose header names
    columns best (see :func:`_header_index`); title rows may use another."""
    text = _decode(path, read_bytes(path), encoding)
    if not text.strip():
        raise InputError(f"{path}: is empty: expected a header row such as facility,detainees,as_of,source")
    search = (header_row or 0) + HEADER_SEARCH_ROWS
    head = "\n".join(text.splitlines()[:search])
    delimiter = max(",;\t", key=lambda candidate: _header_index(path, csv_rows(head, path, candidate), header_row,
                                                                 synonyms, needs)[1])
    return csv_rows(text, path, delimiter, missing=MISSING)


def _blank(value):
    """None for a text cell that means no value (:data:`MISSING`), else ``value``."""
    return None if isinstance(value, str) and value.strip().casefold() in MISSING else value


def _read_xlsx(path):
    """The rows of the first sheet (date cells come back as dates), read in openpyxl's
    read-only mode within :data:`MAX_XLSX_ROWS` x :data:`MAX_XLSX_COLUMNS` and
    :data:`MAX_XLSX_UNPACKED_BYTES`."""
    check_size(path)  # also the same not-found message as other formats
    fix = "delete the rows and columns past the data (or save the sheet as CSV)"
    try:
        with zipfile.ZipFile(local_path(path)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise InputError(f"{path}: unpacks to {unpacked >> 20:,} MiB, more than the {MAX_XLSX_UNPACKED_BYTES >> 20} MiB "
                             f"geomap reads: {fix}")
        with open(local_path(path), "rb") as handle:  # a handle: openpyxl refuses names without .xlsx (stdin's copy)
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
            try:
                sheet = workbook.worksheets[0]
                _check_extent(path, sheet.max_row or 0, sheet.max_column or 0, "declares", fix)
                sheet.reset_dimensions()  # a declared extent may also be too small: read what is there
                lines = []
                for number, line in enumerate(sheet.iter_rows(values_only=True), start=1):
                    _check_extent(path, number, len(line), "has", fix)
                    lines.append([_blank(value) for value in line])
            finally:
                workbook.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many types for a broken workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}): re-save it from Excel or as CSV") from None
    return lines


def _check_extent(path, rows, columns, verb, fix):
    """InputError if a sheet ``verb`` (declares/has) more rows or columns than geomap reads."""
    if rows > MAX_XLSX_ROWS or columns > MAX_XLSX_COLUMNS:
        raise InputError(f"{path}: its first sheet {verb} {rows:,} rows x {columns:,} columns, more than the "
                         f"{MAX_XLSX_ROWS:,} x {MAX_XLSX_COLUMNS} geomap reads: {fix}")


def _read_json_records(path):
    """A JSON list of objects: the union of their keys is the header; row n+1 is object n."""
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("counts"), list):
        data = data["counts"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(f"{path}: expected a JSON list of objects like "
                         '[{"facility": "helicoide", "detainees": 65, "as_of": "2026-01", "source": "https://..."}]')
    if not data:
        raise InputError(f"{path}: is empty: expected a list of count objects")
    header = list(dict.fromkeys(key for item in data for key in item))
    return header, [(index + 2, [_blank(item.get(key)) for key in header]) for index, item in enumerate(data)]


def _header_key(title):
    """A header cell as :data:`HEADERS` spells its titles: folded, spaces as ``_`` ("Fecha Estado" -> fecha_estado)."""
    return fold(_cell(title)).replace(" ", "_")


def _lookup(synonyms):
    return {title: column for column, titles in synonyms.items() for title in titles}


def map_header(path, header, synonyms, fallbacks=None):
    """``{column index: column name}`` for headers found in ``synonyms`` (``{column: folded headers}``).

    Headers match whatever their case, accents and punctuation ("Latitude", "PAÍS"). Unknown
    headers are ignored; two headers meaning one column are an error. ``fallbacks`` (same shape)
    are weaker names, used only for a column no header names through ``synonyms`` (a
    ``Municipio`` is the city unless there is a ``Ciudad``).
    """
    lookup = _lookup(synonyms)
    columns, seen = {}, {}
    for index, title in enumerate(header):
        column = lookup.get(_header_key(title))
        if column is None:
            continue
        if column in seen:
            raise InputError(f"{path}: columns {seen[column]!r} and {_cell(title)!r} both mean {column}: keep one")
        seen[column] = _cell(title)
        columns[index] = column
    for column, titles in (fallbacks or {}).items():
        found = [index for index, title in enumerate(header) if _header_key(title) in titles and index not in columns]
        if column not in seen and found:
            columns[found[0]] = column
    return columns


def _count_columns(path, header):
    """The counts columns of ``header``; a facility column and a figure or status column are required."""
    columns = map_header(path, header, HEADERS)
    if "facility" not in columns.values():
        found = ", ".join(repr(_cell(title)) for title in header if _cell(title)) or "nothing"
        raise InputError(f"{path}: no facility column (found {found}): name one column facility "
                         f"(or establecimiento, centro, instalación){HEADER_ROW_HINT}")
    if "detainees" not in columns.values() and "status" not in columns.values():
        raise InputError(f"{path}: no detainees or status column: add detainees (or detenidos, presos) "
                         f"and/or status (estado){HEADER_ROW_HINT}")
    return columns


def cell_text(values, index):
    """Cell ``index`` of a record as text ("" past the end): see :func:`_cell`."""
    return _cell(values[index]) if index < len(values) else ""


def _cell(value):
    """A cell as stripped text; dates from XLSX as ISO, whole floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_row(raw, number):
    """One normalized row dict; ``ValueError`` with a fix-oriented message on bad values."""
    for column, text in raw.items():
        problem = text_problem(text)
        if problem:
            raise ValueError(f"{column} {problem}")
    facility = raw.get("facility", "")
    if not facility:
        raise ValueError("no facility: write its id or name (or national:VE for a nationwide total)")
    detainees, qualifier = parse_figure(raw.get("detainees", ""), raw.get("qualifier", ""))
    status = parse_status(raw.get("status", ""))
    if detainees is None and status is None:
        raise ValueError("neither a detainees figure nor a status: fill one or delete the row")
    as_of = parse_date(raw.get("as_of", ""), "as_of")
    status_date = parse_date(raw.get("status_date", ""), "status_date")
    source = raw.get("source") or None
    if source is not None and not is_http_url(source):
        raise ValueError(f"source {source!r} is not an http(s) URL: give the public page backing the row")
    if detainees is not None and (as_of is None or source is None):
        raise ValueError(f"figure {detainees} needs {'an as_of date' if as_of is None else 'a source URL'}: "
                         "every number is shown with its date and source")
    if detainees is not None and (future := future_problem(as_of)):
        raise ValueError(f"as_of {future}")
    if status is not None and (status_date is None or source is None):
        raise ValueError(f"status {status!r} needs {'a status_date' if status_date is None else 'a source URL'}")
    return {
        "row": number,
        "facility": facility,
        "state": raw.get("state") or None,
        "detainees": detainees,
        "qualifier": qualifier if detainees is not None else None,
        "as_of": as_of,
        "source": source,
        "counted_by": canonical_counted_by(raw.get("counted_by")) if detainees is not None else None,
        "status": status,
        "status_date": status_date,
        "note": raw.get("note") or None,
    }


def parse_figure(text, qualifier=""):
    """``(count, qualifier)`` from "65", "1.916", "más de 800", ">800", "~65"; ``(None, None)`` if empty.

    A qualifier column ("exact", "about", "at_least", "up_to" or Spanish words) and a qualifying
    word in the figure itself must agree. No qualifier reads as ``"exact"``.
    """
    text = str(text).strip()
    stated = _parse_qualifier(qualifier)
    if not text:
        return None, stated
    match = _FIGURE.fullmatch(text)
    if not match or not re.fullmatch(r"-?(\d{1,3}([.,\s]\d{3})*|\d+)", match["number"].strip()):
        raise ValueError(f"detainees {text!r} is not a whole number: write digits like 65 (\"más de 800\" and "
                         "\"hasta 80\" are understood); for a range give one bound and explain it in note")
    words = match["words"].strip()
    in_figure = _parse_qualifier(words) if words else None
    if stated and in_figure and stated != in_figure:
        raise ValueError(f"detainees {text!r} says {in_figure} but qualifier says {stated}: make them agree")
    count = int(re.sub(r"[.,\s]", "", match["number"]))
    if count < 0:
        raise ValueError(f"detainees {count} is negative: counts are whole numbers ≥ 0")
    if count > MAX_DETAINEES:
        raise ValueError(f"detainees {count} is more than {MAX_DETAINEES}: check the figure for a typo")
    return count, stated or in_figure or "exact"


def _parse_qualifier(text):
    text = str(text).strip()
    if not text:
        return None
    key = fold(text) or text
    if key.replace(" ", "_") in QUALIFIERS:
        return key.replace(" ", "_")
    if key not in _QUALIFIER_OF:
        raise ValueError(f"qualifier {text!r} is not one of {', '.join(QUALIFIERS)} (or más de, hasta, aprox.)")
    return _QUALIFIER_OF[key]


def parse_status(text):
    """A schema status from English or Spanish ("cierre anunciado" -> "announced_closure"); None if empty."""
    text = str(text).strip()
    if not text:
        return None
    status = _STATUS_OF.get(fold(text))
    if status not in STATUSES:
        raise ValueError(f"status {text!r} is not one of {', '.join(STATUSES)} (or abierto, cierre anunciado, "
                         "cerrado); if this column holds the state (entidad federal), name it state")
    return status


def parse_date(text, field="date"):
    """An ISO date or month from "2026-01-30", "2026-01", "30/01/2026", "30-01-2026", "01/2026"; None if empty.

    Day-first (dd/mm/yyyy) as written in Venezuela; impossible dates like 31/02/2026 are errors.
    """
    text = str(text).strip()
    if not text:
        return None
    iso = text
    day_first = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    month_first = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", text)
    if day_first:
        day, month, year = day_first.groups()
        iso = f"{year}-{int(month):02d}-{int(day):02d}"
    elif month_first:
        month, year = month_first.groups()
        iso = f"{year}-{int(month):02d}"
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]00:00(:00)?", text):
        iso = text[:10]
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", iso) or not is_date(iso):
        raise ValueError(f"{field} {text!r} is not a real date: write YYYY-MM-DD, dd/mm/yyyy or YYYY-MM")
    return iso
