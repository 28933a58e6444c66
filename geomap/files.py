"""Atomic writes: an output is replaced only once the new one is complete."""

import contextlib
import hashlib
import os
import sys
import tempfile
from pathlib import Path

from .errors import OutputError


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a fresh temp *path* beside ``path``; rename it over ``path`` only on success.

    For writers that take a file name (GDAL); :func:`atomic_write` wraps it for
    file objects. A failure inside the block removes the temp file and leaves any
    earlier ``path`` exactly as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror}); choose another -o path") from exc
    os.close(fd)
    os.unlink(tmp_name)  # GDAL drivers refuse to overwrite an existing empty file
    try:
        yield Path(tmp_name)
        _fsync(tmp_name)  # on disk before it replaces the earlier file
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        # a full disk or a folder in the way is about the output: one line, old file kept;
        # an error about some other file (an input, an asset) passes through as it is
        if isinstance(exc, OSError) and exc.filename in (None, tmp_name, str(path)):
            raise OutputError(f"{path}: cannot write ({exc.strerror or exc}); earlier file left as it was") from exc
        raise


def _fsync(name):
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, mode="w", encoding="utf-8", newline=None):
    """Open a temp file beside ``path`` and rename it over ``path`` only on success.

    ``path`` of ``-`` writes to stdout instead (text or bytes by ``mode``).
    """
    if str(path) == "-":
        stream = sys.stdout.buffer if "b" in mode else sys.stdout
        yield stream
        stream.flush()
        return
    kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
    with atomic_path(path) as tmp, open(tmp, mode.replace("w", "x"), **kwargs) as handle:
        yield handle


def sha256_file(path):
    """Hex SHA-256 of a file, for provenance records and the asset manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
