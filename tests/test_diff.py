"""``geomap diff``: the bulletin of what changed between two dataset versions."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from geomap import frame as frames
from geomap.cli import main
from geomap.diff import Bulletin, bulletin_json, bulletin_markdown, diff_datasets, organisation_label, read_since
from geomap.errors import InputError
from geomap.export import read_export

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "diff"
OLD, NEW = FIXTURES / "old.geojson", FIXTURES / "new.geojson"
S = "https://example.org/"
FIRST_DATASET_COMMIT = "38a52c3"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(scope="module")
def bulletin():
    return diff_datasets(read_export(OLD), read_export(NEW))


def _section(markdown, heading):
    """The lines of one ``## heading`` section of the Markdown bulletin."""
    lines = markdown.splitlines()
    start = lines.index(f"## {heading}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start + 1:end] if line]


def _line(lines, *parts):
    """The one line holding every part."""
    found = [line for line in lines if all(part in line for part in parts)]
    assert len(found) == 1, (parts, lines)
    return found[0]


# ---------------------------------------------------------------- the Python API


def test_facilities_added_removed_and_renamed_by_id(bulletin):
    assert isinstance(bulletin, Bulletin)
    assert [item["id"] for item in bulletin.added] == ["la_tumba"]
    assert bulletin.added[0]["status"]["status"] == "open"
    assert [(f["counted_by"], f["detainees"]) for f in bulletin.added[0]["figures"]] == [("jep", 12)]
    assert [item["id"] for item in bulletin.removed] == ["tocoron"]
    assert bulletin.renamed == [{"id": "yare", "old_name": "Yare", "new_name": "Yare III"}]


def test_status_change_with_dates_and_sources(bulletin):
    [change] = bulletin.status_changes
    assert change["id"] == "helicoide" and change["kind"] == "update"
    assert (change["old"]["status"], change["old"]["date"], change["old"]["source"]) == ("open", "2026-01-08", S + "helicoide-open")
    assert (change["new"]["status"], change["new"]["date"], change["new"]["source"]) == (
        "announced_closure", "2026-01-30", S + "helicoide-closure")


def test_figures_change_per_organisation_never_across(bulletin):
    rodeo = {item["counted_by"]: item for item in bulletin.figures if item["id"] == "rodeo_i"}
    assert set(rodeo) == {"foro_penal", "jep"}
    for org, (old, new) in {"foro_penal": (34, 60), "jep": (45, 52)}.items():
        assert rodeo[org]["kind"] == "update"
        assert (rodeo[org]["old"]["detainees"], rodeo[org]["new"]["detainees"]) == (old, new)
        assert rodeo[org]["old"]["counted_by"] == rodeo[org]["new"]["counted_by"] == org
    assert rodeo["jep"]["new"]["as_of"] == "2026-02-01" and rodeo["jep"]["new"]["source"] == S + "rodeo-jep-feb"
    # helicoide's only change is a correction: it is not also listed as a new figure
    assert [item["id"] for item in bulletin.figures] == ["rodeo_i", "rodeo_i"]


def test_nationwide_totals_per_organisation(bulletin):
    totals = {item["counted_by"]: item for item in bulletin.national_totals}
    assert set(totals) == {"foro_penal", "jep"}
    assert (totals["foro_penal"]["old"]["detainees"], totals["foro_penal"]["new"]["detainees"]) == (1000, 900)
    assert (totals["jep"]["old"]["detainees"], totals["jep"]["new"]["detainees"]) == (1200, 1250)
    assert all(item["old"]["counted_by"] == item["new"]["counted_by"] == item["counted_by"] for item in totals.values())


def test_same_date_and_source_with_a_new_value_is_a_correction(bulletin):
    corrections = {(item["what"], item.get("id") or item.get("country")): item for item in bulletin.corrections}
    assert set(corrections) == {("figure", "helicoide"), ("national_total", "VE")}
    helicoide = corrections["figure", "helicoide"]
    assert (helicoide["old"]["detainees"], helicoide["new"]["detainees"]) == (80, 75)
    assert helicoide["old"]["as_of"] == helicoide["new"]["as_of"] == "2026-01-09"
    national = corrections["national_total", "VE"]
    assert (national["counted_by"], national["old"]["detainees"], national["new"]["detainees"]) == ("foro_penal", 950, 960)


def test_other_details_are_named_not_hidden(bulletin):
    assert bulletin.other_changes == [{"id": "zona7", "name": "Zona 7 (Boleíta)", "fields": ["notes"]}]


def test_a_version_against_itself_has_no_changes():
    same = diff_datasets(read_export(OLD), read_export(OLD))
    assert not same.changed
    assert "No changes" in bulletin_markdown(same)
    assert json.loads(bulletin_json(same))["changed"] is False


def _frame(counts, totals=(), status_history=(), name="El Helicoide"):
    props = {"id": "helicoide", "name": name, "facility_type": "prison", "country": "VE", "status": "unknown",
             "location_precision": "site", "location_source": S + "loc", "detainee_counts": list(counts),
             "status_history": list(status_history)}
    facilities = frames.from_features([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-66.9, 10.5]},
                                         "properties": props}])
    facilities.attrs["national_totals"] = list(totals)
    return facilities


def test_a_figure_that_learns_its_organisation_is_not_a_change():
    old = {"detainees": 80, "qualifier": "up_to", "as_of": "2026-01-09", "source": S + "a", "note": None}
    bulletin = diff_datasets(_frame([old]), _frame([{**old, "counted_by": "foro_penal"}]))
    assert bulletin.figures == [] and bulletin.attributed == 1 and bulletin.changed
    in_words = diff_datasets(_frame([{**old, "counted_by": "Foro Penal"}]), _frame([{**old, "counted_by": "foro_penal"}]))
    assert not in_words.changed


def test_unknown_organisation_is_its_own_series():
    unknown = {"detainees": 80, "qualifier": None, "as_of": "2026-01-09", "source": S + "a", "note": None}
    foro = {"detainees": 60, "qualifier": None, "as_of": "2026-01-20", "source": S + "b", "counted_by": "foro_penal"}
    bulletin = diff_datasets(_frame([unknown]), _frame([unknown, foro]))
    [change] = bulletin.figures
    assert (change["counted_by"], change["kind"], change["old"], change["new"]["detainees"]) == ("foro_penal", "new", None, 60)
    assert "unknown organisation" in organisation_label(None, "en")


def test_status_correction_and_earlier_figure():
    open_event = {"status": "open", "date": "2026-01-08", "source": S + "s", "note": None}
    later = {"detainees": 60, "qualifier": None, "as_of": "2026-01-20", "source": S + "b", "counted_by": "jep"}
    earlier = {**later, "detainees": 40, "as_of": "2025-06-01", "source": S + "c"}
    bulletin = diff_datasets(_frame([later], status_history=[open_event]),
                             _frame([later, earlier], status_history=[{**open_event, "status": "closed"}]))
    assert [(c["what"], c["old"]["status"], c["new"]["status"]) for c in bulletin.corrections] == [("status", "open", "closed")]
    assert bulletin.status_changes == []
    assert [(f["kind"], f["old"], f["new"]["detainees"]) for f in bulletin.figures] == [("added", None, 40)]


def test_a_broken_national_total_is_one_line_naming_file_entry_and_fix(tmp_path):
    broken = json.loads(NEW.read_text("utf-8"))
    del broken["geomap"]["national_totals"][1]["as_of"]
    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps(broken), "utf-8")
    with pytest.raises(InputError) as caught:  # reading the export refuses it already (docs/security.md)
        diff_datasets(read_export(OLD), read_export(path))
    lines = [str(problem) for problem in caught.value.problems]
    assert any("broken.geojson" in line and "geomap.national_totals.1.as_of: missing as_of" in line for line in lines), lines


# ---------------------------------------------------------------- Markdown and JSON


def test_markdown_bulletin_reads_like_a_newsletter(bulletin):
    text = bulletin_markdown(bulletin)
    assert text.startswith("# ")
    assert "**La Tumba** (`la_tumba`)" in _section(text, "Facilities added")[0]
    assert "Tocorón" in _section(text, "Facilities removed")[0]
    assert _section(text, "Facilities renamed") == ["- `yare`: Yare → **Yare III**"]
    status = _line(_section(text, "Status changes"), "El Helicoide")
    assert "open (8 January 2026, [example.org](https://example.org/helicoide-open))" in status
    assert "→ announced closure (30 January 2026, [example.org](https://example.org/helicoide-closure))" in status
    figures = _section(text, "Figures per facility")
    foro = _line(figures, "Rodeo I", organisation_label("foro_penal", "en"))
    assert "at least 34 (16 June 2024" in foro and "→ about 60 (4 February 2026" in foro and "52" not in foro
    assert organisation_label("foro_penal", "en") == "Foro Penal"
    jep = _line(figures, "Rodeo I", "Justicia, Encuentro y Perdón (JEP)")
    assert "at least 45" in jep and "→ 52 (1 February 2026, [example.org](https://example.org/rodeo-jep-feb))" in jep
    national = _section(text, "Nationwide totals")
    foro = _line(national, "Venezuela", organisation_label("foro_penal", "en"))
    assert "about 1,000 (5 January 2026" in foro and "→ about 900 (12 January 2026" in foro and "1,250" not in foro
    assert "1,200 (2 January 2026" in _line(national, organisation_label("jep", "en")) and "→ 1,250 (13 January 2026" in _line(
        national, organisation_label("jep", "en"))
    corrections = _section(text, "Corrections")
    helicoide = _line(corrections, "El Helicoide")
    assert "up to 80 → up to 75" in helicoide and "9 January 2026" in helicoide and "correction" in helicoide
    assert "about 950 → about 960" in _line(corrections, "Venezuela")
    assert "notes" in _line(_section(text, "Other details changed"), "Zona 7")


def test_markdown_escapes_names_and_links_only_web_sources():
    hostile = "*Zona* [7](javascript:alert(1)) <b>"
    bulletin = diff_datasets(_frame([], name="Zona 7"), _frame([], name=hostile))
    line = _section(bulletin_markdown(bulletin), "Facilities renamed")[0]
    assert r"\*Zona\* \[7\](javascript:alert(1)) \<b\>" in line
    assert "](javascript" not in line.replace("\\]", "")
    lookalike = {"detainees": 5, "qualifier": None, "as_of": "2026-01-09", "source": "https://hrw.\u043erg/x", "note": None}
    line = _section(bulletin_markdown(diff_datasets(_frame([]), _frame([lookalike]))), "Figures per facility")[0]
    assert "[hrw.xn--rg-" in line and "[hrw.org]" not in line


def test_spanish_bulletin(bulletin):
    text = bulletin_markdown(bulletin, "es")
    assert "## Centros añadidos" in text and "## Correcciones" in text and "## Totales nacionales" in text
    status = _line(_section(text, "Cambios de estado"), "El Helicoide")
    assert "abierto (8 de enero de 2026" in status and "cierre anunciado (30 de enero de 2026" in status
    foro = _line(_section(text, "Totales nacionales"), "Foro Penal")
    assert "12 detenidos (20 de enero de 2026" in _section(text, "Centros añadidos")[0]
    assert "según Justicia, Encuentro y Perdón (JEP)" in _section(text, "Centros añadidos")[0]
    assert "unos 1.000 (5 de enero de 2026" in foro and "unos 900 (12 de enero de 2026" in foro
    assert "hasta 80 → hasta 75" in _line(_section(text, "Correcciones"), "El Helicoide")
    assert "Sin cambios" in bulletin_markdown(diff_datasets(read_export(OLD), read_export(OLD)), "es")


def test_json_bulletin_has_the_documented_structure(bulletin):
    data = json.loads(bulletin_json(bulletin))
    assert data["format"] == "geomap-diff" and data["version"] == 1 and data["changed"] is True
    assert set(data) == {"format", "version", "changed", "old", "new", "added", "removed", "renamed", "status_changes",
                         "figures", "national_totals", "corrections", "other_changes", "attributed"}
    assert data["old"] == {"label": str(OLD), "as_of": "2026-01-09", "facilities": 5}
    assert data["new"]["as_of"] == "2026-02-04"
    figure = data["figures"][0]
    assert set(figure) == {"id", "name", "counted_by", "kind", "old", "new"}
    assert set(figure["new"]) == {"detainees", "qualifier", "as_of", "source", "counted_by", "note"}
    assert set(data["national_totals"][0]) == {"country", "counted_by", "kind", "old", "new"}


def test_docs_describe_every_json_key(bulletin):
    doc = (REPO / "docs" / "diff.md").read_text("utf-8")
    for key in json.loads(bulletin_json(bulletin)):
        assert f"`{key}`" in doc, key
    assert "geomap diff" in (REPO / "README.md").read_text("utf-8")


# ---------------------------------------------------------------- the command


def test_cli_writes_markdown_json_and_spanish(tmp_path):
    result = CliRunner().invoke(main, ["diff", str(OLD), str(NEW)])
    assert result.exit_code == 0, result.output
    assert result.stdout == bulletin_markdown(diff_datasets(read_export(OLD), read_export(NEW)))
    out = tmp_path / "bulletin.json"
    result = CliRunner().invoke(main, ["diff", str(OLD), str(NEW), "--json", "-o", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text("utf-8"))["renamed"][0]["new_name"] == "Yare III"
    result = CliRunner().invoke(main, ["diff", str(OLD), str(NEW), "--lang", "es"])
    assert result.exit_code == 0 and "## Cambios de estado" in result.stdout
    result = CliRunner().invoke(main, ["diff", str(OLD), str(OLD)])
    assert result.exit_code == 0 and "No changes" in result.stdout


def test_cli_help_has_an_example():
    result = CliRunner().invoke(main, ["diff", "--help"])
    assert result.exit_code == 0 and "geomap diff --since" in result.output


@pytest.mark.parametrize("args, message", [
    (["missing.geojson", str(NEW)], "missing.geojson: no such file"),
    ([str(OLD)], "give two versions"),
    ([str(OLD), str(NEW), "--since", "HEAD"], "not both"),
])
def test_cli_bad_input_is_one_line(args, message):
    result = CliRunner().invoke(main, ["diff", *args])
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


# ---------------------------------------------------------------- --since REV


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit_version(repo, fixture, counts, message):
    """Write a dataset version as the repository keeps it: facilities without counts + counts.csv."""
    collection = json.loads(fixture.read_text("utf-8"))
    totals = collection.pop("geomap")["national_totals"]
    rows = ["facility,detainees,qualifier,as_of,source,counted_by,status,status_date,note"]
    for feature in collection["features"]:
        props = feature["properties"]
        for figure in props.pop("detainee_counts") if counts else []:
            rows.append(f"{props['id']},{figure['detainees']},{figure['qualifier'] or ''},{figure['as_of']},"
                        f"{figure['source']},{figure['counted_by'] or ''},,,")
        for field in ("detainees", "detainees_qualifier", "detainees_as_of", "detainees_source"):
            props[field] = None
    rows += [f"national:VE,{t['detainees']},{t['qualifier'] or ''},{t['as_of']},{t['source']},{t['counted_by'] or ''},,,"
             for t in totals]
    (repo / "data").mkdir(exist_ok=True)
    (repo / "data" / "facilities.geojson").write_text(json.dumps(collection, ensure_ascii=False), "utf-8")
    (repo / "data" / "counts.csv").write_text("\n".join(rows) + "\n", "utf-8")
    _git(repo, "add", "data")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", message)


@needs_git
def test_since_compares_a_revision_with_the_working_tree(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit_version(repo, OLD, True, "old")
    first = _git(repo, "rev-parse", "--short", "HEAD")
    _commit_version(repo, NEW, True, "new")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--since", first, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [item["id"] for item in data["added"]] == ["la_tumba"] and data["renamed"][0]["id"] == "yare"
    assert data["old"]["label"] == first and data["new"]["label"] == "working tree"
    assert {item["counted_by"]: item["new"]["detainees"] for item in data["national_totals"]} == {"foro_penal": 900, "jep": 1250}
    # the counts joined as `geomap build` joins them: the standing per-organisation figures
    assert {(i["counted_by"], i["old"]["detainees"], i["new"]["detainees"]) for i in data["figures"]} == {
        ("foro_penal", 34, 60), ("jep", 45, 52)}
    result = CliRunner().invoke(main, ["diff", "--since", "HEAD"])
    assert result.exit_code == 0 and "No changes" in result.stdout


@needs_git
def test_since_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # even if /tmp is inside a checkout
    result = CliRunner().invoke(main, ["diff", "--since", "HEAD"])
    assert result.exit_code == 1 and "not in a git checkout" in result.output and "Traceback" not in result.output
    _git(tmp_path, "init", "-q")
    _commit_version(tmp_path, OLD, True, "old")
    result = CliRunner().invoke(main, ["diff", "--since", "no-such-rev"])
    assert result.exit_code == 1 and "no-such-rev" in result.output and "unknown revision" in result.output
    assert len(result.output.strip().splitlines()) == 1
    (tmp_path / "other.txt").write_text("x")
    _git(tmp_path, "add", "other.txt")
    _git(tmp_path, "rm", "-q", "-r", "--cached", "data")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "no data")
    with pytest.raises(InputError, match="HEAD:data/facilities.geojson: not in that revision"):
        read_since("HEAD", tmp_path)


@needs_git
def test_since_the_first_dataset_commit_of_this_repository(monkeypatch):
    if _git(REPO, "rev-parse", "--is-shallow-repository") == "true":
        pytest.skip(f"shallow clone: {FIRST_DATASET_COMMIT} is not reachable (git fetch --unshallow)")
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["diff", "--since", FIRST_DATASET_COMMIT, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    old_ids = {f["properties"]["id"]: f["properties"]["name"] for f in json.loads(
        _git(REPO, "show", f"{FIRST_DATASET_COMMIT}:data/facilities.geojson"))["features"]}
    new_ids = {f["properties"]["id"]: f["properties"]["name"] for f in json.loads(
        (REPO / "data" / "facilities.geojson").read_text("utf-8"))["features"]}
    assert data["old"]["facilities"] == len(old_ids) == 23 and data["new"]["facilities"] == len(new_ids)
    assert sorted(item["id"] for item in data["added"]) == sorted(set(new_ids) - set(old_ids))
    assert sorted(item["id"] for item in data["removed"]) == sorted(set(old_ids) - set(new_ids))
    assert sorted(item["id"] for item in data["renamed"]) == sorted(
        i for i in set(old_ids) & set(new_ids) if old_ids[i] != new_ids[i])
    for item in data["figures"] + data["national_totals"]:
        for side in ("old", "new"):
            assert item[side] is None or item[side]["counted_by"] == item["counted_by"]
    # a figure that only learned who counted it is not an unknown organisation's figure withdrawn + a new one
    def same(figure):
        return figure["detainees"], figure["qualifier"], figure["as_of"], figure["source"]
    series = data["figures"] + data["national_totals"]
    dropped = {same(item["old"]) for item in series if item["counted_by"] is None and item["old"] and not item["new"]}
    assert not [item for item in series if item["counted_by"] and item["new"] and same(item["new"]) in dropped]
    markdown = CliRunner().invoke(main, ["diff", "--since", FIRST_DATASET_COMMIT])
    assert markdown.exit_code == 0 and markdown.stdout.startswith("# ")
    assert ("No changes" in markdown.stdout) == (not data["changed"])
