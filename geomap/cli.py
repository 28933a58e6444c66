"""The ``geomap`` command line: a thin layer over the Python API.

Each command only parses options and calls one stage's function; errors from the
:class:`geomap.errors.GeomapError` family become one line each on stderr and an
exit code. ``--debug`` shows the traceback instead.
"""

import sys

import click

from . import DEFAULT_FACILITIES, DEFAULT_MAP, __version__
from .errors import GeomapError


class GeomapGroup(click.Group):
    """Turns GeomapError into one-line messages and exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeomapError as exc:
            if ctx.params.get("debug"):
                raise
            for problem in getattr(exc, "problems", ()):
                click.echo(f"error: {problem}", err=True)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GeomapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geomap")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug):
    """Map detention facilities with dated, sourced figures.

    \b
    Example: the default dataset to a self-contained map
      geomap build            # data/facilities.geojson -> output/map.html
    """


input_argument = click.argument("input_path", metavar="INPUT", default=DEFAULT_FACILITIES, required=False)


@main.command()
@click.argument("path", metavar="FILE")
def validate(path):
    """Check a facilities GeoJSON file against the data model.

    Prints one line per problem (file, feature index and id, field) and exits 1
    if there is any.

    \b
    Example:
      geomap validate data/facilities.geojson
    """
    from .load import read_facilities

    facilities = read_facilities(path)
    click.echo(f"{path}: {len(facilities)} facilities, valid", err=True)
