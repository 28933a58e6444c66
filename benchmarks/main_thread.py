"""The main thread's tasks while the default map page loads, from chromium's own trace.

Builds the default page (data/facilities.geojson + data/counts.csv), opens it ``--loads`` times in
headless chromium from file:// with the network blocked, unthrottled, and records a DevTools trace
of each load until the page is ready (``html[data-geomap-ready=true]``) plus a second. From the
renderer's main thread it takes every task (``RunTask``), timed by the thread's CPU time
(``tdur``: on a loaded machine the wall time also counts the moments other processes had the
CPU), and names it by its longest
part (a script's evaluation with its line, a function call, a timer, HTML parsing, layout...).
Prints, per load, the number of tasks over ``--over`` ms (12 ms unthrottled is ~50 ms on Lighthouse's
4x slower phone CPU), the longest, and the blocking time they would add at 4x (the sum of
4 x duration - 50 ms over tasks); then the median of those, and the long tasks of the median load.
Lighthouse's ``simulate`` mode scales the tasks it observed in just this way. Not a test:
timings vary with the machine's load.

    python benchmarks/main_thread.py [--loads 7] [--over 12]
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from geomap import DEFAULT_FACILITIES
from geomap.snapshot import READY, launch_chromium
from tests.conftest import OfflinePage

SLOWDOWN = 4  # Lighthouse's mobile preset: a phone's CPU taken as 4x slower
BLOCKING = 50  # ms: the part of a task beyond this blocks input (total blocking time)
CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing"]
#: the parts of a task it is named by (the scheduler's own wrappers are not)
PARTS = {"EvaluateScript", "FunctionCall", "TimerFire", "FireAnimationFrame", "ParseHTML", "Layout",
         "UpdateLayoutTree", "Paint", "PrePaint", "Layerize", "EventDispatch", "v8.compile", "MajorGC", "MinorGC",
         "ParseAuthorStyleSheet", "HitTest", "Commit"}
SCRIPT_PARTS = {"EvaluateScript", "FunctionCall", "TimerFire", "FireAnimationFrame"}


def build(folder):
    from click.testing import CliRunner

    from geomap.cli import main as geomap_cli

    out = Path(folder) / "map.html"
    result = CliRunner().invoke(geomap_cli, ["build", str(REPO / DEFAULT_FACILITIES), "-o", str(out)])
    if result.exit_code:
        raise SystemExit(result.output)
    return out


def _label(event):
    """What a part of a task was: its name and, for scripts, where."""
    data = event.get("args", {}).get("data", {})
    name = event["name"]
    if name == "EvaluateScript":
        return f"script at line {data.get('lineNumber', '?')}"
    if name == "FunctionCall":
        return f"call {data.get('functionName') or '(anonymous)'} (line {data.get('lineNumber', '?')})"
    if name == "TimerFire":
        return "timer"
    if name == "FireAnimationFrame":
        return "animation frame"
    return name


def main_thread_tasks(trace):
    """(start ms, duration ms, label) of the page renderer's main-thread tasks in a DevTools trace
    (not those of another renderer, such as chromium's own new-tab page, which may run meanwhile)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    pages = {frame["processId"] for e in events if e.get("name") == "TracingStartedInBrowser"
             for frame in e["args"]["data"].get("frames", []) if "processId" in frame}
    main = {key for key, name in names.items() if name == "CrRendererMain" and (not pages or key[0] in pages)}
    complete = [e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) in main and "dur" in e]
    tasks = [e for e in complete if e["name"] == "RunTask"]
    parts = sorted((e for e in complete if e["name"] in PARTS), key=lambda e: e["ts"])
    out = []
    for task in tasks:
        end = task["ts"] + task["dur"]
        inside = [e for e in parts if task["ts"] <= e["ts"] < end]
        longest = max(inside, key=lambda e: e["dur"], default=None)
        script = max((e for e in inside if e["name"] in SCRIPT_PARTS), key=lambda e: e["dur"], default=None)
        label = _label(longest) if longest else "(other)"
        if script and script is not longest:
            label += f" > {_label(script)} {script.get('tdur', script['dur']) / 1000:.1f} ms"
        out.append((task["ts"] / 1000, task.get("tdur", task["dur"]) / 1000, label))
    return sorted(out)


def one_load(browser, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = OfflinePage(context)
    browser.start_tracing(page=page.page, categories=CATEGORIES)
    page.open(path)
    page.page.wait_for_timeout(1000)
    trace = json.loads(browser.stop_tracing())
    marks = page.page.evaluate(
        "Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))")
    context.close()
    if page.errors:
        raise SystemExit(f"page errors: {page.errors}")
    return main_thread_tasks(trace), marks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7, help="page loads (medians are shown)")
    parser.add_argument("--over", type=float, default=12, help="list tasks longer than this (ms, unthrottled)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, launch_chromium() as browser:
        path = build(folder)
        loads = [one_load(browser, path) for _ in range(args.loads)]
    rows = []
    for tasks, marks in loads:
        long = [t for t in tasks if t[1] > args.over]
        blocking = sum(max(0, SLOWDOWN * d - BLOCKING) for _, d, _ in tasks)
        rows.append((len(long), max(d for _, d, _ in tasks), blocking, long, marks))
    print(f"| load | tasks > {args.over:g} ms | longest ms | blocking at {SLOWDOWN}x ms | drawn ms | ready ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for k, (count, longest, blocking, _, marks) in enumerate(rows, 1):
        print(f"| {k} | {count} | {longest:.1f} | {blocking:.0f} | {marks.get('geomap:drawn', float('nan')):.0f} "
              f"| {marks.get('geomap:ready', float('nan')):.0f} |")
    print(f"| median | {statistics.median(r[0] for r in rows):g} | {statistics.median(r[1] for r in rows):.1f} "
          f"| {statistics.median(r[2] for r in rows):.0f} "
          f"| {statistics.median(r[4].get('geomap:drawn', 0) for r in rows):.0f} "
          f"| {statistics.median(r[4].get('geomap:ready', 0) for r in rows):.0f} |")
    median_load = sorted(rows, key=lambda r: r[2])[len(rows) // 2]
    print(f"\nTasks over {args.over:g} ms in the median load (by blocking time):\n")
    print("| task | ms | longest part |")
    print("|---:|---:|---|")
    for k, (_, duration, label) in enumerate(median_load[3], 1):
        print(f"| {k} | {duration:.1f} | {label} |")


if __name__ == "__main__":
    main()
