"""Geocoding: locate facilities honestly, cached and resumable (``geomap geocode``).

Public API::

    read_locations(path, country=None)            # geomap.load: CSV or GeoJSON -> facilities
    geocode_frame(facilities, options=None, progress=None) -> facilities
    geocode_file(input_path, output_path=None, options=None, country=None, progress=None, header_row=None) -> summary
    format_summary(summary) -> list of lines

Each unlocated facility runs the chain (first hit wins, named in ``geocoding.step``):
input coordinates → curated gazetteer → cache → online provider (geopy) → offline
GeoNames locality. A located row without a country gets the one its point lies in
(:func:`geomap.places.country_of`). See docs/geocoding.md.
"""

import contextlib
import csv
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .. import DEFAULT_FACILITIES
from .. import frame as frames
from ..dataset import curated_path
from ..errors import InputError, OutputError
from ..export import export_facilities, to_geojson
from ..cells import neutralise
from ..files import atomic_write, written_in_place
from ..load import input_stem, raise_problems, read_locations
from ..places import country_of
from ..schema import Problem, validate_collection
from .cache import GeocodeCache
from .chain import Chain, OnlineStep
from .gazetteer import Gazetteer
from .locality import LocalityTable
from .providers import OnlineGeocoder

__all__ = ["GeocodeOptions", "check_geocoded", "format_summary", "geocode_file", "geocode_frame", "read_locations"]


@dataclass
class GeocodeOptions:
    """How to geocode; the defaults are the polite ones for the public Nominatim."""

    gazetteer: str | Path | None = DEFAULT_FACILITIES  #: curated facilities; None skips the step
    cache: str | Path | None = None  #: SQLite file; None = user cache dir
    geocoder: str = "nominatim"  #: any geopy provider name
    geocoder_url: str | None = None  #: self-hosted server, e.g. http://localhost:8080
    user_agent: str | None = None  #: required for the public Nominatim
    api_key: str | None = None  #: for providers that need one
    offline: bool = False  #: never touch the network (cache, gazetteer, locality only)
    force: bool = False  #: re-locate rows that already have coordinates
    timeout: float = 10.0  #: seconds per request
    min_delay: float = 1.0  #: seconds from one answer to the same worker's next request (1 s: the public policy)
    workers: int = 1  #: requests at once, each worker with its own HTTP session (more: self-hosted servers only)
    max_retries: int = 2  #: retries on 429/5xx/timeouts
    backoff: float = 2.0  #: first wait before a retry (doubles), unless Retry-After says otherwise
    deadline: float = 30.0  #: seconds for a whole request (headers and body), however slowly it trickles
    max_answer_bytes: int = 1 << 20  #: an answer's size cap, on the wire and once inflated


#: How to give a row its country when neither the row nor its point does.
NO_COUNTRY_FIX = "add a country column (ISO 3166-1 code, e.g. US) or pass --country"


def _gazetteer(options, notes):
    if options.gazetteer is None:
        return None
    path = curated_path(options.gazetteer)
    if not Path(path).exists() and str(path) == DEFAULT_FACILITIES:
        notes.append(f"gazetteer skipped: {DEFAULT_FACILITIES} not found here nor installed with geomap")
        return None
    return Gazetteer(path)


def geocode_frame(facilities, options=None, progress=None):
    """Locate the unlocated facilities of a facilities GeoDataFrame; return a new frame.

    Located rows keep their point (unless ``options.force``). Resolved rows get
    ``location_precision``, ``location_source``, ``location_as_of`` and ``geocoding``;
    unresolved rows keep a null geometry and ``geocoding.unresolved`` (the reasons).
    ``attrs["geocoding"]`` holds the run summary (see :func:`format_summary`).
    ``progress``: show a bar on stderr (None: only when stderr is a terminal).
    Ctrl-C keeps every answer received so far in the cache. A located row without a
    country gets the one its point lies in; a point in no country raises InputError.
    """
    options = options or GeocodeOptions()
    notes = []
    gazetteer = _gazetteer(options, notes)
    provider = OnlineGeocoder(
        options.geocoder, url=options.geocoder_url, user_agent=options.user_agent, api_key=options.api_key,
        timeout=options.timeout, min_delay=options.min_delay, max_retries=options.max_retries,
        backoff=options.backoff, require_user_agent=not options.offline, deadline=options.deadline,
        max_answer_bytes=options.max_answer_bytes, workers=options.workers,
    )
    inputs = facilities.attrs.get("inputs") or [{"path": "the input"}]
    with GeocodeCache(options.cache) as cache:
        online = OnlineStep(provider, cache, options.offline)
        steps = [step for step in (gazetteer, online, LocalityTable()) if step]
        chain = Chain(steps, input_name=inputs[0]["path"], force=options.force)
        records = facilities.drop(columns="geometry").to_dict("records")
        numbers = facilities.attrs.get("rows") or range(1, len(records) + 1)  # a table's own row numbers
        show = sys.stderr.isatty() if progress is None else progress
        points = list(facilities.geometry)
        chain.prepare(records, points)
        located, bar = [], tqdm(total=len(records), file=sys.stderr, disable=not show, unit="row", desc="geocoding")

        def locate_up_to(end):
            for position in range(len(located), end):
                located.append(chain.locate(records[position], points[position], numbers[position]))
                bar.update()

        with bar:
            if options.workers > 1 and not options.offline:  # ask ahead, in parallel; the chain follows as with one
                rows, positions = chain.reaching(online, records, points, numbers)
                with contextlib.closing(online.prefetch(rows, options.workers, show)) as answered:
                    for ready in answered:  # the chain goes on up to the first row still waiting for answers
                        locate_up_to(positions[ready] if ready < len(positions) else len(records))
            locate_up_to(len(records))
    _with_countries(located, numbers, chain.input_name)
    result = frames.from_records([row for row, _ in located], [point for _, point in located])
    result.attrs = dict(facilities.attrs)
    notes += online.notes
    if provider.stopped:
        notes.append(provider.stopped)
    result.attrs["geocoding"] = {
        "rows": len(records),
        "resolved": {f"{step}/{precision}": count for (step, precision), count in sorted(chain.by_step.items())},
        "unresolved": chain.unresolved,
        "rejected": online.rejected,
        "requests_sent": provider.requests_sent,
        "cache": str(cache.path),
        "notes": notes,
        "date": dt.date.today().isoformat(),
    }
    return result


def _with_countries(located, numbers, input_name):
    """Give each ``(row, point)`` without a country the one its point lies in, in place.

    A point in no country is an InputError naming the row (its number in ``numbers``); an
    unlocated row without a country says so among its reasons (both with :data:`NO_COUNTRY_FIX`).
    """
    missing = [number for number, (row, point) in enumerate(located) if not row.get("country") and point is not None]
    codes = country_of([located[n][1].x for n in missing], [located[n][1].y for n in missing]) if missing else []
    problems = []
    for number, code in zip(missing, codes):
        row, point = located[number]
        row["country"] = code
        if code is None:
            where = f"{input_name}: row {numbers[number]}" + (f" (id={row['id']})" if row.get("id") else "")
            problems.append(Problem(where, None, None, "country",
                                    f"none given and the point ({point.x:.6g}, {point.y:.6g}) lies in no country: {NO_COUNTRY_FIX}"))
    for row, point in located:
        if point is None and not row.get("country"):
            row["geocoding"]["unresolved"].append(f"no country: {NO_COUNTRY_FIX}")
    raise_problems(problems, input_name)


def geocode_file(input_path, output_path=None, options=None, country=None, progress=None, header_row=None):
    """Read INPUT (CSV, XLSX or GeoJSON; ``-``: stdin), geocode it, write the placed rows as GeoJSON
    and the others to :func:`unresolved_path`; return the summary dict.

    ``country`` (ISO code), when given, is every CSV row's country, and ``header_row`` the
    table's header row (see :func:`read_locations`).

    ``output_path`` defaults to ``output/<input stem>.geojson``; ``-`` is stdout, as is a
    FIFO or ``/dev/stdout``. Files are written atomically, only after every row has been tried,
    so OUTPUT holds only located rows and builds as it is. ``summary["unresolved_path"]`` is
    where the rows not placed went (a CSV with the input's columns, the row number and the
    reason), or None when every row is placed (an earlier such file of OUTPUT is then removed).
    """
    named = output_path and str(output_path) != "-" and not written_in_place(output_path)
    if named and Path(str(output_path)).suffix.lower() not in (".geojson", ".json"):
        raise InputError(f"-o {output_path}: geocode writes GeoJSON: give a .geojson name "
                         "(then `geomap export` makes CSV, GPKG or KML)")
    facilities = read_locations(input_path, country=country, header_row=header_row)
    located = check_geocoded(geocode_frame(facilities, options, progress))
    output_path = output_path or Path("output") / f"{input_stem(input_path)}.geojson"
    unplaced = located.geometry.isna() | located.geometry.is_empty
    export_facilities(located[~unplaced], "geojson", output_path)  # RFC 7946, with the provenance member
    summary = located.attrs["geocoding"]
    leftover = unresolved_path(output_path, input_path)
    if summary["unresolved"]:
        _write_unresolved(located[unplaced], summary["unresolved"], leftover)
    elif leftover.is_file():
        leftover.unlink()  # from an earlier run of this OUTPUT: those rows are placed now
    return summary | {"output": str(output_path), "unresolved_path": str(leftover) if summary["unresolved"] else None}


def unresolved_path(output_path, input_path):
    """Where ``geocode -o OUTPUT`` puts the rows it could not place: ``<OUTPUT stem>.unresolved.csv``
    beside OUTPUT; for stdout (``-``), ``output/<INPUT stem>.unresolved.csv``."""
    if str(output_path) == "-" or written_in_place(output_path):
        return Path("output") / f"{input_stem(input_path)}.unresolved.csv"
    return Path(output_path).with_name(f"{Path(output_path).stem}.unresolved.csv")


#: Rows not placed listed on stderr when they are all in ``<stem>.unresolved.csv`` anyway.
UNRESOLVED_SHOWN = 10
#: The columns of ``<stem>.unresolved.csv``: what read_locations reads back, then why.
UNRESOLVED_COLUMNS = ("id", "name", "address", "city", "state", "country", "lat", "lon", "row", "reason")


def _write_unresolved(unplaced, failures, path):
    """The rows not placed as a CSV a spreadsheet opens safely and geocode reads back once lat/lon are filled in."""
    records = unplaced.drop(columns="geometry").to_dict("records")
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNRESOLVED_COLUMNS)
        for record, failure in zip(records, failures, strict=True):
            values = record | {"lat": None, "lon": None, "row": failure["row"], "reason": " | ".join(failure["reasons"])}
            writer.writerow([neutralise("" if values.get(column) is None else values[column]) for column in UNRESOLVED_COLUMNS])


def check_geocoded(located):
    """``located`` (from :func:`geocode_frame`), or OutputError if it breaks the data model:
    every path into a page or file is checked, whatever a provider answered."""
    problems = validate_collection(to_geojson(located), "geocoded output", require_geometry=False)
    if problems:
        raise OutputError(f"geocoded output breaks the data model: {problems[0]}")
    return located


def format_summary(summary):
    """The closing report as lines for stderr: rows by step and precision, then failures."""
    lines = [f"geocoded {summary['rows']} rows; {summary['requests_sent']} requests sent; cache {summary['cache']}"]
    lines += [f"  {count:5d}  {label}" for label, count in summary["resolved"].items()]
    lines += [f"  note: {note}" for note in summary["notes"]]
    if summary.get("rejected"):
        lines.append(f"  {len(summary['rejected'])} answers rejected:")
        lines += [f"    {failure['id']} ({failure['name']}): {failure['reason']}" for failure in summary["rejected"]]
    unresolved, listed = summary["unresolved"], summary.get("unresolved_path")
    if unresolved:
        lines.append(f"  {len(unresolved)} unresolved:")
        for failure in unresolved[:UNRESOLVED_SHOWN] if listed else unresolved:
            lines.append(f"    row {failure['row']} {failure['id']} ({failure['name']}): {' | '.join(failure['reasons'])}")
    if listed:
        if len(unresolved) > UNRESOLVED_SHOWN:
            lines.append(f"    ... and {len(unresolved) - UNRESOLVED_SHOWN} more")
        rows = "1 row" if len(unresolved) == 1 else f"{len(unresolved)} rows"
        lines.append(f"{listed}: {rows} not placed (the reason column says why): fix them there and run geocode on that file")
    return lines
