"""Pictures of the numbers (issue 11, item 5): the nationwide series in the headline and each
facility's figures in its popup, as inline SVG: one line per counting organisation, never a
segment from one organisation's point to another's, every point dated and attributed, a text
alternative, and both following the date slider, in English and Spanish."""

import csv
import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.history import date_key
from geomap.labels import LABELS
from geomap.load import read_facilities
from geomap.organisations import organisation_name
from geomap.render import MapOptions, build_head
from geomap.timeline import national_points

from conftest import REPO, map_head

COUNTS = REPO / "data/counts.csv"
TOTALS = [{"country": "VE", "detainees": 530, "qualifier": "exact", "as_of": "2026-02-20", "source": "https://a.example/1", "counted_by": "foro_penal"},
          {"country": "VE", "detainees": 759, "qualifier": "exact", "as_of": "2026-03-02", "source": "https://b.example/1", "counted_by": "jep"},
          {"country": "VE", "detainees": 526, "qualifier": "about", "as_of": "2026-03-02", "source": "https://a.example/2", "counted_by": "foro_penal"},
          {"country": "VE", "detainees": 900, "qualifier": "at_least", "as_of": "2025-03", "source": "https://b.example/0", "counted_by": "jep"},
          {"country": "VE", "detainees": 500, "qualifier": "exact", "as_of": "2026-03-02", "source": "https://c.example/x", "counted_by": "foro_penal",
           "note": "republished from another outlet"}]


def test_national_points_are_one_series_per_organisation_primary_first():
    points = national_points(TOTALS, primary="jep")
    assert [entry["counted_by"] for entry in points] == ["jep", "foro_penal"]
    assert points[0]["points"] == [["2025-03", 900, "at_least"], ["2026-03-02", 759, None]]
    # one point a date, the figure the headline shows that day: Foro Penal's own 526, not the republished 500
    assert points[1]["points"] == [["2026-02-20", 530, None], ["2026-03-02", 526, "about"]]


def test_the_head_carries_the_curated_series_in_a_few_kilobytes():
    from geomap.export import with_counts

    facilities, _ = with_counts(read_facilities(REPO / "data/facilities.geojson"), [COUNTS])
    head = build_head(facilities, MapOptions())
    assert {entry["counted_by"] for entry in head["national_series"]} == {"foro_penal", "jep"}
    assert head["national_series"][0]["counted_by"] == "foro_penal"  # the dataset's primary organisation
    assert sum(len(entry["points"]) for entry in head["national_series"]) == len(_national_rows())
    assert len(json.dumps(head["national_series"], separators=(",", ":"))) < 2500


def _national_rows():
    with COUNTS.open(encoding="utf-8", newline="") as stream:
        return [row for row in csv.DictReader(stream) if row["facility"].startswith("national:")]


def _first_and_latest():
    by_org = defaultdict(list)
    for row in _national_rows():
        by_org[row["counted_by"]].append((date_key(row["as_of"]), row))
    return {org: (min(rows, key=lambda r: r[0])[1], max(rows, key=lambda r: r[0])[1]) for org, rows in by_org.items()}


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    """`geomap build` of the curated data (its counts joined), in English and Spanish."""
    folder = tmp_path_factory.mktemp("charts")
    built = {}
    for lang in ("en", "es"):
        built[lang] = folder / f"{lang}.html"
        result = CliRunner().invoke(main, ["build", str(REPO / "data/facilities.geojson"), "--counts", str(COUNTS),
                                           "--lang", lang, "--no-cluster", "-o", str(built[lang])])
        assert result.exit_code == 0, result.output
    return built


#: Every line of a chart with the points of its organisation: (path's organisation, its vertices,
#: {organisation: [(x, y)] of the points}).
_LINES = """(selector) => {
  const svg = document.querySelector(selector);
  const vertices = d => d.trim().split(/[ML]/).filter(Boolean).map(p => p.split(',').map(Number));
  const points = {};
  svg.querySelectorAll('circle[data-counted-by]').forEach(c => {
    (points[c.dataset.countedBy] = points[c.dataset.countedBy] || []).push([+c.getAttribute('cx'), +c.getAttribute('cy')]);
  });
  return { points, lines: [...svg.querySelectorAll('path[data-counted-by]')].map(p => [p.dataset.countedBy, vertices(p.getAttribute('d'))]) };
}"""


def _assert_lines_stay_within_their_organisation(page, selector):
    drawn = page.evaluate(_LINES, selector)
    assert drawn["lines"]
    for org, vertices in drawn["lines"]:
        own = drawn["points"][org]
        for vertex in vertices:  # every vertex is one of its own organisation's points, never another's
            assert any(abs(vertex[0] - x) < 0.01 and abs(vertex[1] - y) < 0.01 for x, y in own), (org, vertex)
    return drawn


def _titles(page, selector):
    return page.eval_on_selector_all(selector + " circle[data-counted-by]",
                                     "cs => cs.map(c => [c.dataset.countedBy, c.dataset.date, c.querySelector('title').textContent, c.classList.contains('gm-later')])")


@pytest.mark.browser
def test_the_headline_chart_has_a_line_per_organisation_and_says_what_it_shows(offline_page, maps):
    page = offline_page.open(maps["en"])
    chart = ".gm-headline svg.gm-chart-national"
    assert page.get_attribute(chart, "role") == "img"
    drawn = _assert_lines_stay_within_their_organisation(page, chart)
    assert {org for org, _ in drawn["lines"]} == {"foro_penal", "jep"}
    assert len(drawn["lines"]) == 2  # the latest date: nothing dimmed, one path each
    titles = _titles(page, chart)
    assert len(titles) == len(_national_rows())
    assert ["foro_penal", "2026-03-12", "508 as of 2026-03-12, counted by Foro Penal", False] in titles
    assert ["jep", "2025-03-06", "at least 900 as of 2025-03-06, counted by Justicia, Encuentro y Perdón (JEP)", False] in titles
    labels = page.eval_on_selector_all(".gm-headline .gm-chart-label", "ts => ts.map(t => t.textContent)")
    assert sorted(labels) == sorted(organisation_name(org) for org in ("foro_penal", "jep"))
    # the text alternative names each organisation's first and latest figure with their dates
    name = page.evaluate(f"document.querySelector('{chart}').getAttribute('aria-label')")
    described = page.eval_on_selector(chart + " desc", "d => d.textContent")
    assert name and LABELS["en"]["chart_national"] in name
    for org, (first, latest) in _first_and_latest().items():
        for row in (first, latest):
            assert f"{int(row['detainees']):,}" in described and row["as_of"] in described, org
        assert organisation_name(org) in described
    assert page.evaluate(f"document.querySelector('{chart}').getAttribute('aria-describedby')") == \
        page.eval_on_selector(chart + " desc", "d => d.id")
    assert offline_page.errors == []


@pytest.mark.browser
def test_el_helicoides_popup_has_a_sparkline_of_its_dated_attributed_figures(offline_page, maps):
    page = offline_page.open(maps["en"])
    offline_page.reveal("helicoide")
    sparkline = ".leaflet-popup-content svg.gm-sparkline"
    page.wait_for_selector(sparkline)
    counts = read_facilities(REPO / "data/facilities.geojson").set_index("id").loc["helicoide", "detainee_counts"]
    titles = _titles(page, sparkline)
    assert len(titles) == len(counts) >= 2
    for count in counts:
        org = organisation_name(count["counted_by"])
        assert any(title.endswith(f"as of {count['as_of']}, counted by {org}") and f"{count['detainees']}" in title
                   for _, _, title, _ in titles), count
    _assert_lines_stay_within_their_organisation(page, sparkline)
    assert page.get_attribute(sparkline, "role") == "img" and page.get_attribute(sparkline, "aria-label")
    # a facility with one figure gets none
    offline_page.reveal("zona7_boleita")
    page.wait_for_selector(".leaflet-popup-content .gm-popup h2:has-text('Zone 7')")
    assert page.query_selector(sparkline) is None
    assert offline_page.errors == []


@pytest.mark.browser
def test_moving_the_slider_marks_its_date_and_dims_later_figures_in_both_charts(offline_page, maps):
    page = offline_page.open(maps["en"])
    chart = ".gm-headline svg.gm-chart-national"
    before = page.eval_on_selector(chart + " desc", "d => d.textContent")
    dates = map_head(page)["timeline"]["dates"]
    date = "2025-08-13"
    page.fill("#gm-timeline-input", str(dates.index(date)))
    page.wait_for_function(f"() => document.querySelector('.gm-asof').textContent.endsWith('{date}')")
    assert page.get_attribute(chart + " .gm-chart-now", "data-date") == date
    for _, when, _, later in _titles(page, chart):
        assert later == (date_key(when) > date_key(date)), when
    _assert_lines_stay_within_their_organisation(page, chart)
    after = page.eval_on_selector(chart + " desc", "d => d.textContent")
    assert after != before and "1,025 as of 2025-08-13" in after and "508" not in after
    offline_page.reveal("helicoide")
    sparkline = ".leaflet-popup-content svg.gm-sparkline"
    page.wait_for_selector(sparkline)
    assert page.get_attribute(sparkline + " .gm-chart-now", "data-date") == date
    marks = _titles(page, sparkline)
    assert any(later for *_, later in marks) and not all(later for *_, later in marks)
    for _, when, _, later in marks:
        assert later == (date_key(when) > date_key(date)), when
    assert offline_page.errors == []


@pytest.mark.browser
def test_the_charts_speak_spanish(offline_page, maps):
    page = offline_page.open(maps["es"])
    chart = ".gm-headline svg.gm-chart-national"
    assert LABELS["es"]["chart_national"] in page.get_attribute(chart, "aria-label")
    described = page.eval_on_selector(chart + " desc", "d => d.textContent")
    assert "Foro Penal" in described and " al 2026-03-12" in described
    assert ["foro_penal", "2026-03-12", "508 al 2026-03-12, contado por Foro Penal", False] in _titles(page, chart)
    offline_page.reveal("helicoide")
    sparkline = ".leaflet-popup-content svg.gm-sparkline"
    page.wait_for_selector(sparkline)
    assert LABELS["es"]["chart_facility"] in page.get_attribute(sparkline, "aria-label")
    assert all(", contado por " in title for _, _, title, _ in _titles(page, sparkline))
    assert offline_page.errors == []
