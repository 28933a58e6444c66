"""--workers and --min-delay: a server of one's own at full speed, the public ones at their policy.

Against real HTTP servers on 127.0.0.1; concurrency is measured by what the server sees at once
(its own counters), never by timing.
"""

import os
import signal
import threading

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions, geocode_frame
from geomap.geocode.cache import GeocodeCache
from geomap.geocode.providers import OnlineGeocoder

from test_geocode_online import RODEO, USER_AGENT, run, write_csv


def rows_and_places(server, n=24):
    """``n`` rows whose answers exercise every path: a prison, a town only, an answer in another
    country (rejected), nothing for the name but a hit for the address, and duplicates."""
    rows, places = [], server.places
    for k in range(n):
        name = f"Prison {k:03d}"
        kind = k % 4
        if kind == 0:
            places[name.casefold()] = [server.place(name, 10 + k / 100, -66 - k / 100, osm_id=1000 + k)]
        elif kind == 1:
            places[name.casefold()] = [server.place("Guatire", 10.47, -66.54, osm_class="place", osm_type_tag="town",
                                                    rank=16, addresstype="town", osm_type="relation", osm_id=9)]
        elif kind == 2:
            places[name.casefold()] = [server.place(name, 4.6, -74.1, country="co", state="Bogotá")]
        row = RODEO | {"id": f"p{k:03d}", "name": name}
        if kind == 3:
            row["address"] = f"Calle {k:03d}"
            places[f"calle {k:03d}"] = [server.place(f"Calle {k:03d}", 10.4, -66.6, osm_class="highway",
                                                     osm_type_tag="residential", rank=26, addresstype="road")]
        rows.append(row)
    rows += [rows[0] | {"id": "again_0"}, rows[5] | {"id": "again_5"}, rows[3] | {"id": "again_3"}]
    return rows


def _comparable(frame):
    summary = dict(frame.attrs["geocoding"])
    summary.pop("cache")
    return (frame.drop(columns="geometry").to_dict("records"), [point.wkt if point else None for point in frame.geometry],
            summary)


def test_public_servers_refuse_less_than_their_policy():
    online = {"user_agent": USER_AGENT}
    for settings in ({"min_delay": 0.5}, {"workers": 2},
                     {"url": "https://nominatim.openstreetmap.org", "min_delay": 0},
                     {"service": "photon", "min_delay": 0.2}, {"service": "photon", "workers": 3},
                     {"service": "photon", "url": "https://photon.komoot.io", "workers": 2}):
        option = "--min-delay" if "min_delay" in settings else "--workers"
        host = "photon.komoot.io" if settings.get("service") == "photon" else "nominatim.openstreetmap.org"
        with pytest.raises(InputError, match=f"^{option} .*{host}.*usage policy.*--geocoder-url"):
            OnlineGeocoder(**online | settings)
    OnlineGeocoder(**online, min_delay=1, workers=1)  # the policy itself is fine
    OnlineGeocoder(url="http://127.0.0.1:8080", min_delay=0, workers=8)  # one's own server: as fast as it goes
    with pytest.raises(InputError, match="--workers 0"):
        OnlineGeocoder(url="http://127.0.0.1:8080", workers=0)
    with pytest.raises(InputError, match="--min-delay -1"):
        OnlineGeocoder(url="http://127.0.0.1:8080", min_delay=-1)


def test_cli_refuses_them_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    csv_path = write_csv(tmp_path / "rows.csv", [RODEO])
    for args in (["--workers", "4"], ["--min-delay", "0.1"]):
        result = CliRunner().invoke(main, ["geocode", str(csv_path), "--user-agent", USER_AGENT,
                                           "--cache", str(tmp_path / "c.sqlite"), *args])
        assert result.exit_code == 1, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: {args[0]} {args[1]}: ") and "nominatim.openstreetmap.org" in line
        assert not (tmp_path / "output").exists()


def test_workers_send_requests_at_once(tmp_path, threaded_nominatim):
    rows = [row for row in rows_and_places(threaded_nominatim, 12) if "address" not in row][:8]  # one query each
    threaded_nominatim.hold = threading.Barrier(4, timeout=20)  # each request waits until 4 are in: only 4 workers pass
    located = run(tmp_path, threaded_nominatim, rows, workers=4)
    assert threaded_nominatim.most_in_flight == 4
    assert len(threaded_nominatim.requests) == 8 and not threaded_nominatim.hold.broken
    assert located.attrs["geocoding"]["requests_sent"] == 8


def test_one_worker_sends_one_request_at_a_time(tmp_path, threaded_nominatim):
    rows = rows_and_places(threaded_nominatim, 8)
    run(tmp_path, threaded_nominatim, rows)
    assert threaded_nominatim.most_in_flight == 1


def test_output_is_the_same_with_any_number_of_workers(tmp_path, threaded_nominatim):
    rows = rows_and_places(threaded_nominatim)
    results = {}
    for workers in (1, 4):
        sent_before = len(threaded_nominatim.requests)
        folder = tmp_path / str(workers)
        folder.mkdir()
        located = run(folder, threaded_nominatim, rows, workers=workers)
        results[workers] = _comparable(located), sorted(threaded_nominatim.queries[sent_before:])
    assert results[4] == results[1]
    records = results[1][0][0]
    steps = {record["geocoding"]["step"] for record in records}
    assert steps == {"nominatim", "cache", "locality"}  # every path ran: answers, duplicates, fall-through
    assert any(record["geocoding"].get("query", "").startswith("Calle") for record in records)  # the address query


def test_an_interrupted_run_with_workers_resumes_asking_nothing_twice(tmp_path, threaded_nominatim):
    rows = rows_and_places(threaded_nominatim)
    answer, once = threaded_nominatim._answer, threading.Lock()

    def interrupt_at_the_tenth(request):
        if len(threaded_nominatim.requests) >= 9 and once.acquire(blocking=False):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, while requests are in flight
        return answer(request)

    threaded_nominatim._answer = interrupt_at_the_tenth
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, threaded_nominatim, rows, workers=4)
    threaded_nominatim._answer = answer
    first = len(threaded_nominatim.requests)
    with GeocodeCache(tmp_path / "cache.sqlite") as cache:
        assert len(cache) == first  # every answer that came is kept
    assert first < 30  # 24 names and 6 addresses to ask in all
    resumed = run(tmp_path, threaded_nominatim, rows, workers=4)
    queries = threaded_nominatim.queries
    assert len(queries) == len(set(queries))  # nothing asked twice across the two runs
    folder = tmp_path / "clean"
    folder.mkdir()
    clean = run(folder, threaded_nominatim, rows, workers=4)
    assert [p.wkt for p in resumed.geometry] == [p.wkt for p in clean.geometry]
    assert resumed["location_precision"].tolist() == clean["location_precision"].tolist()


def test_build_and_geocode_share_the_options():
    for command in ("geocode", "build"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert "--workers" in result.output and "--min-delay" in result.output
    assert GeocodeOptions().workers == 1 and GeocodeOptions().min_delay == 1.0


def test_with_the_gazetteer_each_row_keeps_its_own_match_with_any_number_of_workers(tmp_path, threaded_nominatim):
    """The first pass over the rows (asking ahead) keeps the gazetteer's results by row number: a CSV's
    rows are numbered from its header, and each row must get its own result, not its neighbour's."""
    rows = rows_and_places(threaded_nominatim, 8)
    rows[2:2] = [RODEO | {"id": "rodeo", "name": "Rodeo I"}, RODEO | {"id": "helix", "name": "El Helicoide",
                                                                       "state": "Distrito Capital"}]
    rows.insert(7, RODEO | {"id": "yare_typo", "name": "Carcel de Yare III", "city": ""})
    results = {}
    for workers in (1, 4):
        folder = tmp_path / str(workers)
        folder.mkdir()
        results[workers] = _comparable(run(folder, threaded_nominatim, rows, workers=workers, gazetteer="data/facilities.geojson"))
    assert results[4] == results[1]
    steps = {record["id"]: record["geocoding"]["step"] for record in results[1][0]}
    assert steps["rodeo"] == steps["helix"] == steps["yare_typo"] == "gazetteer"
    assert {steps[row["id"]] for row in rows if row["id"].startswith("p")} == {"nominatim", "locality"}


def test_the_cache_commits_answers_together_and_everything_on_close(tmp_path, monkeypatch):
    """Answers arriving close together share one commit (COMMIT_SECONDS), and closing commits the rest:
    another reader (the next run) sees every answer once the cache is closed, however it ended."""
    from geomap.geocode import cache as caches

    now = [100.0]
    monkeypatch.setattr(caches.time, "monotonic", lambda: now[0])
    path = tmp_path / "cache.sqlite"

    def stored():
        with GeocodeCache(path) as reader:
            return len(reader)

    with pytest.raises(KeyboardInterrupt):
        with GeocodeCache(path) as cache:
            for k in range(3):
                cache.put("p", f"q{k}", [], "2026-12-01")
            assert stored() == 0  # in the open transaction, not yet committed
            now[0] += caches.COMMIT_SECONDS
            cache.put("p", "q3", [], "2026-12-01")
            assert stored() == 4  # the quarter-second passed: all four are committed
            cache.put("p", "q4", [], "2026-12-01")
            raise KeyboardInterrupt  # Ctrl-C before the next commit
    assert stored() == 5


def test_the_chain_locates_the_first_rows_while_later_ones_are_still_asked(tmp_path, threaded_nominatim, monkeypatch):
    """With workers, a row is located as soon as it and the rows before it have their answers: the
    last row's answer is held until the chain has located the first rows (or 30 s pass, then it fails)."""
    from geomap.geocode.chain import Chain, OnlineStep

    rows = [row for row in rows_and_places(threaded_nominatim, 12) if "address" not in row]
    last = rows[-1]["name"].casefold()
    located, first_rows_done = [], threading.Event()
    locate = Chain.locate

    def noting(self, row, point, number):
        found = locate(self, row, point, number)
        if not any(isinstance(step, OnlineStep) for step in self.steps):
            return found  # the first pass, which finds the rows to ask about
        located.append(row["id"])
        if len(located) == 2:
            first_rows_done.set()
        return found

    answer = threaded_nominatim._answer

    def holding_the_last(request):
        if last in request.args.get("q", "").casefold():
            assert first_rows_done.wait(30), "the chain waited for every answer before locating a row"
        return answer(request)

    monkeypatch.setattr(Chain, "locate", noting)
    threaded_nominatim._answer = holding_the_last
    together = run(tmp_path, threaded_nominatim, rows, workers=2)
    assert located[:2] == [rows[0]["id"], rows[1]["id"]] and len(located) == len(rows)
    folder = tmp_path / "one"
    folder.mkdir()
    threaded_nominatim._answer = answer
    assert _comparable(together) == _comparable(run(folder, threaded_nominatim, rows))


def test_answers_held_for_a_commit_lock_nothing_and_a_busy_cache_is_one_clear_error(tmp_path):
    """Answers waiting for their commit are held in memory, not in an open transaction: another
    geomap on the same cache writes meanwhile (a run waiting on the network blocked it for as long).
    A cache another program keeps locked is an InputError naming the file, not a traceback."""
    import sqlite3

    path = tmp_path / "cache.sqlite"
    with GeocodeCache(path) as cache:
        cache.put("p", "q0", [], "2026-12-01")
        cache.put("p", "q1", [], "2026-12-01")  # within COMMIT_SECONDS of the first: held
        assert cache.get("p", "q1") == ([], "2026-12-01")  # the run itself reads what it holds
        other = sqlite3.connect(path, timeout=0.1)
        with other:
            other.execute("INSERT INTO answers VALUES ('p', 'other', '[]', '2026-12-01')")  # not "database is locked"
        with other:
            other.execute("BEGIN IMMEDIATE")  # now the other program holds the write lock
            cache._db.execute("PRAGMA busy_timeout = 50")  # do not wait the default 5 s for it
            with pytest.raises(InputError, match=r"cache\.sqlite: cannot write to the geocoding cache .*--cache PATH"):
                cache.commit()
        other.close()
    with GeocodeCache(path) as reader:
        assert len(reader) == 3  # the held answers were written on close, once the lock was let go


def test_a_search_that_raises_ends_the_run_with_its_error_and_no_row_waits_for_ever(tmp_path, threaded_nominatim, monkeypatch):
    """A provider error that is not a ProviderFailure (a bug) is the run's error: the rows sharing
    that query are released instead of waiting for an answer that will never come."""
    from geomap.geocode import chain

    rows = rows_and_places(threaded_nominatim, 8)
    rows.insert(1, dict(rows[0], id="twin"))  # shares the first row's query, asked at the same time
    search, twin_waits = OnlineGeocoder.search, threading.Event()

    class Answer(chain.Future):  # a query's answer, which a row that shares it waits for
        def result(self, timeout=None):
            twin_waits.set()
            return super().result(timeout)

    def broken(self, query, country=None):
        if query.startswith(rows[0]["name"]):
            twin_waits.wait(30)  # the twin's worker has found the query taken and waits for its answer
            raise RuntimeError("a bug in a provider")
        return search(self, query, country)

    monkeypatch.setattr(chain, "Future", Answer)
    monkeypatch.setattr(OnlineGeocoder, "search", broken)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_raised(run, tmp_path, threaded_nominatim, rows, workers=4)), daemon=True)
    worker.start()
    worker.join(60)  # a generous bound for a loaded machine: the run takes well under a second
    assert not worker.is_alive(), "the run waits for ever on a query whose search raised"
    assert isinstance(outcome[0], RuntimeError) and str(outcome[0]) == "a bug in a provider"


def _raised(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 -- the test looks at what was raised
        return exc
    return None
