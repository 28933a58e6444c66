"""Benchmark map building: geomap vs GeoDataFrame.explore() vs a folium Marker per row.

For each size (default 1k, 10k, 100k synthetic facilities with the full data model,
see benchmarks/synthetic.py) every approach builds its HTML in a fresh Python
process, which reports its build time and its peak resident memory
(VmHWM of /proc/self/status, reset with /proc/self/clear_refs just before the build,
so the loaded input and the imports are included but not the transients of loading it). Each page is then opened in headless
chromium from file:// with the network blocked and timed from navigation start
until drawn, then until the first frame after a ``map.panBy``. Prints a Markdown
table. Needs matplotlib and mapclassify for explore(), and npm to fetch the
markercluster files folium's Marker page asks its CDN for.

    python benchmarks/render.py [--sizes 1000,10000] [--skip-slow] [--timeout 600]
"""

import argparse
import gc
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from benchmarks import synthetic
from geomap.snapshot import READY, launch_chromium

#: geomap sets this once the markers are on the canvas; READY follows once every detail is parsed.
DRAWN = "html[data-geomap-drawn=true]"
from tests.conftest import OfflinePage

#: approach -> (label, JavaScript condition true once the page has drawn its markers)
APPROACHES = {
    "geomap": ("geomap (GeoDataFrame → write_map)", f"document.querySelector('{DRAWN}')"),
    "geomap-cli": ("geomap CLI path (read_facilities + validate + write_map)", f"document.querySelector('{DRAWN}')"),
    "explore": ("GeoDataFrame.explore()", ("document.readyState === 'complete' && "
                "document.querySelector('.leaflet-overlay-pane path.leaflet-interactive')")),
    "markers": ("folium Marker per row in MarkerCluster", ("document.readyState === 'complete' && "
                "document.querySelector('.marker-cluster, .leaflet-marker-icon')")),
}
SLOW = ("markers", 100_000)
VENDOR = REPO / "geomap" / "assets" / "vendor"
#: folium's CDN files answered from local copies: geomap's vendored Leaflet 1.9.4 (folium asks for 1.9.3),
#: Debian's jQuery (libjs-jquery), which folium's popups call, and markercluster (see fetch_markercluster).
#: Other CDN files are blocked.
CDN_FILES = {path.name: path for path in [VENDOR / "leaflet" / "leaflet.js", VENDOR / "leaflet" / "leaflet.css"]}
CDN_FILES["jquery-3.7.1.min.js"] = Path("/usr/share/javascript/jquery/jquery.min.js")
MARKERCLUSTER = "leaflet.markercluster@1.5.3"  # the version folium 0.20 asks for


def fetch_markercluster(folder):
    """Unpack markercluster's dist files (npm pack) into ``folder`` and serve them for folium's CDN URLs."""
    import tarfile

    tarball = subprocess.run(["npm", "pack", "--silent", MARKERCLUSTER], cwd=folder, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(folder / tarball) as tar:
        for member in tar.getmembers():
            if member.name.startswith("package/dist/") and member.name.endswith((".js", ".css")):
                target = folder / Path(member.name).name
                target.write_bytes(tar.extractfile(member).read())
                CDN_FILES[target.name] = target


# --- building (runs in a fresh worker process) -------------------------------------


def _status_mb(field):
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


def _timed(build):
    """Run ``build``; its seconds and this process's resident memory just before it started.

    The peak-memory mark is reset to the current size first, so the peak read afterwards is
    the peak *during the build* (with the input already in memory), whatever loading cost.
    """
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    build()
    return time.perf_counter() - start, before


def _frame(input_path):
    """The facilities GeoDataFrame as a user loads it (the same frame for every approach)."""
    from geomap.load import read_facilities

    return read_facilities(input_path)


def _build_geomap(input_path, output):
    from geomap.render import write_map

    facilities = _frame(input_path)
    return _timed(lambda: write_map(facilities, output))


def _build_geomap_cli(input_path, output):
    from geomap.load import read_facilities
    from geomap.render import write_map

    return _timed(lambda: write_map(read_facilities(input_path), output))


def _build_explore(input_path, output):
    facilities = _frame(input_path)
    return _timed(lambda: facilities.explore().save(output))


def _build_markers(input_path, output):
    import folium
    from folium.plugins import MarkerCluster

    def build():
        fmap = folium.Map(location=[7.0, -66.0], zoom_start=6)
        cluster = MarkerCluster().add_to(fmap)
        for row, point in zip(facilities.itertuples(), facilities.geometry):
            count = "?" if row.detainees is None else row.detainees
            summary = f"<b>{html.escape(row.name)}</b><br>{row.status}<br>{count}"
            folium.Marker([point.y, point.x], tooltip=html.escape(row.name), popup=folium.Popup(summary)).add_to(cluster)
        fmap.save(output)

    facilities = _frame(input_path)
    return _timed(build)


BUILDERS = {"geomap": _build_geomap, "geomap-cli": _build_geomap_cli, "explore": _build_explore, "markers": _build_markers}


def worker(approach, input_path, output):
    """Build one page; print its build time, resident memory before it and peak memory during it, as JSON."""
    seconds, before_mb = BUILDERS[approach](Path(input_path), output)
    print(json.dumps({"build_s": seconds, "input_mb": before_mb, "peak_mb": _status_mb("VmHWM")}))


def prepare(size, input_path):
    """Write the input GeoJSON and print the compact GeoJSON size (coordinates to ~1 m)."""
    from geomap.render import COORD_DECIMALS

    features = synthetic.features(size)
    synthetic.write_geojson(features, Path(input_path))
    for feature in features:
        feature["geometry"]["coordinates"] = [round(c, COORD_DECIMALS) for c in feature["geometry"]["coordinates"]]
    print(json.dumps({"geojson_bytes": len(synthetic.compact_json(features).encode())}))


def _run_worker(args, timeout):
    """Run this script in a fresh interpreter; its JSON answer, or None on timeout."""
    try:
        done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout,
                              check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{' '.join(args)} failed:\n{exc.stderr}") from None
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- drawing (headless chromium, network blocked) --------------------------------------


class BenchPage(OfflinePage):
    """The tests' offline page, except that folium's CDN Leaflet files come from geomap's vendored copies."""

    def _route(self, route):
        local = CDN_FILES.get(route.request.url.rsplit("/", 1)[-1])
        if local and not route.request.url.startswith("file:"):
            route.fulfill(path=str(local))
        else:
            super()._route(route)


def _watch_script(condition):
    """Put performance.now() (ms since navigation start) of the first frame after ``condition`` holds
    in ``<html data-bench-drawn>`` (an attribute, since the pages' CSP forbids string evaluation)."""
    return f"""
    (function tick() {{
      var ok = false;
      try {{ ok = !!({condition}); }} catch (e) {{}}
      if (ok) requestAnimationFrame(function () {{
        document.documentElement.setAttribute("data-bench-drawn", String(performance.now()));
      }});
      else requestAnimationFrame(tick);
    }})();
    """


# Pan without animation, then wait for 'moveend' and the frame painted after it.
PAN_SCRIPT = """() => new Promise((resolve) => {
  const name = Object.keys(window).find((key) => key.startsWith("map_") && window[key] instanceof L.Map);
  const map = window[name], start = performance.now();
  map.once("moveend", () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start))));
  map.panBy([300, 200], { animate: false });
})"""


def draw(browser, approach, page_path, timeout):
    """Seconds until drawn, panned (right after the draw) and, for geomap, ready; JS errors; None for a timeout."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        context.add_init_script(_watch_script(APPROACHES[approach][1]))
        bench = BenchPage(context)
        page = bench.page
        page.set_default_timeout(timeout * 1000)
        try:
            page.goto(Path(page_path).resolve().as_uri(), wait_until="commit")
            page.wait_for_selector("html[data-bench-drawn]", state="attached")
            drawn = float(page.get_attribute("html", "data-bench-drawn")) / 1000
            panned = page.evaluate(PAN_SCRIPT) / 1000
            ready = None
            if approach.startswith("geomap"):  # popups, search and table live: every detail parsed
                page.wait_for_selector(READY, state="attached")
                ready = page.evaluate("performance.getEntriesByName('geomap:ready')[0].startTime") / 1000
        except PlaywrightError as exc:  # a timeout, or a page that crashed under the load
            return {"drawn_s": None, "pan_s": None, "ready_s": None, "errors": [str(exc).splitlines()[0]]}
        return {"drawn_s": drawn, "pan_s": panned, "ready_s": ready, "errors": bench.errors}
    finally:
        context.close()


# --- the table ----------------------------------------------------------------------------


def _fmt(value, pattern):
    return "timeout" if value is None else format(value, pattern)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated facility counts")
    parser.add_argument("--skip-slow", action="store_true", help="skip the folium Marker-per-row page at 100k")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per build and per page draw")
    parser.add_argument("--keep", metavar="DIR", help="keep the inputs and pages in DIR")
    parser.add_argument("--worker", nargs=3, metavar=("APPROACH", "INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, metavar=("SIZE", "INPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)
    if args.prepare:
        return prepare(int(args.prepare[0]), args.prepare[1])

    sizes = [int(size) for size in args.sizes.split(",")]
    folder = Path(args.keep or tempfile.mkdtemp(prefix="geomap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    fetch_markercluster(folder)
    print("| facilities | approach | build s | peak MB (before build) | HTML MB | compact GeoJSON MB | drawn s | pan s | ready s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    with launch_chromium() as browser:
        for size in sizes:
            input_path = folder / f"facilities-{size}.geojson"
            geojson_mb = _run_worker(["--prepare", str(size), str(input_path)], None)["geojson_bytes"] / 1e6
            for approach, (label, _) in APPROACHES.items():
                if args.skip_slow and (approach, size) == SLOW:
                    continue
                page_path = folder / f"{approach}-{size}.html"
                built = _run_worker(["--worker", approach, str(input_path), str(page_path)], args.timeout)
                cells = ["timeout", "—", "—"] if built is None else [
                    f"{built['build_s']:.2f}", f"{built['peak_mb']:.0f} ({built['input_mb']:.0f})", f"{page_path.stat().st_size / 1e6:.1f}"]
                shown = {"drawn_s": None, "pan_s": None, "ready_s": None, "errors": []} if built is None else draw(
                    browser, approach, page_path, args.timeout)
                errors = f" ({len(shown['errors'])} JS errors)" if shown["errors"] else ""
                print(f"| {size:,} | {label} | {' | '.join(cells)} | {geojson_mb:.1f} | "
                      f"{_fmt(shown['drawn_s'], '.2f')}{errors} | {_fmt(shown['pan_s'], '.3f')} | "
                      f"{'—' if shown['ready_s'] is None else format(shown['ready_s'], '.2f')} |", flush=True)
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
