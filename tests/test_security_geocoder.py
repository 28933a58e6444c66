"""A hostile geocoder on 127.0.0.1: its answers are rejected with a reason, never crash, never cached.

The corpus below is ours: each payload is something a broken or malicious server
can send (NaN, wrapped longitudes, lists for objects, bombs, trickles, redirects).
"""

import gzip
import json
import re
import socket
import sqlite3
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_geocode_online import RODEO, USER_AGENT, run, write_csv
from werkzeug import Response

from geomap.cli import main
from geomap.geocode import GeocodeOptions, geocode_frame
from geomap.geocode.cache import GeocodeCache
from geomap.geocode.providers import NominatimAnswer, PhotonAnswer
from geomap.load import read_locations


def place(**changes):
    """A valid Nominatim prison result for RODEO with ``changes`` applied (None removes a key)."""
    from conftest import FakeNominatim

    result = FakeNominatim.place("Rodeo I", 10.48, -66.50) | changes
    return {key: value for key, value in result.items() if value is not None}


def json_response(body, **headers):
    return Response(body if isinstance(body, (str, bytes)) else json.dumps(body), content_type="application/json",
                    headers=headers)


def rejected(located):
    """The one-line reasons of the summary's rejected answers."""
    reasons = [entry["reason"] for entry in located.attrs["geocoding"]["rejected"]]
    assert all("\n" not in reason for reason in reasons)
    return reasons


def cached_entries(tmp_path):
    with GeocodeCache(tmp_path / "cache.sqlite") as cache:
        return len(cache)


BAD_RESULTS = {
    "lat NaN text": [place(lat="nan")],
    "lat Infinity text": [place(lat="inf")],
    "lat overflowing text": [place(lat="1e999")],
    "lat out of range": [place(lat="91")],
    "lon that geopy would wrap": [place(lon="1000.5")],
    "lat not a number": [place(lat="ten")],
    "lat with underscores": [place(lat="1_0")],
    "lat as boolean": [place(lat=True)],
    "lat missing": [place(lat=None)],
    "place_rank as text": [place(place_rank="30")],
    "place_rank too large": [place(place_rank=31)],
    "place_rank negative": [place(place_rank=-1)],
    "place_rank fractional": [place(place_rank=2.5)],
    "place_rank boolean": [place(place_rank=True)],
    "address a list": [place(address=["VE"])],
    "address value a list": [place(address={"state": ["Miranda"], "country_code": "ve"})],
    "class a list": [place(**{"class": ["amenity"]})],
    "osm_id as text": [place(osm_id="123")],
    "osm_id negative": [place(osm_id=-5)],
    "result not an object": ["Rodeo I"],
    "answer an object, not a list": {"lat": "10.48", "lon": "-66.50"},
    "answer a number": 3,
}


@pytest.mark.parametrize("payload", BAD_RESULTS.values(), ids=BAD_RESULTS.keys())
def test_a_malformed_answer_is_rejected_with_its_reason_and_not_cached(tmp_path, nominatim, payload):
    nominatim.script.append(json_response(payload))
    located = run(tmp_path, nominatim, [RODEO], max_retries=0)
    (reason,) = rejected(located)
    assert "nominatim answer rejected" in reason
    assert located.iloc[0]["geocoding"]["step"] == "locality"  # the offline fallback still works
    assert cached_entries(tmp_path) == 0


def test_a_wrapping_longitude_is_never_turned_into_another_place(tmp_path, nominatim):
    nominatim.places["rodeo"] = [place(lon="1000.5")]
    located = run(tmp_path, nominatim, [RODEO])
    assert "lon '1000.5' is not a finite number in [-180, 180]" in rejected(located)[0]
    assert located.iloc[0].geometry.x != pytest.approx(-79.5)


@pytest.mark.parametrize("body, why", [
    ('[{"lat": NaN, "lon": -66.5}]', "not valid JSON"),
    ('[{"lat": 10, "lon": Infinity}]', "not valid JSON"),
    (b"\xff\xfe[]", "not valid JSON"),
    ("[" * 5000 + "]" * 5000, "nests deeper than 32 levels"),
    (json.dumps([place(extratags=json.loads("[" * 40 + "]" * 40))]), "nests deeper than 32 levels"),
], ids=["NaN literal", "Infinity literal", "not UTF-8", "nested 5000 deep", "deep inside a valid result"])
def test_non_json_is_rejected_not_crashed_on(tmp_path, nominatim, body, why):
    nominatim.script.append(json_response(body))
    located = run(tmp_path, nominatim, [RODEO], max_retries=0)
    assert why in located.iloc[0]["geocoding"]["earlier_steps"][0]
    assert cached_entries(tmp_path) == 0


def test_the_point_comes_from_the_raw_answer(tmp_path, nominatim):
    nominatim.places["rodeo"] = [place(lat="10.4812345678", lon="-66.5098765432")]
    row = run(tmp_path, nominatim, [RODEO]).iloc[0]
    assert (row.geometry.x, row.geometry.y) == (-66.5098765432, 10.4812345678)


@pytest.mark.parametrize("feature, why", [
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1000.5, 10.48]}, "properties": {}}, "lon 1000.5"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-66.5]}, "properties": {}}, "not [lon, lat]"),
    ({"type": "Feature", "geometry": [], "properties": {}}, "geometry is [], not an object"),
    ({"type": "Feature", "geometry": {"coordinates": [-66.5, 10.48]}, "properties": {"postcode": 1010}}, "postcode is 1010"),
    ({"type": "Feature", "geometry": {"coordinates": [-66.5, 10.48]}, "properties": []}, "properties is []"),
])
def test_photon_answers_are_checked_too(tmp_path, nominatim, httpserver, feature, why):
    httpserver.expect_request("/api").respond_with_json({"type": "FeatureCollection", "features": [feature]})
    located = run(tmp_path, nominatim, [RODEO], geocoder="photon", max_retries=0)
    (reason,) = rejected(located)
    assert "photon answer rejected" in reason and why in reason
    assert cached_entries(tmp_path) == 0


def test_a_body_past_the_size_cap_is_cut_off(tmp_path, nominatim):
    padding = [place(display_name="x" * 1000) for _ in range(20)]  # ~26 KB
    nominatim.script.append(json_response(padding))
    nominatim.script.append(Response((json.dumps(padding)[i:i + 100] for i in range(0, 30000, 100)),
                                     content_type="application/json"))  # no Content-Length: streamed
    rows = [RODEO, RODEO | {"name": "Rodeo II"}]
    located = run(tmp_path, nominatim, rows, max_answer_bytes=10_000, max_retries=0)
    first, second = rejected(located)
    assert "bytes, more than the 10,000-byte limit" in first  # said by Content-Length
    assert "is more than the 10,000-byte limit" in second
    assert cached_entries(tmp_path) == 0


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(tmp_path, nominatim):
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]", compresslevel=9)  # ~50 KB that inflate to 50 MB
    nominatim.script.append(json_response(bomb, **{"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        located = run(tmp_path, nominatim, [RODEO], max_retries=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "inflates to more than the 1,048,576-byte limit" in rejected(located)[0]
    assert peak < 20_000_000  # never the 50 MB inflated body


def test_a_compressed_answer_within_the_caps_is_read(tmp_path, nominatim):
    nominatim.script.append(json_response(gzip.compress(json.dumps([place()]).encode()), **{"Content-Encoding": "gzip"}))
    row = run(tmp_path, nominatim, [RODEO]).iloc[0]
    assert (row["geocoding"]["step"], row.geometry.x) == ("nominatim", -66.5)


def test_an_unknown_content_encoding_is_refused(tmp_path, nominatim):
    nominatim.script.append(json_response(b"\x00garbage", **{"Content-Encoding": "br"}))
    located = run(tmp_path, nominatim, [RODEO], max_retries=0)
    assert "Content-Encoding 'br'" in rejected(located)[0]


def test_a_trickled_body_is_cut_off_at_the_deadline(tmp_path, nominatim):
    def trickle(request):
        def drip():
            yield b"["
            for _ in range(100):  # 20 s at this pace: far past the deadline, each byte well within the timeout
                time.sleep(0.2)
                yield b" "
        return Response(drip(), content_type="application/json")

    nominatim.script.append(trickle)
    located = run(tmp_path, nominatim, [RODEO], deadline=1.0, timeout=5, max_retries=0)
    assert "within the 1 s deadline" in located.iloc[0]["geocoding"]["earlier_steps"][0]
    assert cached_entries(tmp_path) == 0


def test_the_cli_passes_the_deadline_on(tmp_path, monkeypatch):
    import geomap.geocode

    monkeypatch.chdir(tmp_path)
    seen, real = [], geomap.geocode.geocode_file

    def recording(input_path, output_path, options, **kwargs):
        seen.append(options.deadline)
        return real(input_path, output_path, options, **kwargs)

    monkeypatch.setattr(geomap.geocode, "geocode_file", recording)
    result = CliRunner().invoke(main, ["geocode", str(write_csv(tmp_path / "rows.csv", [RODEO])), "-o", "out.geojson",
                                       "--cache", "c.sqlite", "--offline", "--deadline", "2.5"])
    assert result.exit_code == 0, result.output
    assert seen == [2.5]


class TricklingHeaders:
    """A raw TCP server that sends a status line, then one header byte at a time, forever-ish."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection):
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not self.stop.wait(0.2):
                    connection.sendall(b"a")
            except OSError:
                pass  # the client hung up: what the deadline is for

    def close(self):
        self.stop.set()
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)


def test_trickled_headers_are_cut_off_at_the_deadline(tmp_path, nominatim):
    server = TricklingHeaders()
    try:
        located = run(tmp_path, nominatim, [RODEO], geocoder_url=server.url, deadline=1.0, timeout=5, max_retries=0)
    finally:
        server.close()
    assert "within the 1 s deadline" in located.iloc[0]["geocoding"]["earlier_steps"][0]


def test_a_redirect_to_another_server_is_not_followed(tmp_path, nominatim, httpserver):
    elsewhere = httpserver.url_for("/search").replace("127.0.0.1", "localhost")  # same port, another origin
    nominatim.script.append(Response("", status=302, headers={"Location": elsewhere + "?q=x"}))
    located = run(tmp_path, nominatim, [RODEO], max_retries=0)
    assert "redirected to another server (http://localhost:" in rejected(located)[0]
    assert len(nominatim.requests) == 1
    assert cached_entries(tmp_path) == 0


def test_a_redirect_within_the_server_is_followed(tmp_path, nominatim, httpserver):
    httpserver.expect_request("/moved").respond_with_json([place()])
    nominatim.script.append(Response("", status=301, headers={"Location": "/moved?format=json"}))
    row = run(tmp_path, nominatim, [RODEO]).iloc[0]
    assert (row["geocoding"]["step"], row.geometry.x) == ("nominatim", -66.5)


def test_a_hostile_retry_after_is_not_logged_raw(tmp_path, nominatim, caplog):
    nominatim.script.append(Response("slow", status=429, headers={"Retry-After": "\x1b[2J soon"}))
    run(tmp_path, nominatim, [RODEO], max_retries=1)
    assert len(nominatim.requests) == 2
    logged = [record.getMessage() for record in caplog.records if record.name.startswith("geopy")]
    assert not [message for message in logged if "\x1b" in message]  # geopy logs a Retry-After it cannot read


POISON = {
    "NaN": '[{"lat": NaN, "lon": -66.5, "address": "x", "raw": {}}]',
    "out of range": json.dumps([{"lat": 10.48, "lon": 1000.5, "address": "x", "raw": place()}]),
    "text coordinates": json.dumps([{"lat": "10.48", "lon": "-66.5", "address": "x", "raw": place()}]),
    "raw a list": json.dumps([{"lat": 10.48, "lon": -66.5, "address": "x", "raw": []}]),
    "not a list": json.dumps({"lat": 10.48}),
    "not JSON": "{oops",
}


@pytest.mark.parametrize("poison", POISON.values(), ids=POISON.keys())
def test_a_poisoned_cache_entry_is_ignored_with_a_note_and_asked_again(tmp_path, nominatim, poison):
    nominatim.places["rodeo"] = [place()]
    run(tmp_path, nominatim, [RODEO])
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:  # what an older geomap could have written
        db.execute("UPDATE answers SET answer = ?", (poison,))
    offline = run(tmp_path, nominatim, [RODEO], offline=True)
    assert "the cached answer is invalid" in offline.iloc[0]["geocoding"]["earlier_steps"][0]
    assert "ignored an entry" in offline.attrs["geocoding"]["notes"][0]
    again = run(tmp_path, nominatim, [RODEO])
    assert again.iloc[0]["geocoding"]["step"] == "nominatim"
    assert len(nominatim.requests) == 2
    assert run(tmp_path, nominatim, [RODEO]).iloc[0]["geocoding"]["step"] == "cache"  # replaced by the good answer


def test_the_cli_reports_rejected_answers_in_one_line_without_a_traceback(tmp_path, nominatim, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nominatim.script.append(json_response([place(lat="nan")]))
    csv_path = write_csv(tmp_path / "rows.csv", [RODEO])
    small = Path(__file__).parent / "fixtures" / "small.geojson"  # a gazetteer without Rodeo I: it goes online
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", str(tmp_path / "out.geojson"), "--gazetteer", str(small),
                                       "--country", "VE", "--cache", str(tmp_path / "c.sqlite"), "--geocoder-url", nominatim.url,
                                       "--user-agent", USER_AGENT])
    assert result.exit_code == 0, result.output
    assert "1 answers rejected:" in result.output
    assert "lat 'nan' is not a number" in result.output
    assert "Traceback" not in result.output


# Property: whatever body the server sends, a row is placed at a finite in-range point or
# rejected with a one-line reason; nothing else escapes and nothing invalid is cached.
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | \
    st.sampled_from(["10.48", "-66.5", "nan", "1e999", "91", "-181", "ve", "amenity", "prison"])
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=20)
nominatim_fields = st.sampled_from(["lat", "lon", "place_rank", "address", "class", "type", "osm_type", "osm_id",
                                    "display_name", "addresstype", "licence"])
nominatim_like = st.lists(st.dictionaries(nominatim_fields, json_values | scalars, max_size=11), max_size=3)
photon_fields = st.sampled_from(["osm_key", "osm_value", "osm_type", "osm_id", "type", "countrycode", "state", "name"])
photon_like = st.builds(
    lambda features: {"type": "FeatureCollection", "features": features},
    st.lists(st.fixed_dictionaries({"type": st.just("Feature"),
                                    "geometry": st.fixed_dictionaries({"coordinates": st.lists(scalars, max_size=3)}) | json_values,
                                    "properties": st.dictionaries(photon_fields, scalars, max_size=8) | json_values}), max_size=3))
bodies = (nominatim_like | photon_like | json_values).map(lambda value: json.dumps(value, allow_nan=True).encode()) | \
    st.binary(max_size=64)
ANSWERS = {"nominatim": NominatimAnswer, "photon": PhotonAnswer}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(service=st.sampled_from(sorted(ANSWERS)), body=bodies)
def test_any_body_gives_a_valid_point_or_a_one_line_reason(httpserver, service, body):
    httpserver.clear()
    httpserver.expect_request(re.compile("/(search|api)")).respond_with_response(json_response(body))
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache.sqlite"
        facilities = read_locations(write_csv(Path(folder) / "rows.csv", [{"name": "Rodeo I", "state": "Miranda", "country": "VE"}]))
        options = GeocodeOptions(gazetteer=None, cache=cache, geocoder=service, geocoder_url=httpserver.url_for("/"),
                                 user_agent=USER_AGENT, min_delay=0, backoff=0, max_retries=0, timeout=5)
        row = geocode_frame(facilities, options, progress=False).iloc[0]
        if row["geocoding"]["step"] == service:
            assert -180 <= row.geometry.x <= 180 and -90 <= row.geometry.y <= 90
        else:
            reason = row["geocoding"]["earlier_steps"][0]
            assert reason.startswith(f"{service}: ") and "\n" not in reason
        with GeocodeCache(cache) as stored:
            for (answer,) in stored._db.execute("SELECT answer FROM answers"):
                ANSWERS[service].check_candidates(json.loads(answer))


def test_one_thread_keeps_every_requests_deadline():
    """Deadlines share one thread (no timer thread per request): a short deadline set after a long one
    still expires first."""
    from geomap.geocode.http import _Watchdog

    expired = threading.Event()

    class Noted(_Watchdog):
        def expire(self):
            super().expire()
            expired.set()

    long, short = Noted(3600), Noted(0.05)
    with long:
        with short:
            assert expired.wait(30)
        assert short.expired and not long.expired
    assert [thread.name for thread in threading.enumerate()].count("geomap-deadlines") == 1
