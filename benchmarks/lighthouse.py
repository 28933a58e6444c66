"""Lighthouse on the default map page, served as a web server hosting an embed would serve it.

Builds the default page (data/facilities.geojson + data/counts.csv), with and without base-map
tiles, serves it from a small threaded http.server on 127.0.0.1 — once gzip-compressed
(``Content-Encoding: gzip``, as the web servers that host embeds send HTML) and once as is — and
runs Lighthouse 12 on each (its default mobile preset: simulated slow 4G and a 4x slower CPU)
``--runs`` times. Prints a Markdown table of medians: the performance, accessibility and best
practices scores, total blocking time, first and largest contentful paint, and the page's bytes
raw and gzipped; then every audit that did not pass in any run. Not a test: timings vary with
the machine. Needs Lighthouse and chromium:

    npm install --prefix /tmp/lh lighthouse@12
    python benchmarks/lighthouse.py [--runs 3] [--lighthouse /tmp/lh/node_modules/.bin/lighthouse]
"""

import argparse
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from geomap import DEFAULT_FACILITIES
from geomap.cli import main as geomap_cli
from geomap.snapshot import CHROMIUM

CATEGORIES = ("performance", "accessibility", "best-practices")
#: Lighthouse audit id -> column: the metrics the issue sets goals for (milliseconds).
METRICS = {"total-blocking-time": "TBT ms", "first-contentful-paint": "FCP ms", "largest-contentful-paint": "LCP ms"}
#: page name -> (file name, `geomap build` options)
PAGES = {"default": ("map.html", []), "--no-tiles": ("map-no-tiles.html", ["--no-tiles"])}


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the built pages: /gzip/NAME compressed when the client accepts it, /raw/NAME as is."""

    folder = None

    def do_GET(self):
        _, mode, name = (self.path.split("?")[0].split("/", 2) + ["", ""])[:3]
        path = self.folder / name
        if mode not in ("gzip", "raw") or not name or "/" in name or not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if mode == "gzip" and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6)  # nginx's and most hosts' level
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: Lighthouse makes many requests
        pass


def serve(folder):
    """A threaded HTTP server on 127.0.0.1 (any free port) serving ``folder``; returns it started."""
    handler = type("Handler", (_Handler,), {"folder": Path(folder)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build(folder):
    """The pages of :data:`PAGES`, written by `geomap build` into ``folder``: name -> path."""
    from click.testing import CliRunner

    built = {}
    for name, (file_name, args) in PAGES.items():
        out = Path(folder) / file_name
        result = CliRunner().invoke(geomap_cli, ["build", str(REPO / DEFAULT_FACILITIES), *args, "-o", str(out)])
        if result.exit_code:
            raise SystemExit(result.output)
        built[name] = out
    return built


def lighthouse(command, url):
    """One Lighthouse run on ``url``: its JSON report."""
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    run = subprocess.run([*command, url, "--output=json", "--output-path=stdout", "--quiet",
                          f"--only-categories={','.join(CATEGORIES)}", "--chrome-flags=--headless --no-sandbox"],
                         capture_output=True, text=True, env=env, timeout=600)
    if run.returncode:
        raise SystemExit(f"lighthouse failed on {url}:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout)


def summary(reports):
    """Medians of the scores and metrics over ``reports``, and the audits that did not pass."""
    row = {name: statistics.median(r["categories"][name]["score"] for r in reports) for name in CATEGORIES}
    row.update({column: statistics.median(r["audits"][audit]["numericValue"] for r in reports)
                for audit, column in METRICS.items()})
    failing = set()
    for report in reports:
        for name in CATEGORIES[1:]:
            for ref in report["categories"][name]["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                    failing.add(f"{name}: {ref['id']} ({audit['title']})")
    return row, sorted(failing)


def lighthouse_command(given):
    """The Lighthouse command: ``given``, else `lighthouse` on PATH, else /tmp/lh's."""
    for candidate in (given, shutil.which("lighthouse"), "/tmp/lh/node_modules/.bin/lighthouse"):
        if candidate and Path(candidate).is_file():
            return [candidate]
    raise SystemExit("Lighthouse not found: npm install --prefix /tmp/lh lighthouse@12, or pass --lighthouse PATH")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and serving (the median is shown)")
    parser.add_argument("--lighthouse", help="path of the lighthouse executable")
    args = parser.parse_args()
    command = lighthouse_command(args.lighthouse)
    with tempfile.TemporaryDirectory() as folder:
        pages = build(folder)
        server = serve(folder)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        print(f"| page | served | performance | accessibility | best practices | {' | '.join(METRICS.values())} "
              "| page KB (gzipped) |")
        print("|---|---|---:|---:|---:|" + "---:|" * len(METRICS) + "---:|")
        notes = {}
        for name, path in pages.items():
            data = path.read_bytes()
            size = f"{len(data) / 1000:.0f} ({len(gzip.compress(data, compresslevel=6)) / 1000:.0f})"
            for mode in ("gzip", "raw"):
                reports = [lighthouse(command, f"{base}/{mode}/{path.name}") for _ in range(args.runs)]
                row, failing = summary(reports)
                served = "gzip" if mode == "gzip" else "uncompressed"
                print(f"| {name} | {served} | {row['performance']:.2f} | {row['accessibility']:.2f} | "
                      f"{row['best-practices']:.2f} | " + " | ".join(f"{row[c]:.0f}" for c in METRICS.values()) +
                      f" | {size} |", flush=True)
                if failing:
                    notes[f"{name}, {served}"] = failing
        server.shutdown()
    for where, failing in notes.items():
        print(f"\nNot passed ({where}, in any of {args.runs} runs):", *failing, sep="\n- ")


if __name__ == "__main__":
    main()
