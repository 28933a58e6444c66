"""Benchmark `geomap geocode --workers N` against a Nominatim-like server on 127.0.0.1.

The server runs in its own process (so it never competes with geomap for one interpreter's
lock), answers /search as Nominatim does (``format=json``, one prison per query, in the row's
country and state) after ``--latency`` seconds of simulated work per query, many at once. Each
run geocodes ``--rows`` distinct rows (cache empty, ``--min-delay 0``, the curated gazetteer matched
first unless ``--no-gazetteer``) and prints
rows/s for 1, 2 and 4 workers, and whether their outputs are the same. Results: docs/benchmarks.md.

    python benchmarks/geocode_workers.py [--rows 10000] [--latency 0.01] [--workers 1 2 4]
"""

import argparse
import csv
import json
import multiprocessing
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from geomap.geocode import GeocodeOptions, geocode_frame
from geomap.load import read_locations


class Nominatim(BaseHTTPRequestHandler):
    """``/search?q=NAME, TOWN, STATE``: one prison named NAME, after the server's latency."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real server behind nginx
    disable_nagle_algorithm = True  # headers and body leave at once (else a 40 ms delayed ACK per answer)
    latency = 0.0

    def do_GET(self):
        name = parse_qs(urlsplit(self.path).query).get("q", [""])[0].split(",")[0]
        time.sleep(self.latency)
        number = int(name.rsplit(" ", 1)[-1])
        body = json.dumps([{
            "place_id": number, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
            "osm_type": "way", "osm_id": number, "lat": str(10 + number % 1000 / 10000), "lon": str(-66 - number // 1000 / 1000),
            "class": "amenity", "type": "prison", "place_rank": 30, "importance": 0.3, "addresstype": "amenity",
            "name": name, "display_name": f"{name}, Miranda, Venezuela",
            "address": {"state": "Miranda", "country_code": "ve"}}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(latency, ports):
    Nominatim.latency = latency
    server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    ports.put(server.server_address[1])
    server.serve_forever()


def write_rows(path, count):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "city", "state", "country"])
        for number in range(count):
            writer.writerow([f"site_{number}", f"Centro de detención {number}", "Guatire", "Miranda", "VE"])


def run(rows_path, url, workers, folder, gazetteer=True):
    options = GeocodeOptions(cache=Path(folder) / f"cache-{workers}-{gazetteer}.sqlite", geocoder_url=url, min_delay=0,
                             workers=workers, backoff=0, **({} if gazetteer else {"gazetteer": None}))
    start = time.perf_counter()
    located = geocode_frame(read_locations(rows_path), options, progress=False)
    return time.perf_counter() - start, located


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.01, help="seconds the server works on each query")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--no-gazetteer", action="store_true", help="skip the curated gazetteer (rows of another country)")
    args = parser.parse_args()
    ports = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.latency, ports), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows_path = Path(folder) / "rows.csv"
            write_rows(rows_path, args.rows)
            print(f"{args.rows} rows, server latency {args.latency * 1000:g} ms per query, --min-delay 0, "
                  f"gazetteer {'off' if args.no_gazetteer else 'on'}")
            print(f"{'workers':>7} {'seconds':>8} {'rows/s':>7} {'requests':>8}  same output as 1 worker")
            first = None
            for workers in args.workers:
                seconds, located = run(rows_path, url, workers, folder, not args.no_gazetteer)
                summary = located.attrs["geocoding"]
                shown = located.drop(columns="geometry").to_dict("records"), [p.wkt for p in located.geometry]
                first = first or shown
                print(f"{workers:>7} {seconds:>8.1f} {args.rows / seconds:>7.0f} {summary['requests_sent']:>8}  "
                      f"{'yes' if shown == first else 'NO'}")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
