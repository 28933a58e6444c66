"""Exports for researchers: GeoJSON, CSV, GeoPackage and KML, lossless and self-describing.

Every format carries every property of :data:`geomap.schema.FIELDS` (plus any extra
properties the input had), and :func:`read_export` reads each one back into the same
facilities GeoDataFrame. How lists and objects are written per format
(docs/data-model.md, "Exports", says the same for readers):

* GeoJSON (RFC 7946): lists and objects stay JSON; a top-level foreign member
  ``geomap`` holds the provenance (:func:`provenance`).
* CSV and KML ExtendedData: one text cell per property. Lists of strings
  (``aliases``, ``sources``) are joined with ``" | "``, or written as a JSON array
  when an item contains ``|`` or the cell would start with ``[``; lists of objects
  and objects (``status_history``, ``detainee_counts``, ``geocoding``) and numbers
  are JSON text; an empty cell is null (an empty list for list fields).
* GeoPackage: integers stay integers; every list or object is JSON text; the
  provenance is the dataset metadata item ``geomap``.

Coordinates are rounded to ``precision`` decimals in every format (6 ≈ 0.1 m).
"""

import csv
import datetime as dt
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from . import __version__
from . import frame as frames
from .cells import neutralise
from .errors import InputError, OutputError
from .files import atomic_path, atomic_write
from .history import latest_date, primary_organisation
from .labels import LABELS, shown_notes
from .load import (
    check_collection,
    check_countries,
    check_size,
    csv_rows,
    facilities_from,
    input_stem,
    input_suffix,
    local_path,
    raise_problems,
    read_facilities,
    read_json,
    read_text,
)
from .organisations import organisation_name
from .schema import (
    LIST_FIELDS,
    MAX_DEPTH,
    PROVENANCE_KEY,
    STATUSES,
    facility_schema,
    is_http_url,
    provenance_problems,
)
from .style import STATUS_KML_COLOURS

#: Export format name -> file suffix.
FORMATS = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg", "kml": ".kml"}
#: Formats written as a folder of files (:mod:`geomap.datapackage`), with the default folder.
FOLDER_FORMATS = {"datapackage": Path("output") / "datapackage"}
#: Formats that can stream to stdout (``-o -``).
TEXT_FORMATS = ("geojson", "csv", "kml")
DEFAULT_PRECISION = 6
LIST_SEPARATOR = " | "
#: Top-level GeoJSON member, GPKG metadata item and KML Document data holding provenance.
FACILITIES_LAYER = "facilities"
COUNTS_LAYER = "detainee_counts"
#: GeoPackage 1.3: read without warnings by older GDAL/QGIS too (1.4 is GDAL 3.7+).
GPKG_VERSION = "1.3"
#: Columns of the long counts-history table (CSV and GPKG): one row per dated figure.
COUNT_COLUMNS = ("facility_id", "detainees", "qualifier", "as_of", "source", "counted_by", "note")
COORDINATE_COLUMNS = ("lon", "lat")
KML_NS = "http://www.opengis.net/kml/2.2"
KML_ICON = "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
#: Characters XML 1.0 cannot carry, so KML cannot either.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _resolve(spec):
    """Follow a local ``$ref`` of the facility schema."""
    ref = spec.get("$ref")
    return _resolve(facility_schema()["$defs"][ref.rsplit("/", 1)[1]]) if ref else spec


def _types(spec):
    kind = _resolve(spec).get("type", [])
    return [kind] if isinstance(kind, str) else kind


_PROPERTIES = facility_schema()["properties"]
#: Lists of strings: joined with " | " in CSV and KML.
STRING_LIST_FIELDS = tuple(f for f in LIST_FIELDS if _types(_PROPERTIES[f]["items"]) == ["string"])
INTEGER_FIELDS = tuple(f for f, spec in _PROPERTIES.items() if "integer" in _types(spec))
#: Objects and lists of objects: JSON text in CSV, KML and GPKG.
JSON_FIELDS = tuple(f for f, spec in _PROPERTIES.items() if "object" in _types(spec) or (f in LIST_FIELDS and f not in STRING_LIST_FIELDS))


# ---------------------------------------------------------------- provenance


def source_urls(facilities):
    """Every http(s) URL cited by the facilities and national totals, first seen first."""
    urls = []
    for row in records(facilities):
        urls += [row["status_source"], row["detainees_source"], row["location_source"], *row["sources"]]
        urls += [event["source"] for event in row["status_history"] or ()]
        urls += [count["source"] for count in row["detainee_counts"] or ()]
    urls += [total.get("source") for total in facilities.attrs.get("national_totals") or ()]
    return list(dict.fromkeys(url for url in urls if is_http_url(url)))


def provenance(facilities, precision=DEFAULT_PRECISION, generated_at=None):
    """Where an export came from, so a figure can be cited and re-checked later.

    ``as_of`` is ``facilities.attrs["as_of"]`` (set by ``--as-of``) when present,
    else :func:`geomap.history.latest_date`; ``primary_counted_by`` is the organisation the headline
    leads with (:func:`geomap.history.primary_organisation`); ``national_totals`` is copied when present.
    """
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    record = {
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "geomap_version": __version__,
        "schema": facility_schema()["$id"],
        "inputs": list(facilities.attrs.get("inputs") or []),
        "as_of": facilities.attrs.get("as_of") or latest_date(facilities),
        "coordinate_precision": precision,
        "sources": source_urls(facilities),
        "primary_counted_by": primary_organisation(facilities),
    }
    if "national_totals" in facilities.attrs:
        record["national_totals"] = facilities.attrs["national_totals"]
    return record


# ---------------------------------------------------------------- cells


def _columns(frame):
    return [column for column in frame.columns if column != frame.geometry.name]


def records(frame):
    """Every row's properties as plain Python dicts (faster than iterrows, which copies attrs per row)."""
    columns = _columns(frame)
    return [frames.properties(dict(zip(columns, values))) for values in frame[columns].itertuples(index=False, name=None)]


def _coordinates(facilities, precision):
    """(lon, lat) rounded to ``precision`` per facility, or None when not located."""
    return [
        None if point is None or point.is_empty else (round(point.x, precision), round(point.y, precision))
        for point in facilities.geometry
    ]


def encode_text(field, value):
    """One property as a CSV/KML cell (see the module docstring for the rules)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if field in STRING_LIST_FIELDS:
        joined = LIST_SEPARATOR.join(value)
        if not any("|" in item for item in value) and not joined.startswith("["):
            return joined
    return json.dumps(value, ensure_ascii=False)


def decode_text(field, text):
    """Inverse of :func:`encode_text` for a schema field; extra columns stay text."""
    if text == "":
        return [] if field in LIST_FIELDS else None
    if field in STRING_LIST_FIELDS and not text.startswith("["):
        return text.split(LIST_SEPARATOR)
    if field in LIST_FIELDS or field in JSON_FIELDS or field in INTEGER_FIELDS:
        return json.loads(text)
    return text


def _text_rows(facilities, precision):
    """Yield ``(cells, coordinates)`` per facility: every property as text."""
    for record, point in zip(records(facilities), _coordinates(facilities, precision)):
        yield {column: encode_text(column, value) for column, value in record.items()}, point


def counts_table(facilities):
    """The counts history as a long table: one row per dated figure, oldest first."""
    rows = [
        {"facility_id": fid, **{column: count.get(column) for column in COUNT_COLUMNS[1:]}}
        for fid, counts in zip(facilities["id"], facilities["detainee_counts"])
        for count in counts or ()
    ]
    table = pd.DataFrame(rows, columns=list(COUNT_COLUMNS)).astype(object)
    table["detainees"] = table["detainees"].astype("Int64")
    return table


# ---------------------------------------------------------------- writers


def to_geojson(facilities, precision=DEFAULT_PRECISION, generated_at=None):
    """The RFC 7946 FeatureCollection, with provenance as the ``geomap`` member."""
    return {
        "type": "FeatureCollection",
        PROVENANCE_KEY: provenance(facilities, precision, generated_at),
        "features": list(frames.to_features(facilities, precision)),
    }


def _write_geojson(facilities, output, precision, generated_at):
    collection = to_geojson(facilities, precision, generated_at)
    with atomic_write(output) as handle:
        json.dump(collection, handle, ensure_ascii=False, indent=2, allow_nan=False)
        handle.write("\n")


def _write_csv_rows(output, header, rows, excel, raw_cells=False):
    """Write a CSV; unless ``raw_cells``, no cell is a live spreadsheet formula (:mod:`geomap.cells`)."""
    with atomic_write(output, newline="") as handle:
        if excel:
            handle.write("\ufeff")  # the BOM tells Excel the file is UTF-8
        writer = csv.writer(handle)
        if raw_cells:
            writer.writerow(header)
            writer.writerows(rows)
        else:
            writer.writerow(map(neutralise, header))
            writer.writerows(map(neutralise, row) for row in rows)


def _write_csv(facilities, output, precision, excel, raw_cells=False):
    columns = _columns(facilities)
    rows = (
        [cells[column] for column in columns] + (list(point) if point else ["", ""])
        for cells, point in _text_rows(facilities, precision)
    )
    _write_csv_rows(output, columns + list(COORDINATE_COLUMNS), rows, excel, raw_cells)


def write_counts_csv(facilities, output, excel=False, raw_cells=False):
    """Write the counts history (:data:`COUNT_COLUMNS`) as a long CSV (``raw_cells``: see :func:`export_facilities`)."""
    rows = (["" if pd.isna(value) else value for value in row] for row in counts_table(facilities).itertuples(index=False))
    _write_csv_rows(output, COUNT_COLUMNS, rows, excel, raw_cells)


def _gpkg_column(field, values):
    if field in INTEGER_FIELDS:
        return pd.array(values, dtype="Int64")
    if field in LIST_FIELDS or field in JSON_FIELDS or any(isinstance(v, (list, dict)) for v in values):
        return [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    return pd.Series(values, dtype=object).infer_objects()


def _write_gpkg(facilities, output, precision, generated_at):
    rows = records(facilities)
    table = pd.DataFrame({c: _gpkg_column(c, [row[c] for row in rows]) for c in _columns(facilities)})
    points = [None if p is None else shapely.Point(p) for p in _coordinates(facilities, precision)]
    layer = gpd.GeoDataFrame(table, geometry=points, crs=frames.CRS)
    metadata = {PROVENANCE_KEY: json.dumps(provenance(facilities, precision, generated_at), ensure_ascii=False)}
    counts = counts_table(facilities)
    with atomic_path(output, suffix=".gpkg") as tmp:
        pyogrio.write_dataframe(
            layer, tmp, layer=FACILITIES_LAYER, driver="GPKG", geometry_type="Point",
            dataset_metadata=metadata, dataset_options={"VERSION": GPKG_VERSION},
        )
        if len(counts):
            pyogrio.write_dataframe(counts, tmp, layer=COUNTS_LAYER, driver="GPKG", append=True)


def _html_link(text, url):
    text = html.escape(str(text))
    return f'<a href="{html.escape(url)}">{text}</a>' if is_http_url(url) else text


def placemark_description(properties, lang="en"):
    """The popup content of one facility as HTML (values escaped, only http(s) links)."""
    labels = LABELS[lang]
    esc = lambda value: html.escape(str(value))  # noqa: E731
    rows = [(labels["facility_type"], esc(labels["facility_types"].get(properties["facility_type"], properties["facility_type"])))]
    if properties.get("operator"):
        rows.append((labels["operator"], esc(properties["operator"])))
    place = ", ".join(p for p in (properties.get("city"), properties.get("state")) if p)
    if place:
        rows.append((labels["place"], esc(place)))
    status = esc(labels["status_names"].get(properties["status"], properties["status"]))
    if properties.get("status_date"):
        status += f" ({labels['since']} {esc(properties['status_date'])}, {_html_link(labels['source'], properties.get('status_source'))})"
    rows.append((labels["status"], status))
    if properties.get("detainees") is not None:
        qualifier = labels["qualifier"].get(properties.get("detainees_qualifier") or "exact", "")
        figure = esc(f"{qualifier} {properties['detainees']}".strip())
        counted = properties.get("detainees_counted_by")
        counted = f"{labels['counted_by']} {esc(organisation_name(counted, lang))}, " if counted else ""
        figure += (f" ({labels['as_of']} {esc(properties['detainees_as_of'])}, {counted}"
                   f"{_html_link(labels['source'], properties['detainees_source'])})")
    else:
        figure = esc(labels["no_count"])
    rows.append((labels["detainees"], figure))
    precision = esc(labels["precision_names"].get(properties["location_precision"], properties["location_precision"]))
    location_source = properties.get("location_source")
    # a URL becomes a link; geocoder provenance ("nominatim: query") is shown as the text it is
    cited = _html_link(labels["source"], location_source) if is_http_url(location_source) else esc(location_source or "")
    rows.append((labels["location"], f"{precision} ({cited})" if cited else precision))
    notes = shown_notes(properties.get("notes"), properties.get("notes_es"), lang)
    if notes:
        rows.append((labels["notes"], esc(notes)))
    if properties.get("sources"):
        rows.append((labels["sources"], " ".join(_html_link(i, url) for i, url in enumerate(properties["sources"], 1))))
    title = f"<h3>{esc(properties['name'])}</h3>"
    if properties.get("name_en") and properties["name_en"] != properties["name"]:
        title += f"<p>{esc(properties['name_en'])}</p>"
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"{title}<table>{table}</table>"


def _xml_safe(text, where):
    """``text`` unchanged, or OutputError if it holds a character XML 1.0 cannot carry."""
    if _XML_INVALID.search(text):
        raise OutputError(f"{where}: contains a control character that KML (XML) cannot carry: remove it from the input")
    return text


def _kml_data(parent, cells):
    extended = ET.SubElement(parent, "ExtendedData")
    for name, text in cells.items():
        ET.SubElement(ET.SubElement(extended, "Data", name=name), "value").text = text


def kml_document(facilities, precision=DEFAULT_PRECISION, generated_at=None, lang="en"):
    """The KML tree: one Style per status, one Placemark per facility."""
    root = ET.Element("kml", xmlns=KML_NS)
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = LABELS[lang]["title"]
    prov = json.dumps(provenance(facilities, precision, generated_at), ensure_ascii=False)
    _kml_data(document, {PROVENANCE_KEY: _xml_safe(prov, "provenance")})
    for status in STATUSES:
        icon_style = ET.SubElement(ET.SubElement(document, "Style", id=f"status-{status}"), "IconStyle")
        ET.SubElement(icon_style, "color").text = STATUS_KML_COLOURS[status]
        ET.SubElement(ET.SubElement(icon_style, "Icon"), "href").text = KML_ICON
    for index, ((cells, point), record) in enumerate(zip(_text_rows(facilities, precision), records(facilities))):
        for field, text in cells.items():
            _xml_safe(text, f"facility {index} (id={cells['id']}): {field}")
        placemark = ET.SubElement(document, "Placemark")
        ET.SubElement(placemark, "name").text = cells["name"]
        ET.SubElement(placemark, "description").text = placemark_description(record, lang)
        ET.SubElement(placemark, "styleUrl").text = f"#status-{cells['status']}"
        _kml_data(placemark, cells)
        if point:
            ET.SubElement(ET.SubElement(placemark, "Point"), "coordinates").text = f"{point[0]!r},{point[1]!r}"
    return ET.ElementTree(root)


class _CarriageReturns:
    """A text stream that writes ``\r`` as ``&#13;``: ElementTree leaves it raw in text, and every XML
    reader turns a raw one into ``\n`` (markup itself never holds one)."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, text):
        return self.handle.write(text.replace("\r", "&#13;"))


def _write_kml(facilities, output, precision, generated_at, lang):
    tree = kml_document(facilities, precision, generated_at, lang)
    ET.indent(tree)
    with atomic_write(output) as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        tree.write(_CarriageReturns(handle), encoding="unicode")
        handle.write("\n")


def with_counts(facilities, counts_paths=(), as_of=None, national_from=None):
    """``facilities`` after ``geomap join`` of each of ``counts_paths`` in order, and/or choosing ``as_of``.

    ``counts_paths`` is one path or several (``--counts`` given more than once): each is joined
    onto the result of the one before, so figures in two files are kept once and conflicts follow
    the rules of docs/join.md. ``national_from``: a counts file whose nationwide rows
    (:func:`geomap.join.join_national`) are joined when there are no ``counts_paths``. With only
    ``as_of``, the figure and status current on that date are picked from the history already in
    the data. Returns ``(facilities, lines for stderr)``.
    """
    counts_paths = [counts_paths] if isinstance(counts_paths, (str, Path)) else list(counts_paths or ())
    from . import join

    notes = []
    if not counts_paths and national_from is not None:
        facilities, joined_rows = join.join_national(facilities, national_from, as_of)
        if joined_rows:
            return facilities, [f"nationwide totals: joined the {joined_rows} national figures of {national_from} "
                                "(give --counts to join your own counts instead)"]
    if not counts_paths:
        return (facilities if as_of is None else join.as_of_view(facilities, as_of)), notes
    for counts_path in counts_paths:
        facilities, report = join.join_file(facilities, counts_path, as_of)
        notes.extend(join.summary(report, counts_name=counts_path))
    return facilities, notes


def default_output(input_path, fmt):
    """``output/<input stem>.<ext>`` (``output/datapackage`` for a package): where an export goes when no -o is given."""
    if fmt in FOLDER_FORMATS:
        return FOLDER_FORMATS[fmt]
    return Path("output") / (input_stem(input_path) + FORMATS[fmt])


def format_for(path, suffix=None):
    """The export format a path's suffix (or ``suffix``) names, or None."""
    suffix = Path(str(path)).suffix.lower() if suffix is None else suffix
    return next((fmt for fmt, ext in FORMATS.items() if ext == suffix), "geojson" if suffix == ".json" else None)


def export_facilities(
    facilities,
    fmt,
    output,
    precision=DEFAULT_PRECISION,
    excel=False,
    counts_output=None,
    generated_at=None,
    lang="en",
    raw_cells=False,
):
    """Write ``facilities`` as ``fmt`` (a key of :data:`FORMATS` or :data:`FOLDER_FORMATS`) to ``output``.

    ``output`` of ``-`` streams text formats to stdout. ``excel`` adds a UTF-8 BOM to
    CSV files; ``counts_output`` also writes the counts history as a long CSV;
    ``lang`` picks the KML description's language. CSV cells that a spreadsheet would run as
    a formula get a leading ``'`` (:mod:`geomap.cells`; :func:`read_export` takes it off again)
    unless ``raw_cells``. An ``output`` whose suffix names
    another format is an :class:`InputError` (read_export could not read it back).
    Every write is atomic: an existing file is replaced only when the new one is
    complete. ``datapackage`` writes the folder ``output``
    (:func:`geomap.datapackage.write_datapackage`). Returns ``output``.
    """
    if fmt in FOLDER_FORMATS:
        from .datapackage import write_datapackage

        if excel:
            raise OutputError("--excel is for CSV files: a data package is UTF-8 without a BOM, as Frictionless reads it; drop --excel")
        write_datapackage(facilities, output, precision, generated_at, raw_cells)
    elif fmt not in FORMATS:
        raise OutputError(f"unknown export format {fmt!r}: use one of {', '.join([*FORMATS, *FOLDER_FORMATS])}")
    else:
        _write_file(facilities, fmt, output, precision, excel, generated_at, lang, raw_cells)
    if counts_output is not None:
        write_counts_csv(facilities, counts_output, excel, raw_cells)
    return output


def _write_file(facilities, fmt, output, precision, excel, generated_at, lang, raw_cells):
    """Write one of the single-file :data:`FORMATS` (checked: ``-`` only for text, a suffix that matches)."""
    if str(output) == "-" and fmt not in TEXT_FORMATS:
        raise OutputError(f"{fmt} is a binary database and cannot stream to stdout: give a file path with -o")
    named = format_for(output)
    if named not in (None, fmt):
        path = Path(str(output))
        raise InputError(f"-o {path} is a {path.suffix} name but --format {fmt}: "
                         f"use -o {path.with_suffix(FORMATS[fmt])} or drop --format")
    if fmt == "geojson":
        _write_geojson(facilities, output, precision, generated_at)
    elif fmt == "csv":
        _write_csv(facilities, output, precision, excel, raw_cells)
    elif fmt == "gpkg":
        _write_gpkg(facilities, output, precision, generated_at)
    else:
        _write_kml(facilities, output, precision, generated_at, lang)


# ---------------------------------------------------------------- readers


def _feature(properties, point):
    geometry = {"type": "Point", "coordinates": list(point)} if point else None
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _bad_json(where, field, text, exc):
    """The InputError for a cell that should hold JSON text and does not."""
    return InputError(f"{where}: {field}: {str(text)[:40]!r} is not valid JSON ({exc.msg}): re-export it")


def _decoded(cells, where, decode=decode_text):
    """Decode one row of cells with ``decode(field, cell)``, naming ``where`` (file and row) and the field on failure."""
    properties = {}
    for field, cell in cells.items():
        try:
            properties[field] = decode(field, cell)
        except json.JSONDecodeError as exc:
            raise _bad_json(where, field, cell, exc) from None
    return properties


def _provenance(text, name):
    """The provenance record stored as JSON text in a KML or GPKG export (checked by :func:`read_export`)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_json(f"{name}: document", PROVENANCE_KEY, text, exc) from None
    except RecursionError:
        raise InputError(f"{name}: {PROVENANCE_KEY}: nested more than {MAX_DEPTH} levels deep: re-export it") from None


def _number(text, where, axis):
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{where}: {axis} {text!r} is not a number") from None


def _read_csv(path):
    name = str(path)
    rows = iter([row for row in csv_rows(read_text(path, "a geomap CSV export is UTF-8"), name) if row])
    header = next(rows, [])
    missing = [column for column in ("id", *COORDINATE_COLUMNS) if column not in header]
    if missing:
        raise InputError(f"{name}: no {', '.join(missing)} column: not a geomap CSV export")
    features = []
    for index, row in enumerate(rows):
        where = f"{name}: row {index}"
        if len(row) != len(header):
            raise InputError(f"{where}: {len(row)} cells but the header has {len(header)} columns: "
                             "quote cells that hold commas, or re-export it")
        cells = dict(zip(header, row))
        lon, lat = (cells.pop(axis) for axis in COORDINATE_COLUMNS)
        point = (_number(lon, where, "lon"), _number(lat, where, "lat")) if lon or lat else None
        features.append(_feature(_decoded(cells, where), point))
    return {"type": "FeatureCollection", "features": features}


def _read_kml(path):
    name = str(path)
    check_size(path)
    try:
        root = ET.parse(local_path(path)).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{name}: not valid KML/XML: {exc}") from None
    ns = {"k": KML_NS}

    def cells(element):
        return {data.get("name"): data.findtext("k:value", "", ns) for data in element.findall("k:ExtendedData/k:Data", ns)}

    features = []
    for index, placemark in enumerate(root.iterfind(".//k:Placemark", ns)):
        coordinates = placemark.findtext("k:Point/k:coordinates", "", ns).strip()
        where = f"{name}: placemark {index}"
        point = tuple(_number(c, where, "coordinate") for c in coordinates.split(",")[:2]) if coordinates else None
        features.append(_feature(_decoded(cells(placemark), where), point))
    collection = {"type": "FeatureCollection", "features": features}
    document = root.find("k:Document", ns)
    prov = cells(document).get(PROVENANCE_KEY) if document is not None else None
    if prov:
        collection[PROVENANCE_KEY] = _provenance(prov, name)
    return collection


def _gpkg_value(field, value):
    if value is None:
        return [] if field in LIST_FIELDS else None
    if field in INTEGER_FIELDS and isinstance(value, float) and value.is_integer():
        return int(value)  # an integer column with nulls reads as floats; other values go to validation
    if field in LIST_FIELDS or field in JSON_FIELDS:
        return json.loads(value)
    return value


def _read_gpkg(path):
    check_size(path)
    try:
        table = pyogrio.read_dataframe(local_path(path), layer=FACILITIES_LAYER)
        metadata = pyogrio.read_info(local_path(path), layer=FACILITIES_LAYER).get("dataset_metadata") or {}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"{path}: cannot open as a GeoPackage with a {FACILITIES_LAYER!r} layer ({exc})") from None
    features = [
        _feature(
            _decoded(record, f"{path}: feature {index}", _gpkg_value),
            None if point is None else (point.x, point.y),
        )
        for index, (record, point) in enumerate(zip(records(table), table.geometry))
    ]
    collection = {"type": "FeatureCollection", "features": features}
    if PROVENANCE_KEY in metadata:
        collection[PROVENANCE_KEY] = _provenance(metadata[PROVENANCE_KEY], path)
    return collection


def read_export(path, validate=True):
    """Read a geomap export (GeoJSON, CSV, GPKG or KML) back into the facilities GeoDataFrame.

    The format comes from the suffix (for stdin, ``-``, from its first bytes). The result is validated like any input
    (``validate=False`` skips that for exports known to be good: it costs about a
    millisecond per facility) and carries ``attrs["inputs"]`` (this file) and, when the export recorded them,
    ``attrs["national_totals"]``.
    """
    name = str(path)
    fmt = format_for(path, input_suffix(path))
    if fmt is None:
        raise InputError(f"{name}: unknown export suffix: use {', '.join(FORMATS.values())}")
    if not local_path(path).is_file():
        raise InputError(f"{name}: no such file: check the path")
    if fmt == "geojson" and validate:
        return read_facilities(path, require_geometry=False)  # streamed
    readers = {"geojson": read_json, "csv": _read_csv, "kml": _read_kml, "gpkg": _read_gpkg}
    collection = readers[fmt](path)
    if validate:
        check_collection(collection, name, require_geometry=False)
    elif PROVENANCE_KEY in collection:  # never restored unchecked: it carries the headline's figures
        raise_problems(provenance_problems(collection[PROVENANCE_KEY], name), name)
    return check_countries(facilities_from(collection, path), name, validate)
