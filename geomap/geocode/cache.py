"""The persistent geocoder cache: every provider answer, kept as soon as it arrives.

One SQLite file (default under the user cache dir) with one row per
``(provider, query key)``. Each answer is committed on its own, so an interrupted
run loses nothing and the next run sends no query that was already answered.
Empty answers are answers too; failures (timeouts, 5xx) are not cached.
"""

import json
import sqlite3
from pathlib import Path

import platformdirs

from ..errors import InputError
from .text import fold


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
        except (sqlite3.DatabaseError, OSError) as exc:
            raise InputError(f"{self.path}: cannot use as the geocoding cache ({exc}); pass another --cache PATH") from None

    @staticmethod
    def encode(candidates):
        """The stored form of an answer (JSON text)."""
        return json.dumps(candidates, ensure_ascii=False)

    def get(self, provider, key):
        """Return ``(candidates, answered_at)`` or ``None`` when the query was never answered."""
        row = self._db.execute(
            "SELECT answer, answered_at FROM answers WHERE provider = ? AND query = ?", (provider, key)
        ).fetchone()
        return None if row is None else (json.loads(row[0]), row[1])

    def put(self, provider, key, candidates, answered_at):
        """Store one answer and commit it at once (a crash right after keeps it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
            (provider, key, self.encode(candidates), answered_at),
        )
        self._db.commit()

    def __len__(self):
        return self._db.execute("SELECT count(*) FROM answers").fetchone()[0]

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
