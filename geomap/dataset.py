"""The curated dataset, wherever geomap runs: ``data/`` in a clone, else the copy installed with it.

The repository keeps one copy of the data, in ``data/``. Building the wheel copies
``data/facilities.geojson``, ``data/counts.csv`` and ``data/README.md`` into the package
as ``geomap/_data`` (see setup.py), so an installed geomap maps the same dataset and
matches the same gazetteer from any folder.
"""

from importlib import resources
from pathlib import Path

from . import DEFAULT_COUNTS, DEFAULT_FACILITIES

#: The package folder the wheel carries the dataset in.
EMBEDDED = "_data"


def curated_path(path):
    """``path``; for ``data/facilities.geojson`` or ``data/counts.csv`` missing from the
    current folder, the curated copy this geomap was installed with.

    The two names stand for the curated dataset: in a clone its ``data/`` files; from
    any other folder the copy inside the installed package (importlib.resources), or
    the source tree's ``data/`` when geomap runs from a checkout (PYTHONPATH, editable).
    Any other path is returned as it is, so a missing file is reported under its own name.
    """
    if str(path) not in (DEFAULT_FACILITIES, DEFAULT_COUNTS) or Path(path).is_file():
        return path
    embedded = resources.files(__package__).joinpath(EMBEDDED, Path(path).name)
    if embedded.is_file():
        return Path(str(embedded))
    checkout = Path(__file__).resolve().parent.parent / path
    return checkout if checkout.is_file() else path


def is_curated(path):
    """Whether ``path`` is the curated facilities file (so its counts join by default)."""
    curated = Path(curated_path(DEFAULT_FACILITIES))
    return curated.is_file() and Path(curated_path(path)).resolve() == curated.resolve()
