"""Two organisations counting on nearby dates: neither's figure is ever shown as the other's.

One counts file, in which Foro Penal and JEP report nationwide and at El Helicoide a day apart,
followed through every place a figure reaches a reader: the page's headline (payload and the
rendered page, both languages), the time view (data and slider), the popup and tooltip, and
every export read back.
"""


import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.export import FORMATS, export_facilities, read_export
from geomap.join import join_file
from geomap.load import read_facilities
from geomap.timeline import timeline

from conftest import MARKERS, REPO, map_head

SMALL = REPO / "tests/fixtures/small.geojson"
COUNTS = """facility,detainees,qualifier,as_of,source,counted_by,note
helicoide,60,,2026-03-01,https://foropenal.com/helicoide,foro_penal,
helicoide,70,,2026-03-02,https://example.org/jep-helicoide,JEP,
national:VE,530,,2026-02-20,https://foropenal.com/old,Foro Penal,
national:VE,526,,2026-03-01,https://foropenal.com/balance,foro_penal,
national:VE,759,,2026-03-02,https://example.org/jep,jep,
"""
FORO = {"detainees": 526, "as_of": "2026-03-01", "source": "https://foropenal.com/balance", "counted_by": "foro_penal"}
JEP = {"detainees": 759, "as_of": "2026-03-02", "source": "https://example.org/jep", "counted_by": "jep"}


@pytest.fixture
def counts(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(COUNTS, "utf-8")
    return path


def build(tmp_path, counts, *options):
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", str(SMALL), "--counts", str(counts), "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return out


def figure_of(total):
    return {key: total[key] for key in FORO}


def test_the_headline_names_each_organisation_with_its_own_latest(tmp_path, counts):
    data = map_head(build(tmp_path, counts).read_text("utf-8"))
    assert data["as_of"] == "2026-03-02" and data["national_primary"] == "foro_penal"  # the most nationwide figures
    assert figure_of(data["national"]) == FORO  # Foro Penal's own latest, not JEP's newer 759
    assert [figure_of(total) for total in data["national_others"]] == [JEP]
    data = map_head(build(tmp_path, counts, "--counted-by", "JEP", "--as-of", "2026-03-01").read_text("utf-8"))
    assert data["national_primary"] == "jep" and data["national"] is None  # JEP had not counted yet
    assert [figure_of(total) for total in data["national_others"]] == [FORO]


def test_the_time_view_keeps_one_series_per_organisation(counts):
    joined = join_file(read_facilities(SMALL), counts)[0]
    view = timeline(joined)
    series = {line["counted_by"]: [change[1] for change in line["changes"]] for line in view["national"]}
    assert view["primary"] == "foro_penal" and list(series) == ["foro_penal", "jep"]
    assert 759 not in series["foro_penal"] and not {526, 530} & set(series["jep"])
    stop = view["dates"].index("2026-03-02")
    foro = next(line for line in view["national"] if line["counted_by"] == "foro_penal")
    assert [change for change in foro["changes"] if change[0] <= stop][-1][1] == 526  # still its own, a day later


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_keep_who_counted_every_figure(tmp_path, counts, fmt):
    joined = join_file(read_facilities(SMALL), counts)[0]
    path = export_facilities(joined, fmt, tmp_path / f"out{FORMATS[fmt]}", counts_output=tmp_path / "counts.csv")
    back = read_export(path)
    helicoide = back.set_index("id").loc["helicoide"]
    assert (helicoide["detainees"], helicoide["detainees_counted_by"]) == (70, "jep")
    assert [(c["detainees"], c["counted_by"]) for c in helicoide["detainee_counts"]][-2:] == [(60, "foro_penal"), (70, "jep")]
    if fmt != "csv":  # CSV has no place for provenance
        assert {(t["detainees"], t["counted_by"]) for t in back.attrs["national_totals"]} == {
            (530, "foro_penal"), (526, "foro_penal"), (759, "jep")}
        assert back.attrs["primary_counted_by"] == "foro_penal"
    if fmt == "kml":  # the placemark's description names who counted the figure it shows
        assert "counted by Justicia, Encuentro y Perdón (JEP)" in path.read_text("utf-8")
    rows = (tmp_path / "counts.csv").read_text("utf-8").splitlines()
    assert rows[0] == "facility_id,detainees,qualifier,as_of,source,counted_by,note"
    assert "helicoide,70,exact,2026-03-02,https://example.org/jep-helicoide,jep," in rows


def test_the_page_never_shows_one_organisations_figure_as_anothers(offline_page, tmp_path, counts):
    page = offline_page.open(build(tmp_path, counts))
    national = page.inner_text(".gm-national")
    assert "Foro Penal: 526 as of 2026-03-01" in national
    assert "Justicia, Encuentro y Perdón (JEP): 759 as of 2026-03-02" in national
    assert national.index("Foro Penal") < national.index("JEP")  # the primary organisation leads
    # the marker shows the latest figure and names who counted it; the popup lists each organisation's latest
    offline_page.reveal("helicoide", keep_closed=True)
    label = page.get_attribute(f"{MARKERS}[data-id=helicoide]", "aria-label")
    assert label.endswith("70 detainees as of 2026-03-02, counted by Justicia, Encuentro y Perdón (JEP)")
    offline_page.reveal("helicoide")
    by_organisation = page.inner_text(".gm-by-organisation")
    assert "Justicia, Encuentro y Perdón (JEP): 70 as of 2026-03-02" in by_organisation
    assert "Foro Penal: 60 as of 2026-03-01" in by_organisation
    # a day earlier on the slider: Foro Penal's own figure, and nothing of JEP's yet
    dates = map_head(page)["timeline"]["dates"]
    page.fill("#gm-timeline-input", str(dates.index("2026-03-01")))
    page.wait_for_function("() => document.querySelector('.gm-asof').textContent.endsWith('2026-03-01')")
    national = page.inner_text(".gm-national")
    assert "Foro Penal: 526 as of 2026-03-01" in national and "759" not in national and "JEP" not in national
    offline_page.reveal("helicoide")
    popup = page.inner_text(".leaflet-popup-content")
    assert "60 detainees as of 2026-03-01, counted by Foro Penal" in popup and "as of 2026-03-02" not in popup
    # each organisation's latest then: Foro Penal's, and the fixture's own unattributed 65 of 2026-01; no JEP
    assert page.inner_text(".gm-by-organisation").splitlines() == [
        "Foro Penal: 60 as of 2026-03-01 source", "organisation not recorded: 65 as of 2026-01 source"]
    page.fill("#gm-timeline-input", str(dates.index("2026-02-20")))
    page.wait_for_function("() => document.querySelector('.gm-asof').textContent.endsWith('2026-02-20')")
    assert "Foro Penal: 530 as of 2026-02-20" in page.inner_text(".gm-national")
    assert offline_page.errors == []


def test_the_spanish_headline_names_the_organisations(offline_page, tmp_path, counts):
    page = offline_page.open(build(tmp_path, counts, "--lang", "es"))
    national = page.inner_text(".gm-national")
    assert national.startswith("Presos políticos en todo el país")
    assert "Foro Penal: 526 al 2026-03-01" in national and "Justicia, Encuentro y Perdón (JEP): 759 al 2026-03-02" in national


def test_the_default_map_names_who_counted_its_nationwide_figure(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "map.html"
    assert CliRunner().invoke(main, ["build", "-o", str(out)]).exit_code == 0
    data = map_head(out.read_text("utf-8"))
    assert data["national_primary"] == "foro_penal"  # the dataset's documented default
    assert data["national"]["counted_by"] == "foro_penal"
    assert all(total["counted_by"] != "foro_penal" for total in data["national_others"])


def test_export_records_the_chosen_primary_organisation(tmp_path, counts):
    out = tmp_path / "out.geojson"
    result = CliRunner().invoke(main, ["export", str(SMALL), "--counts", str(counts), "--counted-by", "Justicia, Encuentro y Perdón",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert read_export(out).attrs["primary_counted_by"] == "jep"
    page = tmp_path / "map.html"  # a map of that export leads with it
    assert CliRunner().invoke(main, ["build", str(out), "-o", str(page)]).exit_code == 0
    assert map_head(page.read_text("utf-8"))["national_primary"] == "jep"


def test_an_organisation_named_in_free_text_stays_in_its_own_isolate(offline_page, tmp_path):
    from test_security_page import ISOLATES, RLO

    counts = tmp_path / "free.csv"
    counts.write_text("facility,detainees,as_of,source,counted_by\n"
                      f"helicoide,60,2026-03-01,https://example.org/a,Comité{RLO}\n"
                      "helicoide,70,2026-03-02,https://example.org/b,jep\n"
                      f"national:VE,526,2026-03-01,https://example.org/n,Comité{RLO}\n", "utf-8")
    page = offline_page.open(build(tmp_path, counts))
    assert page.evaluate(ISOLATES, page.query_selector(".gm-national")) == [["isolate", "Comité" + RLO]]
    offline_page.reveal("helicoide")
    page.wait_for_selector(".gm-by-organisation")
    # the sparkline's point titles (tooltips, where no element can isolate) hold the name in U+2068 .. U+2069
    titles = page.eval_on_selector_all(".gm-sparkline title", "ts => ts.map(t => t.textContent)")
    assert "60 as of 2026-03-01, counted by \u2068Comité" + RLO + "\u2069" in titles
    page.eval_on_selector(".gm-sparkline", "svg => svg.remove()")
    found = page.evaluate(ISOLATES, page.query_selector(".leaflet-popup-content"))
    # latest by organisation, earlier figures, the sparkline's key
    assert len(found) == 3 and all(item == ["isolate", "Comité" + RLO] for item in found)
    assert offline_page.errors == []


def test_an_unknown_counted_by_is_a_warning_naming_the_organisations(tmp_path, counts):
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", str(SMALL), "--counts", str(counts), "-o", str(out),
                                       "--counted-by", "foro-penall"])
    assert result.exit_code == 0, result.output
    assert ("warning: --counted-by foro-penall: no nationwide figure is counted by it, so the headline leads with "
            "none; organisations with nationwide figures: foro_penal, jep") in result.stderr
    quiet = CliRunner().invoke(main, ["build", str(SMALL), "--counts", str(counts), "-o", str(out), "--counted-by", "JEP"])
    assert "warning" not in quiet.stderr


def test_build_says_when_nationwide_totals_come_from_the_input_itself(tmp_path, counts):
    exported = tmp_path / "export.geojson"
    export_facilities(join_file(read_facilities(SMALL), counts)[0], "geojson", exported)
    result = CliRunner().invoke(main, ["build", str(exported), "--counts", str(counts), "-o", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output
    assert f"nationwide totals: 3 carried by {exported} itself (its geomap provenance)" in result.stderr


def test_an_export_built_without_counts_keeps_the_totals_of_its_day(tmp_path, counts):
    exported = tmp_path / "export.geojson"
    export_facilities(join_file(read_facilities(SMALL), counts)[0], "geojson", exported)
    result = CliRunner().invoke(main, ["build", str(exported), "-o", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output
    assert f"nationwide totals: 3 carried by {exported} itself" in result.stderr
    assert "data/counts.csv" not in result.stderr  # the curated series of today is not mixed in
