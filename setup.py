"""Build hook: the curated dataset goes into the package as ``geomap/_data``.

The repository keeps one copy of the data, in ``data/`` (its docs and tests refer to
it there). An installed geomap needs it too, so that ``geomap build`` maps it and
``geomap geocode`` matches its gazetteer outside a clone: ``build_py`` copies it into
the built package, where :mod:`geomap.dataset` finds it. Everything else is in setup.cfg.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Files of data/ that travel inside the package (the README says where they come from).
DATASET = ("data/facilities.geojson", "data/counts.csv", "data/README.md")


class BuildPyWithDataset(build_py):
    """``build_py`` that also copies :data:`DATASET` to ``geomap/_data`` in the build."""

    def run(self):
        super().run()
        for source, target in self._dataset():
            self.mkpath(str(target.parent))
            self.copy_file(source, str(target))

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [str(target) for _, target in self._dataset()]

    def _dataset(self):
        return [(source, Path(self.build_lib) / "geomap" / "_data" / Path(source).name) for source in DATASET]


setup(cmdclass={"build_py": BuildPyWithDataset})
