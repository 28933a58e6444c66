"""Outputs respect the user: the umask, an existing file's mode and owner, pipes and devices.

Never run against paths outside tmp_path: a writer that replaces what it is given
would replace the machine's own /dev/stdout or /dev/null.
"""

import contextlib
import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.files import atomic_path, atomic_write

FIXTURES = Path(__file__).parent / "fixtures"


@contextlib.contextmanager
def umask(mask):
    earlier = os.umask(mask)
    try:
        yield
    finally:
        os.umask(earlier)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def export(output, fmt="geojson"):
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "small.geojson"), "-f", fmt, "-o", str(output)])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("mask, expected", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, mask, expected):
    with umask(mask):
        export(tmp_path / "new.geojson")
        with atomic_write(tmp_path / "new.txt") as handle:
            handle.write("x")
    assert mode(tmp_path / "new.geojson") == expected
    assert mode(tmp_path / "new.txt") == expected


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_a_replaced_file_keeps_its_mode(tmp_path, fmt):
    output = tmp_path / f"private.{fmt}"
    output.write_text("old", encoding="utf-8")
    output.chmod(0o600)
    with umask(0o022):
        export(output, fmt)
    assert mode(output) == 0o600
    assert output.read_bytes() != b"old"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_a_replaced_file_keeps_its_owner(tmp_path):
    output = tmp_path / "theirs.geojson"
    output.write_text("old", encoding="utf-8")
    os.chown(output, 4321, 4322)
    export(output)
    assert (os.stat(output).st_uid, os.stat(output).st_gid) == (4321, 4322)


@contextlib.contextmanager
def fifo_reader(tmp_path):
    """A FIFO with a thread reading it whole; yields (path, what was read once the block ends)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    yield fifo, received
    reader.join(10)  # a bound, not a timing: a replaced FIFO would leave the reader waiting
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    with fifo_reader(tmp_path) as (fifo, received):
        export(fifo)
    assert received and b'"FeatureCollection"' in received[0]


def test_geocode_writes_into_a_fifo_whatever_its_name(tmp_path):
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("name,lat,lon\nRetén X,8.1,-63.5\n", encoding="utf-8")
    with fifo_reader(tmp_path) as (fifo, received):
        result = CliRunner().invoke(main, ["geocode", str(csv_path), "--offline", "-o", str(fifo),
                                           "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 0, result.output
    assert received and b'"Ret\xc3\xa9n X"' in received[0]


def test_a_file_name_writer_through_a_fifo_is_copied_in_whole(tmp_path):
    with fifo_reader(tmp_path) as (fifo, received), atomic_path(fifo, suffix=".bin") as tmp:
        tmp.write_bytes(b"\x00" * 200_000)  # more than a pipe holds: the copy must stream
    assert received == [b"\x00" * 200_000]


def test_a_link_to_standard_output_writes_to_standard_output(tmp_path, capfd):
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is; the real one stays untouched
    with atomic_write(link) as handle:
        handle.write("to the terminal\n")
    assert link.is_symlink()
    assert capfd.readouterr().out == "to the terminal\n"


def test_a_descriptor_name_that_reaches_a_file_appends_to_it(tmp_path):
    target = tmp_path / "redirected.txt"
    with open(target, "w", encoding="utf-8") as redirected:  # as a shell's `3> redirected.txt`
        redirected.write("before\n")
        redirected.flush()
        link = tmp_path / "fd"
        link.symlink_to(f"/proc/self/fd/{redirected.fileno()}")
        with atomic_write(link) as handle:
            handle.write("after\n")
        assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "before\nafter\n"


def test_a_character_device_is_written_into(tmp_path):
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
        null.write_bytes(b"probe")
    except PermissionError:
        pytest.skip("no device nodes here (not root, or a nodev mount)")
    export(null)
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_regular_file_is_still_replaced_atomically(tmp_path):
    output = tmp_path / "out.txt"
    output.write_text("old", encoding="utf-8")
    inode = os.stat(output).st_ino
    with pytest.raises(RuntimeError), atomic_write(output) as handle:
        handle.write("half")
        raise RuntimeError("writer failed")
    assert output.read_text(encoding="utf-8") == "old"
    with atomic_write(output) as handle:
        handle.write("new")
    assert output.read_text(encoding="utf-8") == "new"
    assert os.stat(output).st_ino != inode  # a rename, not a rewrite
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]
