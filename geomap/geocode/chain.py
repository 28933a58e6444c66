"""The resolution chain: each unlocated row tries the steps in order; the first hit wins.

input coordinates → curated gazetteer → cache → online provider → offline locality.
Every step that does not locate a row says why; the reasons of an unresolved row
go into its ``geocoding.unresolved`` and into the run's summary.
"""

import datetime as dt
import sys
import threading
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

import shapely
from tqdm import tqdm

from ..schema import PRECISIONS
from ..text import one_line
from .cache import cache_key
from .http import BadAnswer
from .providers import ProviderFailure
from .resolution import Resolution
from .text import similar, without_notes


def row_queries(row):
    """The free-form queries for a row: its name in its place, then its address there.

    At most two per row; Nominatim needs every word to match, so name and address
    are not mixed into one query.
    """
    place = [without_notes(row.get("city")), row.get("state")]
    queries = [", ".join(filter(None, [row.get("name"), *place]))]
    if row.get("address"):
        queries.append(", ".join(filter(None, [row["address"], *place])))
    return queries


def choose(candidates, row, answer):
    """The best acceptable candidate (prisons first) and the reasons others were rejected."""
    accepted, rejected = [], []
    for candidate in candidates:
        raw, label = candidate["raw"], candidate.get("address") or "a result"
        country, state = answer.country(raw), answer.state(raw)
        if answer.precision(raw) is None:
            rejected.append(f"{label}: coarser than a state")
        elif country and row.get("country") and country != row["country"]:
            rejected.append(f"{label}: in {country}, not {row['country']}")
        elif state and row.get("state") and not similar(state, row["state"]):
            rejected.append(f"{label}: in {state}, not {row['state']}")
        else:
            accepted.append(candidate)
    accepted.sort(key=lambda candidate: not answer.is_prison(candidate["raw"]))
    return (accepted[0] if accepted else None), rejected


class OnlineStep:
    """Steps c and d: the cache, then the provider, for each of a row's queries.

    Every answer is cached the moment it arrives (committed within a quarter-second); a query that failed
    is not sent again in the same run. A cached answer that fails the provider's
    checks (written by an older geomap) is ignored with a note and asked again.
    ``rejected`` lists the answers refused in this run, row by row, for the summary.
    ``fresh`` holds the answers :meth:`prefetch` asked ahead of the rows (or why none came).
    """

    def __init__(self, provider, cache, offline=False):
        self.provider, self.cache, self.offline = provider, cache, offline
        self.name = provider.service
        self.failed, self.fresh = {}, {}
        self.notes, self.rejected = [], []

    def _cached(self, query, key):
        """``(cached answer or None, why an entry was ignored or None)``; an ignored entry is noted once."""
        try:
            cached = self.cache.get(self.provider.id, key)
            if cached:
                self.provider.answer.check_candidates(cached[0])
            return cached, None
        except (BadAnswer, ValueError) as bad:
            problem = f"the cached answer is invalid ({one_line(bad)})"
            note = f"cache: ignored an entry for {query!r}: {problem}"
            if note not in self.notes:
                self.notes.append(note)
            return None, problem

    def resolve(self, row):
        reasons = []
        for query in row_queries(row):
            key = cache_key(query, row.get("country"))
            fresh = self.fresh.pop(key, None)  # asked ahead by a worker: as if asked now, for the first row asking
            if isinstance(fresh, ProviderFailure):
                self.failed[key] = fresh
            cached, problem = (None, None) if fresh else self._cached(query, key)
            if isinstance(fresh, tuple):
                (candidates, answered_at), step = fresh, self.name
            elif cached:
                (candidates, answered_at), step = cached, "cache"
            elif self.offline:
                reasons.append(f"{query!r}: {problem or 'not in the cache'} (offline)")
                continue
            elif key in self.failed:
                reasons.append(self._failure(row, query, self.failed[key]))
                continue
            else:
                try:
                    candidates = self.provider.search(query, row.get("country"))
                except ProviderFailure as failure:
                    self.failed[key] = failure
                    reasons.append(self._failure(row, query, failure))
                    continue
                answered_at, step = dt.date.today().isoformat(), self.name
                self.cache.put(self.provider.id, key, candidates, answered_at)
            best, rejected = choose(candidates, row, self.provider.answer)
            if best:
                return self._resolution(best, step, query, answered_at, rejected)
            reasons.append(f"{query!r}: " + ("; ".join(rejected) or "no result"))
        return "; ".join(reasons) or None

    def prefetch(self, rows, workers, progress=False):
        """Ask every query ``rows`` will send, ``workers`` at a time, ahead of the chain.

        Each worker asks a row's queries in order and stops at the first answer :func:`choose`
        accepts, as :meth:`resolve` does; a query two rows share is asked once. The chain takes the
        answers from ``fresh`` in input order as if it had asked them, so its output is the same for
        any number of workers. A generator: as answers arrive it yields how many of ``rows``, from
        the first, have all theirs, so the chain can locate those while later rows are asked (close
        it on an error). Answers are cached by this thread only (SQLite stays in one thread), as
        they arrive; on Ctrl-C what has not started is dropped, the requests in flight are answered
        and kept.
        """
        known, jobs = {}, []  # key -> cached candidates (None: to ask), read here
        for row in rows:
            queries = [(query, cache_key(query, row.get("country"))) for query in row_queries(row)]
            for query, key in queries:
                if key not in known:
                    cached = self._cached(query, key)[0]
                    known[key] = cached and cached[0]
            jobs.append((row, queries))
        claimed, lock, stop, arrived = {}, threading.Lock(), threading.Event(), deque()

        def ask(row, queries):
            for query, key in queries:
                candidates = known[key]
                if candidates is None:
                    with lock:
                        mine = key not in claimed
                        waiting = claimed.setdefault(key, Future())
                    if mine:
                        answer = None  # not asked: the run is stopping (or the search raised: the run's error)
                        try:
                            if not stop.is_set():
                                try:
                                    answer = self.provider.search(query, row.get("country")), dt.date.today().isoformat()
                                except ProviderFailure as failure:
                                    answer = failure
                                arrived.append((key, answer))  # before any row waiting for it can finish
                        finally:
                            waiting.set_result(answer)  # rows sharing the query never wait for ever
                    answer = waiting.result()
                    if answer is None:
                        break
                    if isinstance(answer, ProviderFailure):
                        continue
                    candidates = answer[0]
                if choose(candidates, row, self.provider.answer)[0]:
                    break

        with ThreadPoolExecutor(workers, thread_name_prefix="geocode") as pool:
            futures, ready = [pool.submit(ask, *job) for job in jobs], 0
            try:
                for _ in tqdm(as_completed(futures), total=len(futures), file=sys.stderr, disable=not progress,
                              unit="row", desc=f"asking {self.name}"):
                    while ready < len(futures) and futures[ready].done():
                        futures[ready].result()  # a worker's error is the run's
                        ready += 1
                    self._keep(arrived)  # after: every answer a finished row needs was put before it finished
                    yield ready
            except BaseException:  # Ctrl-C, or the chain's error (GeneratorExit)
                stop.set()
                for future in futures:
                    future.cancel()
                pool.shutdown(wait=True)
                self._keep(arrived)
                raise

    def _keep(self, arrived):
        """Cache and hold in ``fresh`` the answers the workers have received so far (``arrived``, a
        deque they append to). Each leaves the deque only once stored, so a Ctrl-C half-way through
        leaves the rest to the exit path (storing one twice is harmless)."""
        while arrived:
            key, answer = arrived[0]
            if isinstance(answer, tuple):
                self.cache.put(self.provider.id, key, *answer)
            self.fresh[key] = answer
            arrived.popleft()

    def _failure(self, row, query, failure):
        """The reason a query got nothing; a refused answer is also listed in ``rejected``."""
        reason = f"{query!r}: {failure}"
        if failure.rejected:
            self.rejected.append({"id": row.get("id"), "name": row.get("name"), "reason": reason})
        return reason

    def _resolution(self, candidate, step, query, answered_at, rejected):
        answer, raw = self.provider.answer, candidate["raw"]
        geocoding = {"step": step, "provider": self.provider.id, "query": query, **answer.identifiers(raw)}
        if rejected:
            geocoding["rejected"] = rejected
        return Resolution(
            lon=candidate["lon"],
            lat=candidate["lat"],
            precision=answer.precision(raw),
            source=answer.url(raw) or f"{self.provider.id} answer to {query!r} ({answered_at})",
            as_of=answered_at,
            geocoding=geocoding,
        )


class _Noted:
    """Stands in for a step in a first pass over the rows: notes each row that reaches it."""

    def __init__(self, name):
        self.name, self.rows = name, []

    def resolve(self, row):
        self.rows.append(row)


class Chain:
    """Runs the steps over rows and keeps the tally for the closing summary."""

    def __init__(self, steps, input_name="the input", force=False):
        self.steps, self.input_name, self.force = steps, input_name, force
        self.by_step = Counter()
        self.unresolved = []
        self._results, self._keep_results = {}, False  # (step, row number) -> result, from a first pass

    def prepare(self, rows, points):
        """Give the steps that work faster on many rows at once (``step.prepare``: the gazetteer's
        fuzzy match) the rows :meth:`locate` will ask them about, before it does."""
        asked = [row for row, point in zip(rows, points) if self.force or point is None or point.is_empty]
        for step in self.steps:
            if hasattr(step, "prepare"):
                step.prepare(asked)

    def reaching(self, step, rows, points, numbers):
        """The rows (as :meth:`locate` sees them) that the steps before ``step`` leave to it, and their
        positions in ``rows``; counted nowhere. The steps' results are kept by row number (``numbers``,
        as :meth:`locate` will be given them) for :meth:`locate`, which then does not run them again."""
        noted, positions = _Noted(step.name), []
        ahead = Chain(self.steps[:self.steps.index(step)] + [noted], self.input_name, self.force)
        ahead._results, ahead._keep_results = self._results, True
        for position, (number, row, point) in enumerate(zip(numbers, rows, points, strict=True)):
            ahead.locate(row, point, number)
            if len(noted.rows) > len(positions):
                positions.append(position)
        return noted.rows, positions

    def _resolve(self, step, row, number):
        """``step.resolve(row)``, or its result from a first pass over the same rows."""
        key = (id(step), number)
        if key in self._results:
            return self._results.pop(key)
        result = step.resolve(row)
        if self._keep_results and not isinstance(step, _Noted):
            self._results[key] = result
        return result

    def locate(self, row, point, number):
        """Return ``(properties, point)`` for one row (1-based ``number`` for messages).

        A row with coordinates keeps them unless forced; a forced row still keeps them
        when no step finds a point at least as precise (the reasons go in
        ``geocoding.force_failed``), so ``--force`` never loses a location.
        """
        row = dict(row)
        has_point = point is not None and not point.is_empty
        if has_point and not self.force:
            return self._keep_input(row, point, number)
        given = row.get("location_precision") or "approximate"
        # an unknown precision ranks as the coarsest; validation of the output names it
        input_rank = (PRECISIONS.index(given) if given in PRECISIONS else len(PRECISIONS)) if has_point else len(PRECISIONS)
        reasons = []
        for step in self.steps:
            result = self._resolve(step, row, number)
            if isinstance(result, Resolution) and PRECISIONS.index(result.precision) > input_rank:
                result = f"{result.precision} point, coarser than the input's {PRECISIONS[input_rank]}"
            if isinstance(result, Resolution):
                geocoding = {**result.geocoding, "earlier_steps": reasons} if reasons else result.geocoding
                row.update(location_precision=result.precision, location_source=result.source,
                           location_as_of=result.as_of, geocoding=geocoding)
                self.by_step[result.geocoding["step"], result.precision] += 1
                return row, shapely.Point(result.lon, result.lat)
            if result:
                reasons.append(f"{step.name}: {result}")
        if has_point:
            return self._keep_input(row, point, number, force_failed=reasons or ["no step applies"])
        row["geocoding"] = {"step": None, "unresolved": reasons or ["no step applies: give a name, city or state"]}
        self.unresolved.append({"row": number, "id": row.get("id"), "name": row.get("name"), "reasons": row["geocoding"]["unresolved"]})
        return row, None

    def _keep_input(self, row, point, number, force_failed=None):
        """The row located at its own coordinates (step ``input``)."""
        row["location_precision"] = row.get("location_precision") or "approximate"
        row["location_source"] = row.get("location_source") or f"coordinates given in {self.input_name}, row {number}"
        if force_failed:
            row["geocoding"] = {"step": "input", "force_failed": force_failed}
        else:
            row["geocoding"] = row.get("geocoding") or {"step": "input"}
        self.by_step["input", row["location_precision"]] += 1
        return row, point
