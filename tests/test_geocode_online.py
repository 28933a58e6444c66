"""The online steps against a real HTTP server on 127.0.0.1 answering like Nominatim."""

import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import Response

from geomap.cli import main
from geomap.errors import InputError
from geomap.geocode import GeocodeOptions, geocode_frame
from geomap.geocode.providers import OnlineGeocoder
from geomap.load import read_locations

USER_AGENT = "geomap-tests/1.0 (tests@example.org)"
RODEO = {"name": "Internado Judicial Rodeo I", "city": "Guatire (municipio Zamora)", "state": "Miranda"}


def write_csv(path, rows):
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)] + [",".join(f'"{row.get(c, "")}"' for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(tmp_path, nominatim, rows, **settings):
    """Geocode ``rows`` against the fake server (no spacing, no backoff unless asked)."""
    options = {"gazetteer": None, "cache": tmp_path / "cache.sqlite", "geocoder_url": nominatim.url,
               "user_agent": USER_AGENT, "min_delay": 0, "backoff": 0, "timeout": 5} | settings
    facilities = read_locations(write_csv(tmp_path / "rows.csv", [{"country": "VE"} | row for row in rows]))
    return geocode_frame(facilities, GeocodeOptions(**options), progress=False)


def geocoding(frame, index=0):
    return frame.iloc[index]["geocoding"]


def test_prison_hit_is_site_precise_traceable_and_cached(tmp_path, nominatim):
    town = nominatim.place("Guatire", 10.47, -66.54, osm_class="place", osm_type_tag="town", rank=16, addresstype="town", osm_type="relation", osm_id=9)
    prison = nominatim.place("Rodeo I", 10.48, -66.50, osm_id=123)
    nominatim.places["rodeo"] = [town, prison]
    located = run(tmp_path, nominatim, [RODEO])
    row = located.iloc[0]
    assert (row.geometry.x, row.geometry.y) == (-66.50, 10.48)
    assert row["location_precision"] == "site"
    assert row["location_source"] == "https://www.openstreetmap.org/way/123"
    assert row["location_as_of"] == located.attrs["geocoding"]["date"]
    assert geocoding(located) | {"provider": None} == {
        "step": "nominatim", "provider": None, "query": "Internado Judicial Rodeo I, Guatire, Miranda",
        "osm_type": "way", "osm_id": 123, "class": "amenity", "type": "prison", "place_rank": 30,
        "addresstype": "amenity", "attribution": prison["licence"]}
    (request,) = nominatim.requests
    assert request["user_agent"] == USER_AGENT
    assert request["args"]["countrycodes"] == "ve"
    assert located.attrs["geocoding"]["unresolved"] == []


def test_warm_cache_sends_no_request(tmp_path, nominatim):
    nominatim.places["rodeo"] = [nominatim.place("Rodeo I", 10.48, -66.50)]
    run(tmp_path, nominatim, [RODEO])
    again = run(tmp_path, nominatim, [RODEO])
    assert len(nominatim.requests) == 1
    assert geocoding(again)["step"] == "cache"
    assert again.iloc[0]["location_precision"] == "site"


def test_duplicate_queries_are_sent_once(tmp_path, nominatim):
    nominatim.places["rodeo"] = [nominatim.place("Rodeo I", 10.48, -66.50)]
    rows = [RODEO | {"id": f"rodeo_{n}"} for n in range(3)] + [RODEO | {"id": "shouting", "name": "INTERNADO JUDICIAL RODEO I!"}]
    located = run(tmp_path, nominatim, rows)
    assert len(nominatim.requests) == 1
    assert [geocoding(located, i)["step"] for i in range(4)] == ["nominatim", "cache", "cache", "cache"]


def test_empty_answer_falls_through_to_locality(tmp_path, nominatim):
    located = run(tmp_path, nominatim, [RODEO])
    row = located.iloc[0]
    assert geocoding(located)["step"] == "locality"
    assert row["location_precision"] == "locality"
    assert "no result" in geocoding(located)["earlier_steps"][0]


@pytest.mark.parametrize("country, state, why", [("co", "Miranda", "in CO, not VE"), ("ve", "Zulia", "in Zulia, not Miranda")])
def test_result_outside_the_rows_country_or_state_is_rejected(tmp_path, nominatim, country, state, why):
    nominatim.places["rodeo"] = [nominatim.place("Rodeo", 4.6, -74.1, country=country, state=state)]
    located = run(tmp_path, nominatim, [RODEO])
    assert geocoding(located)["step"] == "locality"
    assert why in geocoding(located)["earlier_steps"][0]


def test_429_waits_as_long_as_retry_after_says(tmp_path, nominatim):
    nominatim.script.append(Response("slow down", status=429, headers={"Retry-After": "1"}))
    nominatim.places["rodeo"] = [nominatim.place("Rodeo I", 10.48, -66.50)]
    located = run(tmp_path, nominatim, [RODEO])
    first, second = nominatim.requests
    assert second["time"] - first["time"] >= 1.0
    assert geocoding(located)["step"] == "nominatim"


def test_server_errors_are_retried_a_bounded_number_of_times_then_the_provider_is_stopped(tmp_path, nominatim):
    nominatim.script.extend(Response("oops", status=500) for _ in range(3))
    rows = [RODEO, {"name": "Retén de Caraballeda", "city": "Caraballeda", "state": "La Guaira"}]
    located = run(tmp_path, nominatim, rows, max_retries=2)
    assert len(nominatim.requests) == 3  # the second row is not sent to a failing server
    assert [geocoding(located, i)["step"] for i in range(2)] == ["locality", "locality"]
    assert "HTTP 500" in located.attrs["geocoding"]["notes"][0]
    assert "not asked" in geocoding(located, 1)["earlier_steps"][0]


def test_a_response_slower_than_the_timeout_is_a_failure_not_a_hang(tmp_path, nominatim):
    def slow(request):
        import time

        time.sleep(1.0)
        return Response("[]", content_type="application/json")

    nominatim.script.append(slow)
    located = run(tmp_path, nominatim, [RODEO], timeout=0.3, max_retries=0)
    assert geocoding(located)["step"] == "locality"
    assert "GeocoderTimedOut" in geocoding(located)["earlier_steps"][0]


def test_invalid_json_is_reported_and_not_cached(tmp_path, nominatim):
    nominatim.script.append(Response("<html>maintenance</html>", content_type="application/json"))
    located = run(tmp_path, nominatim, [RODEO])
    assert "not valid JSON" in geocoding(located)["earlier_steps"][0]
    run(tmp_path, nominatim, [RODEO])
    assert len(nominatim.requests) == 2  # the failed query was asked again on the next run


def test_connection_refused_falls_through(tmp_path, nominatim):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    located = run(tmp_path, nominatim, [RODEO], geocoder_url=f"http://127.0.0.1:{closed_port}", max_retries=1)
    assert geocoding(located)["step"] == "locality"
    assert "GeocoderUnavailable" in geocoding(located)["earlier_steps"][0]


def test_requests_reach_the_server_at_least_one_second_apart_even_when_one_is_slow_to_go_out(
        tmp_path, nominatim, monkeypatch):
    """The limiter waits from the end of the previous answer, so the server (not only the
    client) sees the spacing, however long a request takes to leave a loaded machine."""
    import requests

    send = requests.Session.get

    def slow_first_send(session, *args, **kwargs):
        if not nominatim.requests:
            time.sleep(0.3)  # a loaded machine: the first connection takes a while
        return send(session, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "get", slow_first_send)
    nominatim.places["rodeo"] = [nominatim.place("Rodeo I", 10.48, -66.50)]  # found: no other step runs between
    rows = [RODEO, RODEO | {"name": "Internado Judicial Rodeo II"}]
    run(tmp_path, nominatim, rows, min_delay=1.0)
    first, second = nominatim.requests
    assert second["time"] - first["time"] >= 1.0 - 1e-6  # the margin is float rounding, not jitter


def test_a_resumed_run_repeats_no_completed_query(tmp_path, nominatim, monkeypatch):
    rows = [RODEO | {"name": f"Rodeo {n}"} for n in range(1, 5)]
    sent = OnlineGeocoder._request

    def interrupted_on_third(self, query, options):
        if self.requests_sent == 2:
            raise KeyboardInterrupt
        return sent(self, query, options)

    monkeypatch.setattr(OnlineGeocoder, "_request", interrupted_on_third)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, nominatim, rows)
    monkeypatch.setattr(OnlineGeocoder, "_request", sent)
    run(tmp_path, nominatim, rows)
    assert nominatim.queries == [f"Rodeo {n}, Guatire, Miranda" for n in range(1, 5)]


def test_public_nominatim_needs_an_identifying_user_agent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEOMAP_USER_AGENT", raising=False)
    with pytest.raises(InputError, match="User-Agent"):
        OnlineGeocoder("nominatim")
    csv_path = write_csv(tmp_path / "rows.csv", [RODEO])
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 1
    assert "GEOMAP_USER_AGENT" in result.output


def test_cli_geocodes_through_a_self_hosted_server(tmp_path, nominatim, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nominatim.places["rodeo"] = [nominatim.place("Rodeo I", 10.48, -66.50)]
    csv_path = write_csv(tmp_path / "rows.csv", [RODEO])
    output = tmp_path / "out.geojson"
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", str(output), "--gazetteer", str(tmp_path / "none.geojson"),
                                       "--cache", str(tmp_path / "c.sqlite"), "--geocoder-url", nominatim.url,
                                       "--user-agent", USER_AGENT])
    assert result.exit_code == 1  # an explicit gazetteer that does not exist is bad input
    small = Path(__file__).parent / "fixtures" / "small.geojson"  # a gazetteer without Rodeo I: it goes online
    result = CliRunner().invoke(main, ["geocode", str(csv_path), "-o", str(output), "--cache", str(tmp_path / "c.sqlite"),
                                       "--gazetteer", str(small), "--geocoder-url", nominatim.url],
                                env={"GEOMAP_USER_AGENT": USER_AGENT})
    assert result.exit_code == 0, result.output
    assert "nominatim/site" in result.output
    assert nominatim.requests[0]["user_agent"] == USER_AGENT
