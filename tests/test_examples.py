"""examples/ and the README's Use section: every command there runs as written from a fresh clone."""

import shlex

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.load import read_locations

from conftest import REPO


def test_a_sites_csv_saved_by_spanish_excel_is_read(tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_bytes("Nombre;Ciudad;Estado;Latitud;Longitud\r\nRetén de Caraballeda;Caraballeda;La Guaira;;\r\n"
                     "Cárcel X;Maturín;Monagas;9,75;-63,18\r\n".encode("cp1252"))
    facilities = read_locations(path)
    first, second = facilities.to_dict("records")
    assert (first["name"], first["city"], first["state"]) == ("Retén de Caraballeda", "Caraballeda", "La Guaira")
    assert facilities.geometry.iloc[0] is None
    assert (second["name"], facilities.geometry.iloc[1].x, facilities.geometry.iloc[1].y) == ("Cárcel X", -63.18, 9.75)
