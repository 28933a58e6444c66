"""PNG sizes for the usual posts."""

import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from geomap.cli import main
from geomap.errors import InputError
from geomap.snapshot import SIZES, parse_size

from conftest import REPO

SMALL = REPO / "tests/fixtures/small.geojson"


def test_sizes_are_the_usual_posts_or_width_by_height():
    assert SIZES == {"og": (1200, 630), "square": (1080, 1080), "portrait": (1080, 1350)}
    assert parse_size("og") == (1200, 630) and parse_size("Portrait") == (1080, 1350)
    assert parse_size("1080x1080") == (1080, 1080) and parse_size(" 800X600 ") == (800, 600)
    for bad in ("huge", "1200x", "x630", "1200*630", "100x100", "9000x600"):
        with pytest.raises(InputError, match="og .1200x630.*square.*portrait"):
            parse_size(bad)


def test_cli_refuses_a_bad_size_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "card.png"
    for args in (["--size", "poster"], ["--size", "og", "--width", "800"]):
        result = CliRunner().invoke(main, ["snapshot", str(SMALL), *args, "-o", str(out)])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("error: --size")
        assert not out.exists()


@pytest.mark.browser
def test_cli_size_preset_gives_its_exact_dimensions(tmp_path):
    # its own process: Playwright's sync API cannot start twice in the thread the browser fixture uses
    out = tmp_path / "portrait.png"
    subprocess.run([sys.executable, "-m", "geomap", "snapshot", str(SMALL), "--size", "portrait", "-o", str(out)],
                   check=True, timeout=120)
    assert Image.open(out).size == (1080, 1350)
