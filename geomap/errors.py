"""One error family, so the CLI can print one line and pick the exit code."""


class GeomapError(Exception):
    """Base class: the message is one line that names the thing and the fix."""

    exit_code = 1


class InputError(GeomapError):
    """Bad input: a missing file, broken JSON, a feature that breaks the schema.

    ``problems`` holds every :class:`geomap.schema.Problem` found, so the CLI can
    print all of them, one per line, instead of stopping at the first.
    """

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class NetworkError(GeomapError):
    """A remote service failed in a way retries did not fix."""


class OutputError(GeomapError):
    """An output could not be written; any earlier output is left untouched."""
