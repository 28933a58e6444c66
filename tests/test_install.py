"""geomap as a user gets it: an sdist and a wheel, installed in a fresh virtualenv, run outside any clone.

Offline: the sdist and wheel are built with the setuptools of this environment
(``--no-build-isolation``) and the virtualenv sees this environment's packages
(``--system-site-packages``), so nothing is downloaded: setuptools and wheel come
from the ``test`` extra. Marked ``install`` (about 40 s on a busy 2-core machine,
12 s of CPU); ``-m "not install"`` skips it while working on something else.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.render import block_text

from conftest import REPO

pytestmark = pytest.mark.install

#: Generated or local-only things a copy of the source tree leaves out.
NOT_SOURCE = shutil.ignore_patterns(".git", "output", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                    "node_modules")


def run(args, cwd, env=None):
    """Run a command; fail the test with its output when it fails."""
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sdist (built from a copy of the tree) and the wheel built from that sdist, as pip would."""
    root = tmp_path_factory.mktemp("build")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    run([sys.executable, "-c", "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
         root / "dist"], cwd=source)
    (sdist,) = (root / "dist").glob("geomap-*.tar.gz")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", root / "dist", sdist],
        cwd=root)
    (wheel,) = (root / "dist").glob("geomap-*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """A fresh virtualenv with only the wheel added: ``(its bin folder, environment to run it with)``."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], cwd=venv)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", built[1]], cwd=venv)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # not this clone's geomap
    where = run([python, "-c", "import geomap; print(geomap.__file__)"], cwd=venv, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), f"the venv imports geomap from {where}, not from the wheel"
    return venv / "bin", env


def test_installed_geomap_maps_the_curated_dataset_from_an_empty_folder(installed, tmp_path):
    bin_dir, env = installed
    done = run([bin_dir / "geomap", "build"], cwd=tmp_path, env=env)
    page = (tmp_path / "output" / "map.html").read_text("utf-8")
    assert "El Helicoide" in block_text(page, "gm-rows")
    assert "joined" in done.stderr and "_data/counts.csv" in done.stderr  # the counts were joined, from the wheel


def test_installed_geocode_uses_the_embedded_gazetteer(installed, tmp_path):
    bin_dir, env = installed
    (tmp_path / "sites.csv").write_text("name\nEl Helicoide\n", "utf-8")
    run([bin_dir / "geomap", "geocode", "sites.csv", "--offline", "--cache", tmp_path / "cache.sqlite"],
        cwd=tmp_path, env=env)
    (feature,) = json.loads((tmp_path / "output" / "sites.geojson").read_text("utf-8"))["features"]
    curated = json.loads((REPO / "data" / "facilities.geojson").read_text("utf-8"))["features"]
    helicoide = next(item for item in curated if item["properties"]["id"] == "helicoide")
    assert feature["properties"]["geocoding"]["step"] == "gazetteer"
    assert feature["geometry"]["coordinates"] == helicoide["geometry"]["coordinates"]


def test_the_wheel_embeds_the_dataset_once_and_no_tests(built):
    names = zipfile.ZipFile(built[1]).namelist()
    assert {"geomap/_data/facilities.geojson", "geomap/_data/counts.csv"} <= set(names)
    assert not [name for name in names if name.startswith(("tests/", "data/", "examples/"))]


def test_the_sdist_holds_what_its_tests_read(built):
    with tarfile.open(built[0]) as archive:
        shipped = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    needed = [path.relative_to(REPO).as_posix() for folder in ("tests", "data", "examples", "docs")
              for path in (REPO / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    needed += ["README.md", "setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "LICENSE"]
    assert [path for path in needed if path not in shipped] == []


def test_a_named_input_that_is_missing_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "nowhere.geojson"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: nowhere.geojson: no such file: check the path"
