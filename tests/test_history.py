"""The rules of dated figures (geomap.history) and who counted them (geomap.organisations)."""

import geopandas as gpd
import pytest

from geomap.history import (current_figure, facility_as_of, is_republication, merge_figures, national_figures,
                            primary_organisation, standing)
from geomap.labels import LABELS
from geomap.organisations import ORGANISATIONS, canonical_counted_by, is_own_channel, organisation_name

#: The slugs agreed in the project (research/CONTEXT.md): data and research use exactly these.
AGREED_SLUGS = ("foro_penal", "jep", "ovp", "provea", "una_ventana", "clippve", "un_ffm", "government", "press")


def figure(detainees, as_of, counted_by=None, source="https://example.org/a", qualifier="exact", note=None):
    return {"detainees": detainees, "qualifier": qualifier, "as_of": as_of, "source": source,
            "counted_by": counted_by, "note": note}


# ------------------------------------------------------------------ who counted


def test_the_canonical_organisations_are_the_agreed_slugs_named_in_both_languages():
    assert tuple(ORGANISATIONS) == AGREED_SLUGS
    for slug, (english, spanish) in ORGANISATIONS.items():
        assert english and spanish, slug
        assert LABELS["en"]["organisations"][slug] == english and LABELS["es"]["organisations"][slug] == spanish
    assert organisation_name("press", "es") == "la prensa (conteo propio)"
    assert organisation_name("Comité local", "en") == "Comité local"  # free text is shown as written


@pytest.mark.parametrize(("written", "slug"), [
    ("foro_penal", "foro_penal"), ("Foro Penal", "foro_penal"), ("FORO  PENAL", "foro_penal"),
    ("JEP", "jep"), ("Justicia, Encuentro y Perdón", "jep"), ("Observatorio Venezolano de Prisiones", "ovp"),
    ("prensa", "press"), ("Misión Internacional Independiente de Determinación de los Hechos (ONU)", "un_ffm"),
    ("Comité de Madres", "Comité de Madres"), ("  ", None), (None, None),
])
def test_count_files_may_name_an_organisation_in_words(written, slug):
    assert canonical_counted_by(written) == slug


def test_own_channel_is_the_organisations_own_host_or_a_subdomain():
    assert is_own_channel("foro_penal", "https://foropenal.com/reporte-2026")
    assert is_own_channel("foro_penal", "https://www.foropenal.com/x")
    assert not is_own_channel("foro_penal", "https://notforopenal.com/x")
    assert not is_own_channel("jep", "https://foropenal.com/x")
    assert is_own_channel("government", "https://www.mp.gob.ve/nota")


# ------------------------------------------------------------------ the same-date rule


def test_a_republication_never_beats_the_organisations_own_figure_on_the_same_date():
    own = figure(520, "2026-03-02", "foro_penal", "https://foropenal.com/balance", qualifier="about")
    copy = figure(560, "2026-03-02", "foro_penal", "https://mirror.example.com/x",
                  note="Foro Penal balance, republished by an aggregator")
    assert is_republication(copy) and not is_republication(own)
    assert current_figure([copy, own]) is own and current_figure([own, copy]) is own  # row order never matters
    # an original page that is not the organisation's own still beats a republication ...
    original = figure(500, "2026-03-02", "foro_penal", "https://news.example.com/a", qualifier="at_least")
    assert current_figure([copy, original]) is original
    # ... and the organisation's own page beats it
    assert current_figure([copy, original, own]) is own


def test_same_date_ranking_day_then_known_organisation_then_origin_then_qualifier():
    month = figure(900, "2026-03", "foro_penal", "https://foropenal.com/m")
    day = figure(100, "2026-03-31", None, note="El Vinotinto citing El Carabobeño")
    assert current_figure([month, day]) is day  # a day beats the month ending on it, whatever else
    unknown = figure(700, "2026-03-31", None, "https://foropenal.com/u")
    known = figure(600, "2026-03-31", "press", qualifier="up_to", note="a copy citing another outlet")
    assert current_figure([unknown, known]) is known  # known counted_by first, even a republication
    exact, about = figure(10, "2026-04-01", "press"), figure(12, "2026-04-01", "press", "https://example.org/b", "about")
    assert current_figure([about, exact]) is exact
    tie_a, tie_b = figure(10, "2026-04-02", "press", "https://example.org/b"), figure(10, "2026-04-02", "press")
    assert current_figure([tie_a, tie_b]) is tie_b  # only then: deterministic (the source URL)


def test_a_verbatim_mirror_of_the_original_is_not_a_republication():
    assert not is_republication(figure(100, "2024-12-31", "press", note="El Carabobeño (read via its qurium mirror)"))
    assert is_republication(figure(100, "2024-12-31", "press", note="Read via the topnews.com republication"))


# ------------------------------------------------------------------ series never mix


def test_each_organisation_has_its_own_series():
    counts = [figure(526, "2026-03-01", "foro_penal"), figure(759, "2026-03-02", "jep"),
              figure(540, "2026-02-20", "foro_penal"), figure(77, "2026-03-03")]
    assert [(f["counted_by"], f["detainees"]) for f in standing(counts)] == [(None, 77), ("jep", 759), ("foro_penal", 526)]
    assert [(f["counted_by"], f["detainees"]) for f in standing(counts, "2026-03-01")] == [("foro_penal", 526)]
    lead, others = national_figures(counts, "2026-03-02", "foro_penal")
    assert (lead["detainees"], [f["detainees"] for f in others]) == (526, [759])
    lead, others = national_figures(counts, "2026-02-25", "jep")  # JEP had not counted yet: nothing is JEP's
    assert lead is None and [f["counted_by"] for f in others] == ["foro_penal"]


def test_merging_keeps_two_organisations_equal_figures_and_names_an_unattributed_repeat():
    unattributed = {k: v for k, v in figure(50, "2026-01-10").items() if k != "counted_by"}
    merged = merge_figures([unattributed], [figure(50, "2026-01-10", "jep"), figure(50, "2026-01-10", "foro_penal")])
    assert [f["counted_by"] for f in merged] == ["jep", "foro_penal"]
    assert "counted_by" not in unattributed  # the inputs are not changed


def test_facility_as_of_names_who_counted_the_figure_it_shows():
    facility = {"detainees": None, "detainees_qualifier": None, "detainees_as_of": None, "detainees_source": None,
                "detainees_counted_by": None, "status": "unknown", "status_date": None, "status_source": None,
                "status_history": [],
                "detainee_counts": [figure(60, "2026-03-01", "foro_penal"), figure(70, "2026-03-02", "jep")]}
    assert facility_as_of(facility, "2026-03-01")["detainees_counted_by"] == "foro_penal"
    assert (facility_as_of(facility, None)["detainees"], facility_as_of(facility, None)["detainees_counted_by"]) == (70, "jep")


# ------------------------------------------------------------------ the primary organisation


def frame_with(totals, **attrs):
    frame = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    frame.attrs = {"national_totals": totals, **attrs}
    return frame


def test_primary_organisation_is_data_overridable_with_a_documented_fallback():
    totals = [figure(1, "2026-01-01", "jep"), figure(2, "2026-01-02", "jep"), figure(3, "2026-03-01", "foro_penal")]
    assert primary_organisation(frame_with(totals)) == "jep"  # the most nationwide figures
    assert primary_organisation(frame_with(totals, primary_counted_by="foro_penal")) == "foro_penal"
    assert primary_organisation(frame_with(totals, primary_counted_by="foro_penal"), "JEP") == "jep"
    tied = [figure(1, "2026-01-01", "jep"), figure(3, "2026-03-01", "foro_penal")]
    assert primary_organisation(frame_with(tied)) == "foro_penal"  # a tie: the newest figure
    assert primary_organisation(frame_with([figure(1, "2026-01-01")])) is None  # only unattributed figures
    assert primary_organisation(frame_with([])) is None
