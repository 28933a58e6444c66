"""Writes that respect the user: atomic for files, in place for streams, modes kept.

A regular file is replaced only once the new one is complete (temp file beside it,
then rename). The new file gets the mode the umask gives a new file, or the mode
(and, where allowed, the owner) of the file it replaces. A FIFO, a device or a
descriptor name such as ``/dev/stdout`` is written in place: renaming over it would
replace the pipe or the device link with a plain file.
"""

import contextlib
import hashlib
import io
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from .errors import OutputError

#: Names of open descriptors: whatever they point to is the caller's, never replaced.
_DESCRIPTOR = re.compile(r"/dev/(stdin|stdout|stderr|fd/[0-9]+)|/proc/(self|thread-self|[0-9]+)/fd/[0-9]+")


def written_in_place(path):
    """True for an existing FIFO, device or socket, or a name that reaches one through /dev/fd or /proc."""
    name = os.path.abspath(path)
    for _ in range(40):  # the symlink chain, as the kernel's limit
        if _DESCRIPTOR.fullmatch(name):
            return True
        if not os.path.islink(name):
            break
        name = os.path.normpath(os.path.join(os.path.dirname(name), os.readlink(name)))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _umask():
    """The process umask, read without changing it where Linux says it (/proc), else by setting it back."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _take_over(tmp_name, path):
    """Give the temp file the mode (and owner, if allowed) of ``path``, or a new file's mode."""
    try:
        earlier = os.stat(path)
    except FileNotFoundError:
        os.chmod(tmp_name, 0o666 & ~_umask())
        return
    mine = os.stat(tmp_name)
    if (earlier.st_uid, earlier.st_gid) != (mine.st_uid, mine.st_gid):
        for owner in ((earlier.st_uid, earlier.st_gid), (-1, earlier.st_gid)):
            with contextlib.suppress(PermissionError):
                os.chown(tmp_name, *owner)  # before chmod: a chown clears set-id bits
                break
    os.chmod(tmp_name, stat.S_IMODE(earlier.st_mode))


def _raise_output_error(exc, path, names):
    """Raise a failure about the output as one line (old file kept); return for anything else."""
    # a full disk or a folder in the way is about the output; an error about some other
    # file (an input, an asset) passes through as it is
    if isinstance(exc, OSError) and exc.filename in (None, *names):
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc}); earlier file left as it was") from exc


@contextlib.contextmanager
def _open_in_place(path, mode, **kwargs):
    """The FIFO or device itself, opened for appending (a descriptor's file is the caller's to truncate)."""
    try:
        handle = open(path, mode.replace("w", "a"), **kwargs)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc}); choose another -o path") from exc
    try:
        with handle:
            yield handle
    except OSError as exc:
        _raise_output_error(exc, path, (str(path),))
        raise


@contextlib.contextmanager
def _stdout_bytes():
    """Stdout's bytes (what was printed to it as text goes first), flushed at the end."""
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        raise OutputError("-: this stdout takes text only (a notebook's?): give a file name with -o")
    yield stream
    stream.flush()


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a fresh temp *path*; on success it replaces ``path`` (or is copied into a stream;
    ``-`` is stdout).

    For writers that take a file name (GDAL, a browser's screenshot); :func:`atomic_write`
    wraps it for file objects. A failure inside the block removes the temp file and leaves any
    earlier ``path`` exactly as it was.
    """
    stdout = str(path) == "-"
    path = Path(path)
    if stdout or written_in_place(path):
        with tempfile.TemporaryDirectory(prefix="geomap-") as folder:
            tmp = Path(folder) / f"output{suffix or '.tmp'}"
            yield tmp
            with open(tmp, "rb") as source, (_stdout_bytes() if stdout else _open_in_place(path, "wb")) as target:
                shutil.copyfileobj(source, target)
        return
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
        _take_over(tmp_name, path)
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        _raise_output_error(exc, path, (tmp_name, str(path)))
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

    ``path`` of ``-`` writes to stdout instead (bytes, or text in ``encoding``, never the
    locale's: a GeoJSON is UTF-8 under the C locale too); a FIFO, device or ``/dev/stdout``
    is written in place, as it is produced.
    """
    if str(path) == "-" and "b" not in mode and getattr(sys.stdout, "buffer", None) is None:
        yield sys.stdout  # a notebook's stdout takes text only
        sys.stdout.flush()
        return
    if str(path) == "-":
        with _stdout_bytes() as stream:
            if "b" in mode:
                yield stream
                return
            text = io.TextIOWrapper(stream, encoding=encoding, newline=newline, write_through=True)
            try:
                yield text
                text.flush()
            finally:
                text.detach()  # stdout itself stays open
        return
    kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
    if written_in_place(path):
        with _open_in_place(path, mode, **kwargs) as handle:
            yield handle
        return
    with atomic_path(path) as tmp, open(tmp, mode.replace("w", "x"), **kwargs) as handle:
        yield handle


def sha256_file(path):
    """Hex SHA-256 of a file, for provenance records and the asset manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_directory(path, replaceable):
    """Yield a fresh temp folder beside ``path``; on success it becomes ``path``.

    For outputs that are folders (a data package). An existing ``path`` is replaced
    only when it is empty or ``replaceable(path)`` says it is an earlier output of the
    same kind; anything else is an OutputError, so a user's folder is never clobbered.
    A failure inside the block removes the temp folder and leaves ``path`` as it was.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file, and this output is a folder: choose a new folder with -o")
    if path.is_dir() and any(path.iterdir()) and not replaceable(path):
        raise OutputError(f"{path}: folder is not empty and holds no earlier geomap output: choose a new or empty folder with -o")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror}); choose another -o path") from exc
    old = path.parent / f"{tmp.name}.old"
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if path.is_dir():
            os.rename(path, old)  # a folder cannot be renamed over a non-empty one: move the earlier aside
        try:
            os.rename(tmp, path)
        except OSError:
            if old.is_dir():
                os.rename(old, path)
            raise
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _raise_output_error(exc, path, (str(tmp), str(path), str(old)))
        raise
    shutil.rmtree(old, ignore_errors=True)
