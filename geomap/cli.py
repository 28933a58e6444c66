"""The ``geomap`` command line: a thin layer over the Python API.

Each command only parses options and calls one stage's function; errors from the
:class:`geomap.errors.GeomapError` family become one line each on stderr and an
exit code. ``--debug`` shows the traceback instead. Every message goes through
:func:`say`, which shows control characters in the data (ids, names, server text)
as escapes, so a hostile file cannot drive the terminal.
"""

from dataclasses import replace
from pathlib import Path

import click

from . import DEFAULT_COUNTS, DEFAULT_FACILITIES, DEFAULT_MAP, __version__
from .dataset import curated_path, is_curated
from .errors import GeomapError
from .text import printable


def say(message):
    """Print one message to stderr with its control and bidi characters escaped."""
    click.echo(printable(message), err=True)


class GeomapGroup(click.Group):
    """Turns GeomapError into one-line messages and exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeomapError as exc:
            if ctx.params.get("debug"):
                raise
            for problem in getattr(exc, "problems", ()):
                say(f"error: {problem}")
            say(f"error: {exc}")
            ctx.exit(exc.exit_code)


@click.group(cls=GeomapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geomap")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug):
    """Map detention facilities with dated, sourced figures.

    Every input file may be - (stdin, read as bytes: UTF-8, UTF-16 with a BOM,
    cp1252 for CSV) and every output -o - (stdout: UTF-8, or a PNG's bytes).

    \b
    Example: the default dataset to a self-contained map
      geomap build            # data/facilities.geojson -> output/map.html
    """


def _curated(ctx, param, value):
    """Click callback: data/facilities.geojson and data/counts.csv name the curated dataset anywhere."""
    if isinstance(value, tuple):  # an option given several times
        return tuple(map(curated_path, value))
    return None if value is None else curated_path(value)


def default_output(lang, suffix):
    """``output/map.html`` (or ``.png``) in English, ``output/map.<lang>.html`` otherwise: one language never overwrites another."""
    name = Path(DEFAULT_MAP).with_suffix(suffix)
    return str(name if lang == "en" else name.with_suffix(f".{lang}{suffix}"))


input_argument = click.argument("input_path", metavar="[INPUT]", default=DEFAULT_FACILITIES, required=False,
                                callback=_curated)


def geocode_options(command):
    """The geocoding options (shared by `geocode`, `add` and `build --geocode`).

    Their parameter names are the fields of :class:`geomap.geocode.GeocodeOptions`,
    so a command builds it with ``GeocodeOptions(**{name: kwargs[name] for name in GEOCODE_OPTIONS})``.
    """
    options = [
        click.option("--gazetteer", default=DEFAULT_FACILITIES, show_default=True, metavar="FILE", callback=_curated,
                     help="Curated facilities whose names and aliases are matched first (installed with geomap)."),
        click.option("--cache", metavar="PATH", help="SQLite answer cache  [default: geocode.sqlite in the user cache dir]"),
        click.option("--geocoder", default="nominatim", show_default=True, help="Any geopy provider: nominatim, photon, arcgis..."),
        click.option("--geocoder-url", metavar="URL", help="Self-hosted Nominatim/Photon, e.g. http://localhost:8080"),
        click.option("--user-agent", envvar="GEOMAP_USER_AGENT", metavar="TEXT",
                     help="Identify yourself (app and contact); required by the public Nominatim. Env: GEOMAP_USER_AGENT"),
        click.option("--api-key", envvar="GEOMAP_API_KEY", metavar="KEY", help="For providers that need one. Env: GEOMAP_API_KEY"),
        click.option("--offline", is_flag=True, help="No network: gazetteer, cache and GeoNames localities only."),
        click.option("--force", is_flag=True, help="Re-locate rows that already have coordinates."),
        click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
                     help="Seconds a request may wait for the server to connect or send more."),
        click.option("--deadline", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
                     help="Seconds a whole request may take, however slowly the server trickles."),
        click.option("--min-delay", "min_delay", default=1.0, show_default=True, type=float, metavar="SECONDS",
                     help="Seconds from one answer to the next request (per worker). Below 1: --geocoder-url servers only."),
        click.option("--workers", default=1, show_default=True, type=int, metavar="N",
                     help="Requests at once, each worker with its own connection. Above 1: --geocoder-url servers only."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


#: ``--counted-by``: whose nationwide series leads the headline (build, snapshot; export records it).
COUNTED_BY_OPTION = click.option(
    "--counted-by", "counted_by", metavar="ORG",
    help="Lead the headline with ORG's nationwide figures (foro_penal, jep, ovp, provea, press, ... or a name)  "
         "[default: the dataset's primary_counted_by]")

#: ``--raw-cells``: CSV cells as they are, formulas and all (export, join).
RAW_CELLS_OPTION = click.option(
    "--raw-cells", is_flag=True,
    help="CSV: write cells exactly as they are, even those a spreadsheet would run as a formula "
         "(by default such cells get a leading ' that geomap's readers take off; see docs/security.md).")

#: ``--header-row``: where a table's header is, when title rows above it hide it (join, geocode).
HEADER_ROW_OPTION = click.option(
    "--header-row", "header_row", metavar="N", type=click.IntRange(min=1),
    help="The row (1 = the first) that names the columns  [default: the first row naming the needed columns, "
         "so title rows above it are skipped]")

GEOCODE_OPTIONS = ("gazetteer", "cache", "geocoder", "geocoder_url", "user_agent", "api_key", "offline", "force", "timeout",
                   "deadline", "min_delay", "workers")


@main.command()
@click.argument("path", metavar="FILE", callback=_curated)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too (probable duplicates, unknown state names).")
@click.option("--max-warnings", type=click.IntRange(min=0), default=100, show_default=True,
              help="Print at most this many warnings, then how many more there are (0: print all).")
def validate(path, strict, max_warnings):
    """Check a facilities GeoJSON file against the data model and the map.

    Prints one line per problem (file, feature index and id, field) and exits 1
    if there is any. Each point must lie in its country and (within 1 km) in
    its state; a state name that matches no known state is a warning, and so
    is a probable duplicate (the same name in one state, or points within 50 m
    with alike names). --strict makes warnings errors.

    \b
    Example:
      geomap validate data/facilities.geojson
    """
    from .load import raise_problems, read_facilities
    from .names import duplicate_problems
    from .places import location_problems

    facilities = read_facilities(path, check_locations=False)
    problems = location_problems(facilities, path) + duplicate_problems(facilities, path)
    warnings = [problem for problem in problems if problem.warning and not strict]
    shown = warnings if not max_warnings else warnings[:max_warnings]
    for warning in shown:
        say(f"warning: {warning}")
    if len(shown) < len(warnings):
        say(f"warning: {path}: {len(warnings) - len(shown):,} more warnings not shown; --max-warnings 0 lists them all")
    raise_problems([problem for problem in problems if strict or not problem.warning], path)
    say(f"{path}: {len(facilities)} facilities, valid")


@main.command()
@input_argument
@click.option("-o", "--output", help=f"HTML file to write  [default: {DEFAULT_MAP}; output/map.es.html with --lang es]")
@click.option("--counts", "counts_paths", metavar="FILE", callback=_curated, multiple=True,
              help="Join dated counts and status events from FILE first (see `geomap join`); repeat to join several, "
                   f"in order  [default with the default INPUT: {DEFAULT_COUNTS}; with another INPUT, its national totals]")
@click.option("--as-of", "as_of", metavar="DATE", help="Show the map as it stood on DATE (YYYY-MM-DD or YYYY-MM).")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True, help="Language of every label.")
@COUNTED_BY_OPTION
@click.option("--title", help="Headline (default: a title in the chosen language).")
@click.option("--subtitle", help="Line under the headline.")
@click.option("--embed", is_flag=True, help="Chrome-free layout that fills an iframe (see `geomap embed`).")
@click.option("--no-cluster", is_flag=True, help="Draw every marker, never group nearby ones.")
@click.option("--cluster-above", type=click.IntRange(min=0), metavar="N",
              help="Group nearby markers only on maps of more than N facilities  [default: 300].")
@click.option("--timeline/--no-timeline", default=None,
              help="A date slider that moves the map back through every dated change  [default: on up to 2,000 facilities].")
@click.option("--cdn", is_flag=True, help="Link the same pinned Leaflet files from jsDelivr instead of inlining them.")
@click.option("--no-tiles", is_flag=True, help="No OpenStreetMap base map: the vendored basemap only: land, state lines, cities (fully offline).")
@click.option("--png", "png_path", type=click.Path(dir_okay=False), help="Also save a PNG of the map here (1200x630).")
@click.option("--geocode", "geocode_first", is_flag=True, help="Locate facilities without coordinates first (INPUT may be a CSV; see `geomap geocode`).")
@geocode_options
@click.pass_context
def build(ctx, input_path, output, counts_paths, as_of, lang, counted_by, title, subtitle, embed, no_cluster, cluster_above,
          timeline, cdn, no_tiles, png_path, geocode_first, **geocode_settings):
    """Validate INPUT and write a self-contained interactive map.

    INPUT defaults to data/facilities.geojson, joined with data/counts.csv (a
    clone's data/, else the copy installed with geomap); another INPUT without
    --counts gets only that file's nationwide totals. --counts may be repeated
    (joined in order). The page inlines every
    script, style and the region's basemap, so it opens offline; only the
    base-map tiles need the network.

    \b
    Examples:
      geomap build
      geomap build --lang es --as-of 2026-01-31 -o output/mapa-enero.html
      geomap build --embed -o output/embed.html
      geomap build --counted-by jep -o output/jep.html
      geomap build examples/sites.csv --geocode --offline --counts examples/report.csv
    """
    from .render import MapOptions, write_map

    output = output or default_output(lang, ".html")
    options = MapOptions(lang=lang, title=title, subtitle=subtitle, as_of=as_of, counted_by=counted_by, embed=embed,
                         cluster=not no_cluster, timeline=timeline, cdn=cdn, tiles=not no_tiles,
                         **({} if cluster_above is None else {"cluster_above": cluster_above}))
    unlocated = []
    if geocode_first:
        facilities, unlocated = _geocoded(input_path, geocode_settings)
    else:
        from .load import read_facilities

        facilities = read_facilities(input_path)
    facilities = _with_counts(facilities, input_path, counts_paths, as_of, counted_by=counted_by)
    write_map(facilities, output, options)
    say(f"{output}: {len(facilities)} facilities" + (f" (as of {as_of})" if as_of else ""))
    if png_path:
        from .snapshot import snapshot

        snapshot(facilities, png_path, replace(options, tiles=False))
        say(f"{png_path}: PNG 1200x630")
    if unlocated:
        say(f"not on the map, no location found: {', '.join(unlocated)}")
        ctx.exit(2)


def _with_counts(facilities, input_path, counts_paths, as_of, national=True, counted_by=None):
    """Join each --counts and pick --as-of; without --counts, data/counts.csv for the curated INPUT,
    and (``national``) only its nationwide totals for any other INPUT that carries none of its own
    (docs/join.md): an older export keeps the totals of its day.

    Says where nationwide totals carried by INPUT itself (a geomap export's provenance) come from,
    and warns when --counted-by names no organisation with a nationwide figure, so a typo never
    silently drops the headline's figure.
    """
    from .export import with_counts
    from .organisations import canonical_counted_by

    carried = len(facilities.attrs.get("national_totals") or [])
    if carried:
        say(f"nationwide totals: {carried} carried by {input_path} itself (its geomap provenance)")
    curated_counts = Path(curated_path(DEFAULT_COUNTS))
    national_from = None
    if not counts_paths and curated_counts.is_file():
        if is_curated(input_path):
            counts_paths = [str(curated_counts)]
        elif national and not carried:
            national_from = str(curated_counts)
    facilities, notes = with_counts(facilities, counts_paths, as_of, national_from)
    for line in notes:
        say(line)
    counting = sorted({total.get("counted_by") or "unknown" for total in facilities.attrs.get("national_totals") or []})
    if counted_by and counting and canonical_counted_by(counted_by) not in counting:
        say(f"warning: --counted-by {counted_by}: no nationwide figure is counted by it, so the headline leads with "
            f"none; organisations with nationwide figures: {', '.join(counting)}")
    return facilities


def _geocoded(input_path, settings):
    """Geocode INPUT for `build --geocode`: (located facilities, names of those left out)."""
    from .geocode import GeocodeOptions, check_geocoded, format_summary, geocode_frame
    from .load import read_locations

    located = geocode_frame(read_locations(input_path), GeocodeOptions(**settings))
    for line in format_summary(located.attrs["geocoding"]):
        say(line)
    check_geocoded(located)  # what reaches the page is checked like any input
    missing = located.geometry.isna() | located.geometry.is_empty
    return located[~missing], located.loc[missing, "name"].tolist()


@main.command()
@click.argument("facilities_path", metavar="FACILITIES", callback=_curated)
@click.argument("counts_path", metavar="COUNTS", callback=_curated)
@click.option("-o", "--output", help="GeoJSON to write ('-' = stdout)  [default: output/<FACILITIES stem>.joined.geojson]")
@click.option("--as-of", "as_of", metavar="DATE", help="Show the figure and status current on DATE (YYYY-MM-DD or YYYY-MM; default: the latest).")
@click.option("--aliases", "aliases_path", metavar="FILE", help="Crosswalk CSV with columns name,id for names the matcher cannot resolve.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on any unmatched or ambiguous row instead of reporting it.")
@click.option("--encoding", help="Encoding of a CSV COUNTS file (default: UTF-8 or UTF-16 by its BOM, else cp1252).")
@HEADER_ROW_OPTION
@RAW_CELLS_OPTION
def join(facilities_path, counts_path, output, as_of, aliases_path, strict, encoding, header_row, raw_cells):
    """Join dated detainee counts and status events from COUNTS onto FACILITIES.

    COUNTS is CSV (comma, semicolon or tab; UTF-8, UTF-16 or cp1252), XLSX or
    JSON records, with English or Spanish headers (title rows above them are
    skipped); names are matched to facility ids (exact, then fuzzy). Either
    file may be - (stdin). Every row lands in the match report
    <OUTPUT stem>.matches.csv; unmatched and ambiguous rows are listed on
    stderr. See docs/join.md.

    \b
    Examples:
      geomap join data/facilities.geojson data/counts.csv
      geomap join data/facilities.geojson examples/report.csv --as-of 2026-01-31 -o output/enero.geojson
      geomap join data/facilities.geojson reporte.xlsx --aliases crosswalk.csv --strict
    """
    from .errors import InputError
    from .export import export_facilities, read_export
    from .join import default_output, join_file, report_path, summary, write_report

    if facilities_path == counts_path == "-":
        raise InputError("geomap join: FACILITIES and COUNTS cannot both be - (stdin): save one to a file")
    output = output or default_output(facilities_path)
    facilities = read_export(facilities_path)
    joined, report = join_file(facilities, counts_path, as_of, aliases_path, strict, encoding, header_row)
    report_file = report_path(output, facilities_path)
    export_facilities(joined, "geojson", output)
    write_report(report, report_file, raw_cells)
    for line in summary(report, report_file, counts_path):
        say(line)


@main.command()
def schema():
    """Print the JSON Schema of a facility's properties (the one `validate` enforces).

    \b
    Example:
      geomap schema > facility.schema.json
    """
    import json

    from .schema import facility_schema

    click.echo(json.dumps(facility_schema(), indent=2, ensure_ascii=False))


@main.command("export")
@input_argument
@click.option("-f", "--format", "fmt", type=click.Choice(["geojson", "csv", "gpkg", "kml", "datapackage"]),
              help="Output format (datapackage: a folder of CSV tables + datapackage.json)  [default: from the -o suffix, else geojson]")
@click.option("-o", "--output", help="File (folder for datapackage) to write ('-' = stdout for geojson, csv, kml)  "
                                     "[default: output/<INPUT stem>.<format>; output/datapackage]")
@click.option("--precision", default=6, show_default=True, type=click.IntRange(0, 15), help="Decimals kept in coordinates (6 ≈ 0.1 m).")
@click.option("--excel", is_flag=True, help="CSV: write UTF-8 with a BOM so Excel shows accents correctly.")
@click.option("--counts-csv", "counts_output", metavar="PATH", help="Also write the counts history as a long CSV (one row per dated figure).")
@click.option("--counts", "counts_paths", metavar="FILE", callback=_curated, multiple=True,
              help="First join dated counts and status events from FILE (see `geomap join`); repeat to join several.")
@click.option("--as-of", "as_of", metavar="DATE", help="Show the figure and status current on DATE (YYYY-MM-DD or YYYY-MM).")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True, help="KML: language of the placemark descriptions.")
@COUNTED_BY_OPTION
@RAW_CELLS_OPTION
def export_command(input_path, fmt, output, precision, excel, counts_output, counts_paths, as_of, lang, counted_by,
                   raw_cells):
    """Export INPUT as GeoJSON, CSV, GeoPackage, KML or a Frictionless data package.

    INPUT is a facilities GeoJSON or any geomap export (default
    data/facilities.geojson). Every format keeps every field and records
    provenance (inputs with SHA-256, as-of date, sources); docs/data-model.md
    says how lists are written; docs/datapackage.md describes the package.

    \b
    Examples:
      geomap export --format csv --excel
      geomap export data/facilities.geojson --format gpkg -o out.gpkg --counts-csv out/counts.csv
      geomap export --counts data/counts.csv --as-of 2026-01 -f kml -o - > facilities.kml
      geomap export --format datapackage -o output/datapackage
    """
    from .export import default_output, export_facilities, format_for, read_export

    fmt = fmt or (output and format_for(output)) or "geojson"
    output = output or default_output(input_path, fmt)
    facilities = _with_counts(read_export(input_path), input_path, counts_paths, as_of, counted_by=counted_by)
    if counted_by:  # recorded in the provenance as the dataset's primary organisation
        from .organisations import canonical_counted_by

        facilities.attrs["primary_counted_by"] = canonical_counted_by(counted_by)
    export_facilities(facilities, fmt, output, precision=precision, excel=excel, counts_output=counts_output, lang=lang,
                      raw_cells=raw_cells)
    say(f"{output}: {len(facilities)} facilities ({fmt})")


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", help="GeoJSON to write ('-' = stdout)  [default: output/<INPUT stem>.geojson]")
@click.option("--country", metavar="CODE",
              help="ISO 3166-1 code of every CSV row  [default: the row's country column, else the country its point lies in]")
@HEADER_ROW_OPTION
@geocode_options
@click.pass_context
def geocode(ctx, input_path, output, country, header_row, **settings):
    """Locate facilities from names and addresses: honest, cached, resumable.

    INPUT is a CSV or XLSX (columns: name; optional id, address, city, state,
    country, lat, lon, in any case and with the usual synonyms: Name, Latitude,
    lng, Nombre, Estado...; NA is empty), a facilities GeoJSON with null
    geometries, or - (stdin). Each row tries, in order: its own coordinates, the
    curated gazetteer, the cache, the online geocoder (1 request/s), then the
    GeoNames town or state centre. Every answer is cached at once: interrupt and
    re-run to resume. OUTPUT gets the rows placed (it builds as it is); the rows
    not placed go to <OUTPUT stem>.unresolved.csv with the reason. Exit 0 when
    every row is located, 2 when some are not, 1 on bad input.
    See docs/geocoding.md.

    \b
    Examples:
      geomap geocode examples/sites.csv --offline
      geomap geocode sites.csv --user-agent "myorg-map/1.0 (me@example.org)"
      geomap geocode data/facilities.geojson --geocoder-url http://localhost:8080 -o -
    """
    from .geocode import GeocodeOptions, format_summary, geocode_file

    options = GeocodeOptions(**settings)
    try:
        summary = geocode_file(input_path, output, options, country=country, header_row=header_row)
    except KeyboardInterrupt:
        say("interrupted: every answer received is in the cache; run the same command to resume")
        ctx.exit(130)
    for line in format_summary(summary):
        say(line)
    say(f"{summary['output']}: {summary['rows'] - len(summary['unresolved'])} facilities")
    if summary["unresolved"]:
        ctx.exit(2)


@main.command()
@click.argument("report_path", metavar="REPORT")
@click.option("--to", "facilities_path", required=True, metavar="FACILITIES",
              help="The facilities GeoJSON to add to (rewritten in place, as data/facilities.geojson is kept).")
@click.option("--counts", "counts_path", metavar="COUNTS",
              help="The counts CSV the dated rows are appended to  [default with --to data/facilities.geojson: "
                   f"{DEFAULT_COUNTS}; otherwise the figures go into FACILITIES only]")
@click.option("--strict", is_flag=True, help="Fail (exit 1, nothing written) on any ambiguous row instead of listing it.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@geocode_options
@click.pass_context
def add(ctx, report_path, facilities_path, counts_path, strict, dry_run, **settings):
    """Add a report's rows to a dataset: new facilities, enriched ones, dated counts.

    REPORT is CSV, XLSX, JSON records or GeoJSON: a row per facility with its
    name (and id, city, state, country, lat/lon, address...) and, if known, a
    figure or status with its date and source (the columns `join` reads). A row
    naming a facility of FACILITIES (id, name, alias, or a close name in its
    state) fills what it lacks and adds the row's name to its aliases; any other
    row becomes a new facility, located by the geocoding chain (as `geocode`).
    Figures and statuses become dated rows of COUNTS. Ambiguous rows are listed,
    never guessed. Both files are written atomically, or neither. Exit 0 when
    every row is applied, 2 when some are not (listed), 1 on bad input.
    See docs/add.md.

    \b
    Examples:
      geomap add examples/additions.csv --to data/facilities.geojson --offline --dry-run
      geomap add report.xlsx --to data/facilities.geojson --counts data/counts.csv --user-agent "myorg/1.0 (me@example.org)"
      geomap add report.csv --to mine.geojson --counts mine-counts.csv --strict --offline
    """
    from .add import add_file, summary_lines
    from .geocode import GeocodeOptions, format_summary

    if counts_path is None and is_curated(facilities_path) and Path(facilities_path).is_file():
        counts_path = str(Path(facilities_path).parent / Path(DEFAULT_COUNTS).name)
    try:
        result = add_file(report_path, facilities_path, counts_path, GeocodeOptions(**settings), strict)
    except KeyboardInterrupt:
        say("interrupted: nothing written; every geocoding answer received is in the cache: run the same command to resume")
        ctx.exit(130)
    if not dry_run:
        result.write()
    for line in (format_summary(result.geocoding) if result.geocoding else []) + summary_lines(result, dry_run):
        say(line)
    if result.left_out:
        ctx.exit(2)


@main.command()
@input_argument
@click.option("-o", "--output", help="PNG file to write  [default: output/map.png; output/map.es.png with --lang es]")
@click.option("--size", metavar="WxH|PRESET",
              help="Picture size: WIDTHxHEIGHT, or og (1200x630, a link card), square (1080x1080) or portrait "
                   "(1080x1350) for posts  [default: og]")
@click.option("--width", type=int, help="Width in pixels (instead of --size; 800 or more).")
@click.option("--height", type=int, help="Height in pixels (instead of --size; 630 or more).")
@click.option("--counts", "counts_paths", metavar="FILE", callback=_curated, multiple=True,
              help="Join dated counts first, as `geomap build --counts` (repeatable).")
@click.option("--as-of", "as_of", metavar="DATE", help="The map as it stood on DATE (YYYY-MM-DD or YYYY-MM).")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
@COUNTED_BY_OPTION
@click.option("--title", help="Headline (default: a title in the chosen language).")
@click.option("--tiles", is_flag=True, help="Draw OpenStreetMap tiles under the map (needs the network).")
def snapshot(input_path, output, size, width, height, counts_paths, as_of, lang, counted_by, title, tiles):
    """Save a PNG picture of the map, drawn by headless chromium.

    A picture, not a page: the legend only explains (nothing to click), a
    caption gives the data's date and who counted the figures, the most
    crowded spot (Caracas, in the curated data) is magnified in an inset and
    facilities at one point are fanned out. Needs Debian's chromium
    (apt-get install -y chromium) and Playwright (pip install 'geomap[png]').
    Without --tiles it uses no network.

    \b
    Examples:
      geomap snapshot -o output/map.png
      geomap snapshot --lang es --size square -o output/mapa-cuadrado.png
      geomap snapshot --size portrait -o output/map-portrait.png
      geomap snapshot --size 1600x900 -o output/map-wide.png
    """
    from .errors import InputError
    from .load import read_facilities
    from .render import MapOptions
    from .snapshot import SIZES, parse_size
    from .snapshot import snapshot as take_snapshot

    if size and (width or height):
        raise InputError(f"--size {size}: give --size or --width/--height, not both")
    if size:
        width, height = parse_size(size)
    else:
        width, height = parse_size(f"{width or SIZES['og'][0]}x{height or SIZES['og'][1]}", option="--width/--height")
    output = output or default_output(lang, ".png")
    facilities = _with_counts(read_facilities(input_path), input_path, counts_paths, as_of, counted_by=counted_by)
    options = MapOptions(lang=lang, title=title, as_of=as_of, counted_by=counted_by, tiles=tiles)
    take_snapshot(facilities, output, options, width, height)
    say(f"{output}: PNG {width}x{height}")


@main.command()
@click.argument("url")
@click.option("--title", help="The iframe's title for screen readers (default: the map title).")
@click.option("--height", type=click.IntRange(min=100), help="Fixed height in pixels instead of an aspect ratio.")
@click.option("--aspect", default="4:3", show_default=True, help="Width:height of the frame, e.g. 16:9.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
def embed(url, title, height, aspect, lang):
    """Print a responsive iframe snippet for a map published at URL.

    Build the page with `geomap build --embed`, publish it, then paste the
    snippet into the article. The frame is sandboxed: the map runs, source
    links open in a new tab, and nothing can reach the host page.

    \b
    Example:
      geomap build --embed -o output/embed.html
      geomap embed https://example.org/maps/embed.html --aspect 16:9
    """
    from .render import iframe_snippet

    click.echo(iframe_snippet(url, title=title, height=height, aspect=aspect, lang=lang))


@main.command()
@click.argument("old_path", metavar="[OLD", required=False)
@click.argument("new_path", metavar="NEW]", required=False)
@click.option("--since", "since", metavar="REV",
              help="Compare this repository's data (data/facilities.geojson + data/counts.csv) at git revision REV "
                   "with the working tree's, instead of two files.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON for machines (structure: docs/diff.md) instead of Markdown.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True, help="Language of the Markdown bulletin.")
@click.option("-o", "--output", default="-", show_default=True, help="File to write ('-' = stdout).")
def diff(old_path, new_path, since, as_json, lang, output):
    """Write the bulletin of what changed between two versions of the dataset.

    OLD and NEW are geomap exports (GeoJSON as `geomap export` writes it, counts
    joined) or the curated data/facilities.geojson (its counts joined, as build
    does). The bulletin lists facilities added, removed and renamed, status
    changes, each organisation's figures per facility and nationwide (never one
    organisation's figure against another's) and corrections, with dates and
    sources: Markdown to paste into a newsletter, or --json. Exit 0, also when
    nothing changed ("No changes"). See docs/diff.md.

    \b
    Examples:
      geomap diff output/january.geojson output/february.geojson -o bulletin.md
      geomap diff examples/facilities-previous.geojson data/facilities.geojson
      geomap diff --since 38a52c3 --lang es
      geomap diff --since v1.0 --json -o changes.json
    """
    from .diff import bulletin_json, bulletin_markdown, diff_datasets, read_since
    from .errors import InputError
    from .export import read_export
    from .files import atomic_write

    if since is not None:
        if old_path or new_path:
            raise InputError("geomap diff: give two versions (OLD NEW) or --since REV, not both")
        old, new, old_label = read_since(since)
        bulletin = diff_datasets(old, new, old_label, "working tree")
    elif old_path == new_path == "-":
        raise InputError("geomap diff: OLD and NEW cannot both be - (stdin): save one to a file")
    elif old_path and new_path:
        old, new = (_with_counts(read_export(path), path, (), None, national=False) for path in (old_path, new_path))
        bulletin = diff_datasets(old, new)
    else:
        raise InputError("geomap diff: give two versions to compare (geomap diff OLD NEW) or --since REV")
    text = bulletin_json(bulletin) if as_json else bulletin_markdown(bulletin, lang)
    with atomic_write(output) as handle:
        handle.write(text)
