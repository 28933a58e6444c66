"""What changed between two versions of the dataset: the bulletin of ``geomap diff``.

:func:`diff_datasets` compares two facilities GeoDataFrames (counts joined, nationwide totals in
``attrs["national_totals"]``) and returns a :class:`Bulletin`; :func:`bulletin_markdown` writes it
for a newsletter (English or Spanish) and :func:`bulletin_json` for machines (docs/diff.md).
:func:`read_since` reads the repository's own data at a git revision, joined as ``geomap build``
joins it, and the working tree's, for ``geomap diff --since REV``.

Facilities are matched by id: the same id under another name is *renamed*. Every dated figure
belongs to the series of the organisation that counted it (``counted_by``; missing = an unknown
organisation, a series of its own), so one organisation's figure is never compared with another's.
In each series (and in each facility's status events) the figure that stands is chosen by the
dataset's own rules (:mod:`geomap.history`); a figure whose date and source stayed but whose value
changed is a *correction*, listed once under corrections.
"""

import json
import os
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import DEFAULT_COUNTS, DEFAULT_FACILITIES
from .counts import QUALIFIERS
from .errors import InputError
from .history import (COUNT_FIELDS, STATUS_FIELDS, current_figure, current_status, date_key, facility_events,
                      facility_figures, latest_date, merge_events, merge_figures, series)
from .labels import BULLETIN_LABELS, LABELS
from .organisations import canonical_counted_by, organisation_name
from .schema import is_date, is_http_url

#: The JSON bulletin's format name and version (docs/diff.md): bumped only when a key changes meaning.
FORMAT, VERSION = "geomap-diff", 1
#: Facility fields the bulletin reports through its own sections; any other changed field is listed by name.
TRACKED_FIELDS = ("id", "name", *COUNT_FIELDS, *STATUS_FIELDS)
FIGURE_KEYS = ("detainees", "qualifier", "as_of", "source", "counted_by", "note")
EVENT_KEYS = ("status", "date", "source", "note")


@dataclass
class Bulletin:
    """Everything that changed from ``old`` to ``new`` (each section a list of JSON-ready dicts; docs/diff.md).

    ``figures`` and ``national_totals`` items have a ``kind``: ``new`` (the organisation's first figure),
    ``update`` (another figure stands now), ``withdrawn`` (the organisation's series is gone), ``added`` /
    ``deleted`` (a figure came or went without changing the one that stands). ``attributed`` counts figures
    whose organisation was unknown and is now named (not a change of figure).
    """

    old: dict
    new: dict
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    renamed: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    national_totals: list = field(default_factory=list)
    corrections: list = field(default_factory=list)
    other_changes: list = field(default_factory=list)
    attributed: int = 0

    @property
    def changed(self):
        """False when the two versions say the same thing."""
        return bool(self.attributed or any(getattr(self, name) for name in _SECTIONS))


_SECTIONS = ("added", "removed", "renamed", "status_changes", "figures", "national_totals", "corrections",
             "other_changes")


# ---------------------------------------------------------------- comparing


def diff_datasets(old, new, old_label=None, new_label=None):
    """The :class:`Bulletin` of what changed from the facilities frame ``old`` to ``new``.

    Labels name the versions (default: the first input file of each, ``attrs["inputs"]``). Raises
    :class:`InputError` for a nationwide total that is not a dated, sourced figure.
    """
    old_label, new_label = old_label or _input_name(old), new_label or _input_name(new)
    old_totals, new_totals = _national_totals(old, old_label), _national_totals(new, new_label)
    bulletin = Bulletin(_version(old, old_label), _version(new, new_label))
    old_records = {record["id"]: record for record in _records(old)}
    new_records = {record["id"]: record for record in _records(new)}
    bulletin.added = [_summary(new_records[fid]) for fid in new_records if fid not in old_records]
    bulletin.removed = [_summary(old_records[fid]) for fid in old_records if fid not in new_records]
    for fid in (fid for fid in new_records if fid in old_records):
        _compare_facility(bulletin, old_records[fid], new_records[fid])
    _compare_national(bulletin, old_totals, new_totals)
    for section in ("added", "removed", "renamed", "status_changes", "figures", "other_changes"):
        getattr(bulletin, section).sort(key=lambda item: (_sort_name(item), item["id"], item.get("counted_by") or ""))
    bulletin.corrections.sort(key=lambda item: (item["what"] == "national_total", _sort_name(item),
                                                item.get("country") or "", item["counted_by"] or ""))
    return bulletin


def _input_name(facilities):
    """The first file a frame was read from (``attrs["inputs"]``), or ``-``."""
    return (facilities.attrs.get("inputs") or [{}])[0].get("path") or "-"


def _version(facilities, label):
    return {"label": label, "as_of": latest_date(facilities), "facilities": len(facilities)}


def _records(facilities):
    """Each facility's properties as plain values, with its location as ``geometry`` (WKT, or None)."""
    records = facilities.to_dict("records")
    for record in records:
        geometry = record.pop(facilities.geometry.name, None)
        record["geometry"] = None if geometry is None or geometry.is_empty else geometry.wkt
    return records


def _sort_name(item):
    return (item.get("name") or item.get("new_name") or "").casefold()


def _figure(item):
    """A dated figure with every key of :data:`FIGURE_KEYS` (a missing qualifier is ``exact``; an
    organisation written in words is its slug, so "Foro Penal" and ``foro_penal`` are one series)."""
    figure = {key: item.get(key) for key in FIGURE_KEYS}
    figure["qualifier"] = figure["qualifier"] or "exact"
    figure["counted_by"] = canonical_counted_by(figure["counted_by"])
    return figure


def _figure_identity(figure):
    return (figure["detainees"], figure["qualifier"], figure["as_of"], figure["source"], figure["counted_by"])


def _figures(record):
    """A facility's dated figures (its ``detainee_counts`` and its current figure), each once."""
    return [_figure(figure) for figure in merge_figures(facility_figures(record))]


def _events(record):
    """A facility's status events (its ``status_history`` and its current status when dated), each once."""
    return [{key: event.get(key) for key in EVENT_KEYS} for event in merge_events(facility_events(record))]


def _event_identity(event):
    return (event["status"], event["date"], event["source"])


def _summary(record):
    """An added or removed facility: where it is, its status and each organisation's standing figure."""
    return {"id": record["id"], "name": record["name"], "city": record.get("city"), "state": record.get("state"),
            "status": current_status(_events(record)),
            "figures": [current_figure(figures) for figures in series(_figures(record)).values()]}


def _attribute(old, new):
    """``old`` figures with their organisation taken from ``new`` where only ``new`` names it, and how many.

    A figure of unknown organisation in ``old`` that is, number for number, date and source, one
    organisation's figure in ``new`` (and still unknown there in no copy) is that figure, attributed.
    """
    named = {}
    for figure in new:
        named.setdefault(_figure_identity(figure)[:4], set()).add(figure["counted_by"])
    attributed, count = [], 0
    for figure in old:
        organisations = named.get(_figure_identity(figure)[:4], set())
        if figure["counted_by"] is None and len(organisations) == 1 and None not in organisations:
            figure, count = {**figure, "counted_by": next(iter(organisations))}, count + 1
        attributed.append(figure)
    return attributed, count


def _changes(old, new, identity, key, standing):
    """Compare one series (figures of one organisation, or status events) across versions.

    Returns ``(standing change or None, corrections, other changes)``: an item matched by ``key``
    (date and source) whose ``identity`` differs is a correction ``(old, new)``; the standing change
    is ``(kind, old, new)`` unless a correction explains it; others are ``("added", None, new)`` or
    ``("deleted", old, None)``.
    """
    old_ids, new_ids = {identity(item) for item in old}, {identity(item) for item in new}
    gone = [item for item in old if identity(item) not in new_ids]
    came = [item for item in new if identity(item) not in old_ids]
    corrections = []
    for item_key in dict.fromkeys(map(key, gone)):
        before = [item for item in gone if key(item) == item_key]
        after = [item for item in came if key(item) == item_key]
        if len(before) == len(after) == 1:
            corrections.append((before[0], after[0]))
            gone.remove(before[0])
            came.remove(after[0])
    was, now = standing(old), standing(new)
    change = None
    if (was and identity(was)) != (now and identity(now)) and (was, now) not in corrections:
        change = ("new" if was is None else "withdrawn" if now is None else "update", was, now)
    others = [("deleted", item, None) for item in gone if item is not was or change is None]
    others += [("added", None, item) for item in came if item is not now or change is None]
    return change, corrections, others


def _figure_key(figure):
    return (figure["as_of"], figure["source"])


def _event_key(event):
    return (event["date"], event["source"])


def _compare_series(old, new):
    """:func:`_changes` of every organisation's series in ``old`` and ``new`` figures:
    ``[(counted_by, change or None, corrections, others)]`` and how many figures were attributed."""
    old, attributed = _attribute(old, new)
    old_series, new_series = series(old), series(new)
    compared = []
    for org in dict.fromkeys([*old_series, *new_series]):
        compared.append((org, *_changes(old_series.get(org, []), new_series.get(org, []), _figure_identity,
                                        _figure_key, current_figure)))
    return compared, attributed


def _compare_facility(bulletin, old, new):
    where = {"id": new["id"], "name": new["name"]}
    if old["name"] != new["name"]:
        bulletin.renamed.append({"id": new["id"], "old_name": old["name"], "new_name": new["name"]})
    status, corrections, others = _changes(_events(old), _events(new), _event_identity, _event_key,
                                           current_status)
    bulletin.status_changes += [{**where, "kind": kind, "old": was, "new": now}
                                for kind, was, now in ([status] if status else []) + others]
    bulletin.corrections += [{"what": "status", **where, "counted_by": None, "old": was, "new": now}
                             for was, now in corrections]
    compared, attributed = _compare_series(_figures(old), _figures(new))
    bulletin.attributed += attributed
    for org, change, corrections, others in compared:
        bulletin.figures += [{**where, "counted_by": org, "kind": kind, "old": was, "new": now}
                             for kind, was, now in ([change] if change else []) + others]
        bulletin.corrections += [{"what": "figure", **where, "counted_by": org, "old": was, "new": now}
                                 for was, now in corrections]
    fields = [name for name in dict.fromkeys([*old, *new])
              if name not in TRACKED_FIELDS and old.get(name) != new.get(name)]
    if fields:
        bulletin.other_changes.append({**where, "fields": fields})


def _compare_national(bulletin, old, new):
    for country in dict.fromkeys([total["country"] for total in old + new]):
        compared, attributed = _compare_series([t for t in old if t["country"] == country],
                                               [t for t in new if t["country"] == country])
        bulletin.attributed += attributed
        for org, change, corrections, others in compared:
            bulletin.national_totals += [{"country": country, "counted_by": org, "kind": kind, "old": was, "new": now}
                                         for kind, was, now in ([change] if change else []) + others]
            bulletin.corrections += [{"what": "national_total", "country": country, "counted_by": org, "old": was,
                                      "new": now} for was, now in corrections]


def _national_totals(facilities, label):
    """``attrs["national_totals"]`` as figures with a ``country``; an entry that is not a dated, sourced
    figure is an :class:`InputError` naming the file, the entry and the fix."""
    totals = []
    for index, total in enumerate(facilities.attrs.get("national_totals") or []):
        problem = _total_problem(total)
        if problem:
            raise InputError(f"{label}: national_totals[{index}]: {problem}: each nationwide total needs country, "
                             "detainees, as_of (YYYY-MM-DD or YYYY-MM) and source; fix the geomap member or re-export")
        totals.append({"country": total["country"].upper(), **_figure(total)})
    return totals


def _total_problem(total):
    if not isinstance(total, dict):
        return "not an object"
    if not isinstance(total.get("country"), str):
        return "no country"
    if type(total.get("detainees")) is not int or total["detainees"] < 0:
        return "detainees is not a whole number ≥ 0"
    if not (isinstance(total.get("as_of"), str) and is_date(total["as_of"])):
        return "no as_of date"
    if total.get("qualifier") not in (None, *QUALIFIERS):
        return f"qualifier {total.get('qualifier')!r} is not one of {', '.join(QUALIFIERS)}"
    if not isinstance(total.get("source"), str):
        return "no source"
    return None


# ---------------------------------------------------------------- --since REV


def read_since(rev, repo="."):
    """``(old, new, old label)``: the dataset of the git checkout around ``repo`` at revision ``rev`` and in
    its working tree, each joined with its counts as ``geomap build`` joins them.

    One-line :class:`InputError` when ``repo`` is not in a git checkout, ``rev`` is unknown there, or
    the revision has no facilities file.
    """
    root = Path(_git(repo, "rev-parse", "--show-toplevel", fail=f"--since {rev}: not in a git checkout: run it "
                     "inside a clone of the dataset's repository, or compare two exports: geomap diff OLD NEW"))
    unknown = _unknown_revision(root, rev)
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", fail=unknown)
    short = _git(root, "rev-parse", "--short", commit, fail=unknown)
    with tempfile.TemporaryDirectory(prefix="geomap-diff-") as folder:
        paths = {}
        for name in (DEFAULT_FACILITIES, DEFAULT_COUNTS):
            shown = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{name}"], capture_output=True)
            if shown.returncode == 0:
                paths[name] = Path(folder) / Path(name).name
                paths[name].write_bytes(shown.stdout)
        if DEFAULT_FACILITIES not in paths:
            raise InputError(f"{rev}:{DEFAULT_FACILITIES}: not in that revision: pick a later revision (git log -- "
                             f"{DEFAULT_FACILITIES})")
        renames = {str(path): f"{rev}:{name}" for name, path in paths.items()}
        old = _renamed_errors(renames, _joined, paths[DEFAULT_FACILITIES], paths.get(DEFAULT_COUNTS))
    counts = root / DEFAULT_COUNTS
    new = _joined(root / DEFAULT_FACILITIES, counts if counts.is_file() else None)
    return old, new, rev if short.startswith(rev) else f"{rev} ({short})"


def _joined(facilities_path, counts_path):
    """The facilities at ``facilities_path`` with ``counts_path`` joined (when given), as ``geomap build`` does."""
    from .export import with_counts
    from .load import read_facilities

    return with_counts(read_facilities(facilities_path), counts_path and str(counts_path))[0]


def _renamed_errors(renames, function, *args):
    """``function(*args)``, its InputErrors naming files by ``renames`` (temp path -> what the user knows)."""
    try:
        return function(*args)
    except InputError as exc:
        def rename(text):
            for path, name in renames.items():
                text = text.replace(path, name)
            return text
        raise InputError(rename(str(exc)), [rename(str(problem)) for problem in exc.problems]) from None


def _git(repo, *args, fail):
    """The stripped output of ``git -C repo ARGS``, or :class:`InputError` ``fail`` (git missing or failing)."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except OSError:
        raise InputError(fail) from None
    if done.returncode != 0:
        raise InputError(fail)
    return done.stdout.strip()


def _unknown_revision(root, rev):
    shallow = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-shallow-repository"], capture_output=True,
                             text=True).stdout.strip() == "true"
    hint = " (this clone is shallow: git fetch --unshallow)" if shallow else ""
    return f"--since {rev}: unknown revision in {root}{hint}: give a commit, tag or branch (see git log)"


# ---------------------------------------------------------------- writing


def bulletin_json(bulletin):
    """The bulletin as JSON text for machines (the structure of docs/diff.md)."""
    data = {"format": FORMAT, "version": VERSION, "changed": bulletin.changed, **asdict(bulletin)}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def organisation_label(counted_by, lang="en"):
    """How the bulletin names the organisation that counted a figure (None: an unknown organisation)."""
    return BULLETIN_LABELS[lang]["unknown_organisation"] if counted_by is None else organisation_name(counted_by, lang)


def bulletin_markdown(bulletin, lang="en"):
    """The bulletin as Markdown for a newsletter: a heading per section, one short line per change,
    dates written out and sources as links, in ``lang`` (``en`` or ``es``)."""
    words = _Words(lang)
    text = words.text
    sections_text = text["sections"]
    lines = [f"# {text['title']}", "",
             text["versions"].format(old=words.version(bulletin.old), new=words.version(bulletin.new)), ""]
    if not bulletin.changed:
        return "\n".join([*lines, text["no_changes"], ""])
    sections = (
        ("added", [f"- {words.place(item)}: {words.summary(item)}" for item in bulletin.added]),
        ("removed", [f"- {words.place(item)}: {text['last_known']}: {words.summary(item)}" for item in bulletin.removed]),
        ("renamed", [f"- `{item['id']}`: {_md(item['old_name'])} → **{_md(item['new_name'])}**"
                     for item in bulletin.renamed]),
        ("status_changes", [f"- **{_md(item['name'])}**: {words.change(item, words.event, 'status_kinds')}"
                            for item in bulletin.status_changes]),
        ("figures", [f"- **{_md(item['name'])}**, {words.org(item['counted_by'])}: "
                     f"{words.change(item, words.figure, 'figure_kinds')}" for item in bulletin.figures]),
        ("national_totals", [f"- {words.country(item['country'])}, {words.org(item['counted_by'])}: "
                             f"{words.change(item, words.figure, 'figure_kinds')}" for item in bulletin.national_totals]),
        ("corrections", [f"- {words.correction(item)}" for item in bulletin.corrections]),
        ("other_changes", [f"- **{_md(item['name'])}** (`{item['id']}`): {', '.join(map(_md, item['fields']))}"
                           for item in bulletin.other_changes]),
    )
    for name, items in sections:
        if items:
            lines += [f"## {sections_text[name]}", "", *items, ""]
    if bulletin.attributed:
        lines += [text["attributed"].format(n=bulletin.attributed), ""]
    return "\n".join(lines)


#: Characters that could start Markdown or HTML markup (``_`` only where it can emphasise: not inside a word).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~#]|(?<![^\W_])_|_(?![^\W_]))")


def _md(text):
    """Plain text safe inside a Markdown line: special characters escaped, line breaks as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _ascii_host(url):
    """The host a link really leads to, as the map's links name it: ASCII (a non-ASCII name in its
    punycode form, so "hrw.оrg" with a Cyrillic о cannot pass for hrw.org), without ``www.``."""
    try:
        return urlsplit(url).hostname.encode("idna").decode("ascii").removeprefix("www.")
    except (AttributeError, UnicodeError, ValueError):
        return None


def _source_link(url, fallback):
    """A Markdown link to an http(s) source named by its host, else the source as escaped text
    (nothing else becomes a link); ``fallback`` when there is none."""
    if not is_http_url(url):
        return _md(url or fallback)
    host = _ascii_host(url) or fallback
    target = url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{_md(host)}]({target})"


class _Words:
    """The bulletin's phrases in one language (:data:`geomap.labels.BULLETIN_LABELS` and the map's labels)."""

    def __init__(self, lang):
        if lang not in BULLETIN_LABELS:
            raise InputError(f"--lang {lang}: not one of {', '.join(BULLETIN_LABELS)}")
        self.lang, self.text, self.labels = lang, BULLETIN_LABELS[lang], LABELS[lang]

    def date(self, value):
        """``2026-01-09`` -> 9 January 2026 (9 de enero de 2026); a month -> January 2026."""
        if not value:
            return self.labels["unknown"]
        day = date_key(value)
        month = self.text["months"][day.month - 1]
        return (self.text["month_format"] if len(value) == 7 else self.text["date_format"]).format(
            day=day.day, month=month, year=day.year)

    def number(self, value):
        return f"{value:,}".replace(",", self.text["thousands"])

    def cited(self, what, date, source):
        return f"{what} ({self.date(date)}, {_source_link(source, self.labels['source'])})"

    def value(self, figure):
        qualifier = self.labels["qualifier"].get(figure["qualifier"] or "exact", "")
        return " ".join(filter(None, [qualifier, self.number(figure["detainees"])]))

    def figure(self, figure, noun=""):
        return self.cited(" ".join(filter(None, [self.value(figure), noun])), figure["as_of"], figure["source"])

    def status_name(self, status):
        name = self.labels["status_names"][status]
        return name[0].lower() + name[1:]

    def event(self, event):
        return self.cited(self.status_name(event["status"]), event["date"], event["source"])

    def org(self, counted_by):
        return _md(organisation_label(counted_by, self.lang))

    def country(self, code):
        return _md(self.text["countries"].get(code, code))

    def version(self, version):
        label = version["label"].replace("`", "'")
        return self.text["version"].format(label=f"`{label}`", date=self.date(version["as_of"]),
                                           n=self.number(version["facilities"]))

    def place(self, item):
        where = ", ".join(_md(part) for part in (item.get("city"), item.get("state")) if part)
        return f"**{_md(item['name'])}** (`{item['id']}`)" + (f", {where}" if where else "")

    def summary(self, item):
        parts = [self.event(item["status"]) if item["status"] else self.text["no_status"]]
        parts += [f"{self.figure(figure, self.labels['detainees_short'])}, "
                  + self.text["counted_by"].format(org=self.org(figure["counted_by"])) for figure in item["figures"]]
        return "; ".join(parts)

    def change(self, item, describe, kinds):
        """One change of a series: ``old → new``, or what came or went (worded by ``self.text[kinds]``)."""
        kind, old, new = item["kind"], item["old"], item["new"]
        if kind == "update":
            return f"{describe(old)} → {describe(new)}"
        if kind == "withdrawn":
            return f"{describe(old)} → {self.text[kinds][kind]}"
        return f"{describe(new or old)} ({self.text[kinds][kind]})"

    def correction(self, item):
        old, new = item["old"], item["new"]
        if item["what"] == "status":
            subject = f"**{_md(item['name'])}**, {self.text['status_of']}"
            date, source, was, now = old["date"], old["source"], self.status_name(old["status"]), self.status_name(new["status"])
        else:
            place = f"**{_md(item['name'])}**" if item["what"] == "figure" else self.country(item["country"])
            subject = f"{place}, {self.org(item['counted_by'])}, {self.text['figure_of']}"
            date, source, was, now = old["as_of"], old["source"], self.value(old), self.value(new)
        return (f"{subject} {self.date(date)} ({_source_link(source, self.labels['source'])}): {was} → {now} "
                f"({self.text['correction_note']})")
