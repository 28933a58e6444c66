"""The persistent geocoder cache: every provider answer, kept as soon as it arrives.

One SQLite file (default under the user cache dir) with one row per
``(provider, query key)``. Answers are held in memory and written together, in one short
transaction, at most :data:`COMMIT_SECONDS` after they arrive (one commit each would cost a
self-hosted run ~1 ms an answer) and on close, Ctrl-C and errors included, so an interrupted run
loses nothing (a killed one at most the last fraction of a second), the next run sends no query
that was already answered, and no write lock is held while a run waits for the network (another
geomap on the same cache can write meanwhile).
Empty answers are answers too; failures (timeouts, 5xx) and rejected answers are
not cached. Entries are read back strictly (no ``NaN``): the caller checks their
shape, since a cache written by an older geomap may hold what it no longer accepts.
"""

import json
import re
import sqlite3
import time
from pathlib import Path

import orjson
import platformdirs

from ..errors import InputError
from .text import fold


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The longest an answer waits in memory before it is written.
COMMIT_SECONDS = 0.25


def default_cache_path():
    """``<user cache dir>/geomap/geocode.sqlite`` (e.g. ``~/.cache/geomap/`` on Linux)."""
    return platformdirs.user_cache_path("geomap") / "geocode.sqlite"


def cache_key(query, country):
    """The normalized query: case, accents and punctuation do not make a new query."""
    return f"{fold(query)}|{(country or '').lower()}"


class GeocodeCache:
    """Answers by provider and normalized query, in one SQLite file."""

    def __init__(self, path=None):
        self.path = Path(path) if path else default_cache_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            # WAL + NORMAL: a commit survives a crash or Ctrl-C of geomap (not a power cut) at ~1 ms a write
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, query TEXT NOT NULL,"
                " answer TEXT NOT NULL, answered_at TEXT NOT NULL, PRIMARY KEY (provider, query))"
                " WITHOUT ROWID"
            )
            self._db.commit()
            self._committed_at, self._pending = time.monotonic(), {}  # (provider, key) -> (answer, answered_at)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise InputError(f"{self.path}: cannot use as the geocoding cache ({exc}); pass another --cache PATH") from None

    @staticmethod
    def encode(candidates):
        """The stored form of an answer (JSON text)."""
        return json.dumps(candidates, ensure_ascii=False, allow_nan=False)

    def get(self, provider, key):
        """Return ``(candidates, answered_at)`` or ``None`` when the query was never answered.

        Raises ValueError (with the reason) for an entry that is not strict JSON
        with an ISO answer date.
        """
        row = self._pending.get((provider, key)) or self._db.execute(
            "SELECT answer, answered_at FROM answers WHERE provider = ? AND query = ?", (provider, key)
        ).fetchone()
        if row is None:
            return None
        answer, answered_at = row
        if not isinstance(answered_at, str) or not _DATE.fullmatch(answered_at):
            raise ValueError(f"answer date {answered_at!r:.40} is not YYYY-MM-DD")
        try:
            return orjson.loads(answer), answered_at
        except (orjson.JSONDecodeError, TypeError):
            raise ValueError("the stored answer is not strict JSON") from None

    def put(self, provider, key, candidates, answered_at):
        """Store one answer; it is written with the others of the last :data:`COMMIT_SECONDS`."""
        self._pending[provider, key] = (self.encode(candidates), answered_at)
        if time.monotonic() - self._committed_at >= COMMIT_SECONDS:
            self.commit()

    def commit(self):
        """Write the answers held in memory, in one transaction (the write lock only for that)."""
        if self._pending:
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                                         [(*where, *what) for where, what in self._pending.items()])
            except sqlite3.OperationalError as exc:  # e.g. another program holding the file's lock for long
                raise InputError(f"{self.path}: cannot write to the geocoding cache ({exc}); "
                                 "run again once the other program is done, or pass another --cache PATH") from None
            self._pending.clear()
        self._committed_at = time.monotonic()

    def __len__(self):
        self.commit()
        return self._db.execute("SELECT count(*) FROM answers").fetchone()[0]

    def close(self):
        """Write what is pending, then close (an interrupted run keeps every answer it got)."""
        try:
            self.commit()
        finally:
            self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
