"""Render facilities to one interactive HTML map (folium + vendored Leaflet).

The page is self-contained by default: every script, style and image and the region's
basemap (:mod:`geomap.basemap`) are inlined from the pinned copies under ``geomap/assets/vendor``
(see ``manifest.json``), so it opens with no network at all. geomap's own script and the
styles are minified as they are inlined (:func:`minified_js`, :func:`minified_css`). Markers are drawn in the
browser by the script in ``assets/map/`` on one canvas from a few columns of numbers, not
emitted as one folium Marker per facility, and each facility's details follow the
drawing script as a line of JSON read only when shown: 100,000 facilities draw in
about a second from a file smaller than their GeoJSON (docs/benchmarks.md).

Every value from the data is serialised as JSON inside non-executable
``<script type="application/json">`` / ``application/x-ndjson`` blocks (with ``<``,
``>`` and ``&`` escaped) and reaches the page through ``textContent`` only. The page's
Content-Security-Policy runs nothing but its own inline scripts and styles, by hash
(:func:`content_security_policy`; docs/security.md).
"""

import base64
import hashlib
import html
import json
import re
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import folium
import orjson
import rcssmin
import rjsmin
from branca.element import Element, MacroElement
from jinja2 import Template

from .basemap import basemap
from .errors import InputError
from .files import atomic_write
from .frame import gc_paused
from .history import latest_date, national_figures, primary_organisation, shown_note, standing
from .labels import LABELS, LANGUAGES, shown_notes
from .organisations import canonical_counted_by
from .style import GROUP_COLOURS, STATUS_COLOURS, STATUS_ORDER, STATUS_SHAPES
from .timeline import AUTO_LIMIT, figure_refs, national_points, timeline

#: Decimal places kept for coordinates in the page: 5 places is about 1 m.
COORD_DECIMALS = 5
#: Facilities up to which a map draws every marker on its own (``--cluster-above``): a few hundred
#: markers stay readable and clickable unclustered, and a cluster would hide their statuses.
CLUSTER_ABOVE = 300
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener noreferrer">OpenStreetMap</a> contributors'

# (package, file name) in load order; styles first, scripts after.
_STYLES = [("leaflet", "leaflet.css"), ("leaflet.fullscreen", "Control.FullScreen.css")]
_SCRIPTS = [("leaflet", "leaflet.js"), ("supercluster", "supercluster.min.js"),
            ("leaflet.fullscreen", "Control.FullScreen.umd.js")]
_CLUSTER_SCRIPT = ("supercluster", "supercluster.min.js")
#: The page's loader, a plain inline script of its own (:func:`loader_script`): it unpacks the others.
LOADER_SCRIPT = "inflate"
#: The page's first script, plain: a damaged file says so on the page (:func:`guard_script`).
GUARD_SCRIPT = "guard"
#: The page's own script: the other parts of the map under ``assets/map/``, in this order (README "Layout").
PAGE_SCRIPTS = ("core", "schedule", "canvas", "clusters", "charts", "popup", "legend", "search", "table",
                "timeline", "headline", "keyboard", "layout", "arrange", "basemap", "snapshot", "main")
#: The parts only a picture (``MapOptions.static``) runs: its caption, inset and fanned markers.
PICTURE_SCRIPTS = ("snapshot",)
_DATA_ID, _BASEMAP_ID = "gm-data", "gm-basemap"


@dataclass(frozen=True)
class MapOptions:
    """What the map shows and how it is packaged (mirrors ``geomap build`` options)."""

    lang: str = "en"
    title: str | None = None
    subtitle: str | None = None
    as_of: str | None = None
    embed: bool = False
    cluster: bool = True
    cluster_above: int = CLUSTER_ABOVE  # cluster only maps with more facilities than this
    timeline: bool | None = None  # the date slider; None: on up to timeline.AUTO_LIMIT facilities
    cdn: bool = False
    tiles: bool = True
    static: bool = False  # a picture, not a page: no zoom, search or full-screen buttons
    counted_by: str | None = None  # whose nationwide series leads the headline; None: the dataset's default

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise InputError(f"--lang {self.lang!r}: choose one of {', '.join(LANGUAGES)}")
        if not isinstance(self.cluster_above, int) or self.cluster_above < 0:
            raise InputError(f"--cluster-above {self.cluster_above!r}: give a number of facilities, 0 or more")
        object.__setattr__(self, "counted_by", canonical_counted_by(self.counted_by))


def _assets():
    return resources.files(__package__).joinpath("assets")


@cache
def manifest():
    """The vendored front-end files: package, version, licence, SHA-256, CDN URL."""
    data = json.loads(_assets().joinpath("manifest.json").read_text("utf-8"))
    return {(p["name"], f["path"].rsplit("/", 1)[-1]): {**f, "package": p["name"], "version": p["version"],
                                                          "license": p["license"]}
            for p in data["packages"] for f in p["files"]}


def _vendor_text(package, name):
    return _assets().joinpath("vendor", package, name).read_text("utf-8")


def _inline_css(package, name):
    """A vendored stylesheet with its relative ``url()`` images turned into data URIs."""

    def data_uri(match):
        ref = match.group(2)
        if ref.startswith(("data:", "#")):
            return match.group(0)
        image = _assets().joinpath("vendor", package, ref.rsplit("/", 1)[-1])
        if not image.is_file():  # an image the map never uses (Leaflet's default pin): no request at all
            return "none"
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    return minified_css(re.sub(r"url\((['\"]?)([^'\")]+)\1\)", data_uri, _vendor_text(package, name)))


def minified_css(text):
    """A stylesheet without its comments and spaces (rcssmin): the page carries ~25% less of it."""
    return rcssmin.cssmin(text)


def minified_js(text, keep_licence=False):
    """A script without its comments and spaces (rjsmin: names untouched, so it runs as written);
    ``keep_licence`` keeps the ``/*! ... */`` comments a vendored file's licence asks for."""
    return rjsmin.jsmin(text, keep_bang_comments=keep_licence)


def _script_safe(text):
    """JSON text that cannot close or break out of a <script> element (nor end a line in old JS)."""
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def json_for_script(value):
    """Serialise ``value`` as compact UTF-8 JSON safe inside a <script> element (orjson: ~10x json.dumps)."""
    return _script_safe(orjson.dumps(value).decode())


def page_script(static=False):
    """The map's own script: the :data:`PAGE_SCRIPTS` files joined in one strict function scope, the
    :data:`PICTURE_SCRIPTS` only in a picture (``static``: a page never becomes one, 5 KB it never runs).

    One wrapper, so each file holds only its part's declarations, they see each other without a
    namespace, nothing leaks but ``window.geomap`` (and the ``window.geomapMap`` tests read; the loader
    adds ``window.geomapBlockText``), and
    the page has one script of its own, one CSP hash, run before the detail rows are parsed. It reads
    data blocks with the loader's ``blockText`` (:func:`loader_script`).
    """
    parts = [_map_part(name) for name in PAGE_SCRIPTS if static or name not in PICTURE_SCRIPTS]
    return '(function (blockText) {\n"use strict";\n' + "\n".join(parts) + "})(window.geomapBlockText);\n"


def _map_part(name):
    return minified_js(_assets().joinpath("map", f"{name}.js").read_text("utf-8"))


#: The type of a packed script's block: not a JavaScript type, so the parser never runs it (:func:`loader_script` does).
PACKED_SCRIPT = "application/x-geomap-script"


def guard_script():
    """The page's first script (``guard.js``), before the packed blocks, so that it runs even in a file cut
    short inside them: a damaged file then says so on the page instead of drawing nothing."""
    return '(function () {\n"use strict";\n' + _map_part(GUARD_SCRIPT) + "})();\n"


def loader_script():
    """The page's plain inline script of its own (``inflate.js``), after the packed scripts' blocks:
    it runs them in order (:data:`PACKED_SCRIPT`) and hands the page script its ``blockText``, the
    one global it sets. Synchronous, so they have all run before the parser reaches the map's script."""
    return ('(function () {\n"use strict";\n' + _map_part(LOADER_SCRIPT) +
            f"\nwindow.geomapBlockText = blockText;\nrunPackedScripts({json.dumps(PACKED_SCRIPT)});\n}})();\n")


@cache
def packed_script(text):
    """``text`` (a script) packed as a data block is (:func:`packed_block`); cached: the same few scripts
    are packed for every page."""
    if "\r" in text or text.startswith("\ufeff"):  # what the parser would change in an inline script: one hash for both
        raise ValueError("a script to pack holds a carriage return or starts with a byte-order mark")
    return packed_block(text)


def _vendored_comment(entry, text):
    """What a vendored script's block is, for its HTML comment: package, version, licence, file, and the
    file's own opening comment (its copyright line, which minifying drops from Leaflet's)."""
    opening = re.match(r"\s*/\*!?(.*?)\*/", text, re.S)
    notice = " ".join(re.sub(r"^\s*\*?", "", line).strip() for line in opening.group(1).splitlines()) if opening else ""
    comment = f"{entry['package']} {entry['version']} ({entry['license']}), {entry['package_path']}, minified and packed"
    comment += f": {' '.join(notice.replace('@preserve', '').split())}" if notice.strip() else ""
    if "--" in comment or ">" in comment:  # what could end an HTML comment early
        raise ValueError(f"a vendored script's notice cannot go in an HTML comment: {comment!r}")
    return comment


def _packed_script_block(block_id, text, comment):
    """A packed script's block, after an HTML comment saying what it is (a vendored file: package,
    version, licence); :func:`loader_script` runs it."""
    return (f"<!-- {comment} -->\n"
            f'<script type="{PACKED_SCRIPT}" id="{block_id}"{_PACKED}>{packed_script(text)}</script>')


def vendored_scripts(clustered):
    """The vendored scripts a page loads: supercluster only on a map that clusters (10 KB; a map
    that does not never builds a cluster index)."""
    return [key for key in _SCRIPTS if clustered or key != _CLUSTER_SCRIPT]


def _head_assets(cdn, clustered, static):
    """<style>/<script> tags for the vendored files, inline or linked to the pinned CDN copies, and the
    page's own script; the inline scripts packed, run by the loader after them (:func:`loader_script`)."""
    parts = []
    for package, name in _STYLES:
        entry = manifest()[(package, name)]
        if cdn:
            parts.append(f'<link rel="stylesheet" href="{entry["cdn"]}" integrity="{entry["integrity"]}" crossorigin="anonymous">')
        else:
            parts.append(f"<style>/* {package} {entry['version']} */\n{_inline_css(package, name)}</style>")
    parts.append(f"<style>{minified_css(_assets().joinpath('geomap.css').read_text('utf-8'))}</style>")
    parts.append(f"<script>{guard_script()}</script>")
    for package, name in vendored_scripts(clustered):
        entry = manifest()[(package, name)]
        if cdn:
            parts.append(f'<script src="{entry["cdn"]}" integrity="{entry["integrity"]}" crossorigin="anonymous"></script>')
        else:
            # minified as inlined (licence comments kept): leaflet.fullscreen ships unminified
            text = _vendor_text(package, name)
            parts.append(_packed_script_block(f"gm-js-{package.replace('.', '-')}", minified_js(text, keep_licence=True),
                                              _vendored_comment(entry, text)))
    parts.append(_packed_script_block("gm-js-page", page_script(static), "geomap's own script (assets/map), packed"))
    parts.append(f"<script>{loader_script()}</script>")
    return "\n".join(parts)


#: An inline <script> or <style> and its text, as the HTML parser splits them (the page's own
#: markup only: data sits in JSON blocks whose ``<`` is escaped, so it cannot end one early).
_INLINE_BLOCK = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\b[^>]*>", re.S | re.I)
_NOT_SCRIPT = re.compile(r"""\b(src\s*=|type\s*=\s*["']?application/(json|x-ndjson|x-geomap-script)\b)""", re.I)


def _csp_hash(text):
    """The CSP source expression matching an inline block with this text, as the browser reads it."""
    if "<!--" in text or re.search(r"</(script|style)", text, re.I):  # the parser would end or escape it elsewhere
        raise ValueError(f"an inline block holds markup the HTML parser treats specially: {text[:60]!r}")
    return _sha256_source(text.replace("\r\n", "\n").replace("\r", "\n"))  # the parser's newline normalisation


def _sha256_source(text):
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


@lru_cache(maxsize=32)
def _packed_script_hash(packed):
    """The CSP source expression matching the script the loader makes of a packed block: of its text as
    unpacked, which the parser never sees (it may hold "</script"; :func:`packed_script` refuses a CR)."""
    return _sha256_source(_unpacked(packed))


def content_security_policy(page, options):
    """The page's policy: nothing runs or styles it but its own inline blocks and the scripts its loader
    unpacks (by hash) and, with --cdn, its pinned files (by exact URL); it loads nothing but tiles.
    docs/security.md says why."""
    scripts, styles = {}, {}
    for tag, attrs, text in _INLINE_BLOCK.findall(page):
        if tag.lower() == "style":
            styles[_csp_hash(text)] = None
        elif f'type="{PACKED_SCRIPT}"' in attrs:  # run by the loader, as an inline script of its unpacked text
            scripts[_packed_script_hash(text)] = None
        elif not _NOT_SCRIPT.search(attrs):  # data blocks never run: they need no hash
            scripts[_csp_hash(text)] = None
    if options.cdn:
        scripts.update(dict.fromkeys(manifest()[key]["cdn"] for key in _SCRIPTS
                                     if f'<script src="{manifest()[key]["cdn"]}"' in page))  # those it links
        styles.update(dict.fromkeys(manifest()[key]["cdn"] for key in _STYLES))
    images = "data:" + (" https://tile.openstreetmap.org" if options.tiles else "")
    return (f"default-src 'none'; script-src 'report-sample' {' '.join(scripts)}; "
            f"style-src 'report-sample' {' '.join(styles)}; img-src {images}; connect-src 'none'; font-src 'none'; "
            "object-src 'none'; base-uri 'none'; form-action 'none'")


# --- the payload -------------------------------------------------------------------
#
# Two parts, so a big map is drawn before its details are even parsed:
# - the head (``#gm-data``, before the script that draws): labels, options and five
#   columns — position, status, count and approximate flag — all the first draw needs;
# - the details (``#gm-rows``, after that script): one JSON array per line and facility,
#   in :data:`DETAIL_FIELDS` order, parsed one line at a time when a popup, tooltip,
#   search or the screen-reader table needs it.

#: Per-facility fields of the detail rows: only what the page shows.
#: ``counts`` items are ``[detainees, qualifier, as_of, source, counted_by]``; ``figures`` the latest
#: figure of each organisation that counted there (positions in ``counts``, :func:`geomap.timeline.figure_refs`).
DETAIL_FIELDS = ("id", "name", "other_name", "aliases", "status", "status_date", "status_source", "detainees",
                 "qualifier", "as_of", "count_source", "counted_by", "note_count", "precision", "location_source",
                 "operator", "facility_type", "place", "notes", "sources", "history", "counts", "figures")
_ROWS_ID, _TIMELINE_ID = "gm-rows", "gm-timeline"


def _column(facilities, name):
    return facilities[name].tolist() if name in facilities.columns else [None] * len(facilities)


def _detainees(facilities):
    """The current figures as plain ints (None where there is none)."""
    return [None if d is None else int(d) for d in _column(facilities, "detainees")]


def draw_columns(facilities):
    """The head's columns: what drawing the markers needs, one list per field."""
    unknown = STATUS_ORDER.index("unknown")
    codes = {status: code for code, status in enumerate(STATUS_ORDER)}
    return {
        "lon": facilities.geometry.x.round(COORD_DECIMALS).tolist(),
        "lat": facilities.geometry.y.round(COORD_DECIMALS).tolist(),
        "status": [codes.get(status, unknown) for status in _column(facilities, "status")],
        "detainees": _detainees(facilities),
        "approximate": [0 if precision == "site" else 1 for precision in _column(facilities, "location_precision")],
    }


def detail_rows(facilities, lang, as_of=None):
    """One list per facility, in :data:`DETAIL_FIELDS` order.

    A facility cites the same few sources in many fields (its status, figures, history):
    those fields hold the URL's position in the facility's own ``sources`` list when it is
    there, which makes a 100k page ~35% smaller without any page-wide table to keep. ``figures`` are
    those standing on ``as_of`` (None: the latest).
    """
    names, names_en = _column(facilities, "name"), _column(facilities, "name_en")
    if lang == "en":
        shown = [en or name for name, en in zip(names, names_en)]
        other = [name if en else None for name, en in zip(names, names_en)]
    else:
        shown, other = names, names_en
    sources = [list(urls or []) for urls in _column(facilities, "sources")]
    positions = [{url: k for k, url in enumerate(urls)} for urls in sources]

    def refs(urls):
        return [position.get(url, url) for position, url in zip(positions, urls)]

    counts_col, as_of_col = _column(facilities, "detainee_counts"), _column(facilities, "detainees_as_of")
    detainees, qualifiers = _detainees(facilities), _column(facilities, "detainees_qualifier")
    count_sources, counted_by = _column(facilities, "detainees_source"), _column(facilities, "detainees_counted_by")
    places = [", ".join(part for part in (city, state) if part) or None
              for city, state in zip(_column(facilities, "city"), _column(facilities, "state"))]
    history = [[[e["status"], e["date"], position.get(e.get("source"), e.get("source"))] for e in events or []]
               for position, events in zip(positions, _column(facilities, "status_history"))]
    counts = [[[c["detainees"], c.get("qualifier"), c["as_of"], position.get(c.get("source"), c.get("source")),
                c.get("counted_by")] for c in series or []] for position, series in zip(positions, counts_col)]
    notes_for_count = [shown_note(series, {"detainees": d, "detainees_qualifier": q, "detainees_as_of": a,
                                           "detainees_source": u, "detainees_counted_by": c})
                       for series, d, q, a, u, c in zip(counts_col, detainees, qualifiers, as_of_col, count_sources,
                                                        counted_by)]
    figures = [figure_refs(series, standing(series or [], as_of)) for series in counts_col]
    columns = [
        _column(facilities, "id"), shown, other, [list(a or []) for a in _column(facilities, "aliases")],
        _column(facilities, "status"), _column(facilities, "status_date"), refs(_column(facilities, "status_source")),
        detainees, qualifiers, as_of_col, refs(count_sources), counted_by,
        notes_for_count, _column(facilities, "location_precision"), refs(_column(facilities, "location_source")),
        _column(facilities, "operator"), _column(facilities, "facility_type"), places,
        [shown_notes(notes, notes_es, lang) for notes, notes_es in zip(_column(facilities, "notes"), _column(facilities, "notes_es"))],
        sources, history, counts, figures,
    ]
    return [list(row) for row in zip(*columns)]


def data_as_of(facilities, options):
    """The date the map describes: ``--as-of`` if given, else the newest dated figure, status
    or nationwide total."""
    return options.as_of or latest_date(facilities)


def national_headline(facilities, as_of, counted_by=None):
    """``(primary organisation, its nationwide total standing on as_of or None, [each other organisation's
    latest, newest first])`` from ``attrs["national_totals"]`` (:func:`geomap.history.national_figures`)."""
    primary = primary_organisation(facilities, counted_by)
    return (primary, *national_figures(facilities.attrs.get("national_totals") or [], as_of, primary))


def counting_organisations(facilities, national_figures):
    """Who counted the figures a map shows (each facility's current one and the headline's), most
    figures first; None for figures whose organisation is not recorded. A picture's sources line."""
    shown = [organisation for organisation, detainees in zip(_column(facilities, "detainees_counted_by"),
                                                             _detainees(facilities)) if detainees is not None]
    tally = Counter(shown + [figure.get("counted_by") for figure in national_figures if figure])
    return sorted(tally, key=lambda organisation: (-tally[organisation], organisation is None, str(organisation)))


def clustered(facilities, options):
    """Whether the page groups nearby markers: asked for, and more facilities than ``cluster_above``."""
    return options.cluster and len(facilities) > options.cluster_above


def build_head(facilities, options):
    """The head of the payload: labels, options, headline figures and the draw columns (and a
    picture's caption: who counted)."""
    labels = LABELS[options.lang]
    as_of = data_as_of(facilities, options)
    primary, national, others = national_headline(facilities, as_of, options.counted_by)
    caption = {"counted_by": counting_organisations(facilities, [national, *others])} if options.static else None
    return {
        "lang": options.lang,
        "labels": labels,
        "title": options.title or labels["title"],
        "subtitle": options.subtitle if options.subtitle is not None else labels["subtitle"],
        "as_of": as_of,
        "national": national,
        "national_others": others,
        "national_primary": primary,
        "national_series": national_points(facilities.attrs.get("national_totals") or [], primary),
        "options": {"embed": options.embed, "cluster": clustered(facilities, options), "static": options.static,
                    "tiles": options.tiles},
        "style": {"colours": STATUS_COLOURS, "shapes": STATUS_SHAPES, "groups": GROUP_COLOURS},
        "statuses": STATUS_ORDER,
        "fields": DETAIL_FIELDS,
        "columns": draw_columns(facilities),
        "caption": caption,
    }


#: Up to this many facilities the detail rows, time view and basemap are packed (:func:`packed_block`):
#: a third of their size, unpacked in a few ms. A larger map streams its rows as lines, unpacked.
PACK_LIMIT = AUTO_LIMIT
_PACKED = ' data-packed="deflate"'


def packed_block(text):
    """``text`` packed for a data block: raw DEFLATE (level 9) in :func:`packed_digits`; the page's
    ``blockText()`` (assets/map/inflate.js) unpacks it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packed_digits(packer.compress(text.encode()) + packer.flush())


def packed_digits(data):
    """``data`` in base85, RFC 1924's digits (Python's ``b85encode``) with "." for "<", so nothing in it
    can end a <script>: 5 characters for 4 bytes, 6% less than base64's 4 for 3."""
    return base64.b85encode(data).decode().replace("<", ".")


def _unpacked(packed):
    """The text :func:`packed_block` packed."""
    return zlib.decompress(base64.b85decode(packed.replace(".", "<")), -15).decode()


def block_text(page, block_id):
    """The text of the page's data block ``block_id`` (unpacked if packed), as the page reads it; None if absent."""
    found = re.search(rf'<script type="[^"]*" id="{re.escape(block_id)}"( data-packed="deflate")?>(.*?)</script>', page, re.S)
    if not found:
        return None
    return _unpacked(found.group(2)) if found.group(1) else found.group(2)


def page_scripts(page):
    """The text of every inline script the page runs, in order: its plain ones as written, its packed
    ones (:func:`loader_script`) unpacked, as the loader runs them; what the tests read for code."""
    return [_unpacked(text) if f'type="{PACKED_SCRIPT}"' in attrs else text
            for tag, attrs, text in _INLINE_BLOCK.findall(page)
            if tag.lower() == "script" and (f'type="{PACKED_SCRIPT}"' in attrs or not _NOT_SCRIPT.search(attrs))]


def _data_block(kind, block_id, text, packed):
    if packed:
        return f'<script type="application/{kind}" id="{block_id}"{_PACKED}>{packed_block(text)}</script>\n'
    return f'<script type="application/{kind}" id="{block_id}">{text}</script>\n'


def time_view(facilities, options, as_of):
    """The time view's data up to ``as_of`` (:func:`geomap.timeline.timeline`) when the map gets one, else None.

    A picture gets it too, without the slider: its size scale and legend rows are then the page's.
    """
    wanted = options.timeline if options.timeline is not None else len(facilities) <= AUTO_LIMIT
    return timeline(facilities, as_of, options.counted_by) if wanted else None


def detail_lines(facilities, lang, batch=5000, as_of=None):
    """The detail rows as text, ``batch`` facilities at a time: one JSON array per line."""
    for start in range(0, len(facilities), batch):
        with gc_paused():
            rows = detail_rows(facilities.iloc[start:start + batch], lang, as_of)
            yield ("\n" if start else "") + _script_safe(b"\n".join(map(orjson.dumps, rows)).decode())


# --- the page --------------------------------------------------------------------


#
# :func:`make_map` builds a real folium Map inside a :class:`_Page` figure: geomap's layer
# (:class:`GeomapLayer`: assets, payload, drawing call, detail rows) is one of the map's children,
# beside any folium layer a user adds, so the same object shows in a notebook, saves with
# ``m.save()`` and is what :func:`write_map` streams to a file.


class _Verbatim(Element):
    """Text put in the page exactly as given.

    A plain branca ``Element(text)`` compiles its text as a Jinja template: data
    containing ``{{ ... }}`` would be evaluated as Python during the build (and
    ``{%`` would crash it), and compiling a 100k-facility payload takes ~10 s.
    """

    def __init__(self, text):
        super().__init__()
        self.text = text

    def render(self, **kwargs):
        return self.text


class _DetailRows(Element):
    """The detail rows' data block; while its layer's ``rows_marker`` is set, that marker instead,
    where :func:`map_parts` streams the rows in batches."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def render(self, **kwargs):
        layer = self.layer
        if layer.rows_marker:  # only for an unpacked (large) map: see map_parts
            return f'<script type="application/x-ndjson" id="{_ROWS_ID}">{layer.rows_marker}</script>\n'
        rows = "".join(detail_lines(layer.facilities, layer.options.lang, as_of=layer.options.as_of))
        return _data_block("x-ndjson", _ROWS_ID, rows, layer.packed)


def _default_icon_script():
    """Leaflet's default pin as data URIs, for folium Markers a user adds (the page loads no image files)."""
    images = {key: f"data:image/png;base64,{base64.b64encode(_assets().joinpath('vendor', 'leaflet', 'images', name).read_bytes()).decode()}"
              for key, name in (("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
                                ("shadowUrl", "marker-shadow.png"))}
    return f"<script>L.Icon.Default.imagePath = \"\"; L.Icon.Default.mergeOptions({json.dumps(images)});</script>"


def _descendants(element):
    for child in element._children.values():
        yield child
        yield from _descendants(child)


class GeomapLayer(MacroElement):
    """geomap's map as one folium element: the pinned Leaflet files and the page's own script in the
    head, the payload's head before the map, the call that draws it (legend, search, table, slider
    included) in the map's script, and the detail rows, time view and basemap after it.

    Added to its map by :func:`make_map`; other folium layers may sit beside it.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geomap.render({{ this._parent.get_name() }}, {{ this.ids|tojson }}"
        "{% if this.tiles %}, {{ this.tiles.get_name() }}{% endif %});"
        "{% endmacro %}"
    )

    def __init__(self, facilities, options, head, view, tiles=None):
        super().__init__()
        self._name = "GeomapLayer"
        self.facilities, self.options, self.head, self.view = facilities, options, head, view
        self.tiles = tiles  # the base map's tile layer, added by the page after its first paint (make_map)
        self.rows_marker = None  # see _DetailRows
        self.packed = len(facilities) <= PACK_LIMIT
        self.base = basemap(facilities)
        self.ids = {"data": _DATA_ID, "rows": _ROWS_ID, "timeline": _TIMELINE_ID} | ({"basemap": _BASEMAP_ID} if self.base else {})

    def render(self, **kwargs):
        figure = self.get_root()
        tail = getattr(figure, "tail", figure.html)  # a plain folium Figure: all before the script
        figure.header.add_child(_Verbatim(_head_assets(self.options.cdn, self.head["options"]["cluster"], self.options.static)), name="geomap_assets")
        if any(isinstance(element, folium.Marker) and element.icon is None for element in _descendants(self._parent)):
            figure.header.add_child(_Verbatim(_default_icon_script()), name="geomap_default_icon")
        # The head stays JSON: the first draw reads it, and unpacking it costs that draw more than it saves.
        figure.html.add_child(_Verbatim(_data_block("json", _DATA_ID, json_for_script(self.head), False)), name="geomap_data")
        tail.add_child(_DetailRows(self), name="geomap_rows")
        if self.view and not self.options.static:  # a picture never moves to another date
            tail.add_child(_Verbatim(_data_block("json", _TIMELINE_ID, json_for_script(self.view), self.packed)),
                           name="geomap_timeline")
        # The basemap is data, not code: inlined even with --cdn, so the map stays readable without
        # tiles. Last: a background, drawn after the markers, the first paint need not wait for it.
        if self.base:
            tail.add_child(_Verbatim(_data_block("json", _BASEMAP_ID, json_for_script(self.base), self.packed)),
                           name="geomap_basemap")
        super().render(**kwargs)


class _Page(folium.Figure):
    """folium's Figure with markup the Nu HTML checker accepts: the document's language on
    ``<html>``, a UTF-8 charset declaration, the map in the page's one ``<main>`` landmark, and
    every script inside ``<body>`` (folium's own template puts the script that creates the
    map after ``</body>``); data blocks after the map's script (:attr:`tail`); the
    Content-Security-Policy filled in once the page is rendered (:func:`content_security_policy`)."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n{{ this.header.render(**kwargs) }}\n</head>\n"
        "<body>\n<main>\n{{ this.html.render(**kwargs) }}\n</main>\n"
        "<script>\n{{ this.script_text(**kwargs) }}</script>\n"
        "{{ this.tail.render(**kwargs) }}"
        "</body>\n</html>\n"
    )

    def __init__(self, options, title, description):
        super().__init__()
        self.lang, self.options = options.lang, options
        self.tail = Element("{% for name, element in this._children.items() %}{{ element.render(**kwargs) }}{% endfor %}")
        self.tail._parent = self
        # The policy first, right after the charset: nothing before it (not even the title) escapes it.
        # Its hashes are of the final text, so it is filled in once the page is rendered.
        self._policy = f"geomap-csp-{uuid.uuid4().hex}"
        # In place of folium's <meta http-equiv="content-type" ... />: the short form, first in <head>.
        for name, text in (("meta_http", '<meta charset="utf-8">'),
                           ("csp", f'<meta http-equiv="Content-Security-Policy" content="{self._policy}">'),
                           ("title", f"<title>{html.escape(title)}</title>"), ("viewport", VIEWPORT),
                           ("description", f'<meta name="description" content="{html.escape(description)}">')):
            self.header.add_child(_Verbatim(text), name=name)

    def script_text(self, **kwargs):
        """The map's script (folium's and every layer's calls), minified like geomap's own."""
        return minified_js(self.script.render(**kwargs))

    def render(self, **kwargs):
        page = super().render(**kwargs)
        return page.replace(self._policy, content_security_policy(page, self.options), 1)


#: folium's viewport: ``maximum-scale=1.0, user-scalable=no`` stops pinch-zoom (WCAG 1.4.4).
_FOLIUM_VIEWPORT = re.compile(r'\s*<meta name="viewport"[^>]*>')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def compact_markup(markup):
    """``markup`` (script, style and other tags) with each inline script and style minified and the
    indentation between tags dropped: what folium writes is indented source."""
    def minified(match):
        tag, attrs, text = match.groups()
        return f"<{tag}{attrs}>{minified_css(text) if tag.lower() == 'style' else minified_js(text)}</{tag}>"

    return re.sub(r">\s+<", ">\n<", _INLINE_BLOCK.sub(minified, markup)).strip()


class _PinnedMap(folium.Map):
    """A folium Map without folium's CDN defaults (jQuery, Bootstrap, Font Awesome):
    the page gets exactly the pinned Leaflet files it uses, from :func:`_head_assets`;
    without folium's viewport, which forbids zooming (the page has its own, :data:`VIEWPORT`);
    and with folium's styles and switches in its head minified (:func:`compact_markup`)."""

    default_js = []
    default_css = []

    def render(self, **kwargs):
        super().render(**kwargs)
        header = self.get_root().header
        text, found = _FOLIUM_VIEWPORT.subn("", header._children[self.get_name()].render(), count=1)
        if not found:  # a folium that writes it differently: fail the build, not the reader's zoom
            raise RuntimeError("folium's viewport <meta> not found: update render._FOLIUM_VIEWPORT")
        header.add_child(_Verbatim(compact_markup(text)), name=self.get_name())


def page_description(title, subtitle):
    """The page's ``<meta name="description">``: the title, then the subtitle when there is one."""
    if not subtitle:
        return title
    return f"{title}{' ' if title.endswith(('.', '!', '?', ':', '…')) else '. '}{subtitle}"


def make_map(facilities, options=MapOptions()):
    """geomap's map of ``facilities`` as a real ``folium.Map``: markers, legend, search, table and date
    slider in one :class:`GeomapLayer`, inside a self-contained page (:class:`_Page`).

    It shows inline in Jupyter (``_repr_html_``), takes other folium layers
    (``folium.GeoJson(...).add_to(m)``, ``folium.Marker``) and ``m.save(path)`` writes the same
    self-contained page :func:`write_map` does (README "In a notebook").
    """
    head = build_head(facilities, options)
    # The slider and the legend need the dates, statuses and largest figure up front; the
    # states only once the slider moves: they follow the rows.
    view = time_view(facilities, options, head["as_of"])
    head["timeline"] = view and {key: view.pop(key) for key in ("dates", "statuses", "max_detainees")}
    figure = _Page(options, head["title"], page_description(head["title"], head["subtitle"]))
    fmap = _PinnedMap(location=[0, 0], zoom_start=2, tiles=None, prefer_canvas=False,
                      width="100%", height="100%", control_scale=False)
    fmap.options["maxZoom"] = 18  # folium passes max_zoom to tiles only
    if options.static:  # a picture is taken once its tiles have loaded: none still fading in
        fmap.options["fadeAnimation"] = False
    figure.add_child(fmap)
    # Made by folium's script but not added to the map there (show=False): the page adds it once the
    # headline, markers and basemap have painted, so its requests never hold up the first paint;
    # its credit shows from the start (assets/map/basemap.js: creditTiles, addTiles).
    tiles = options.tiles and folium.TileLayer(TILE_URL, attr=TILE_ATTRIBUTION, name="OpenStreetMap", max_zoom=19,
                                               show=False).add_to(fmap)
    fmap.add_child(GeomapLayer(facilities, options, head, view, tiles or None))
    return fmap


def _geomap_layer(fmap):
    found = [element for element in _descendants(fmap) if isinstance(element, GeomapLayer)]
    if len(found) != 1 or not isinstance(fmap.get_root(), _Page):
        raise ValueError("not a map from geomap.render.make_map")
    return found[0]


def map_parts(fmap, batch=5000):
    """A :func:`make_map` map's page as a sequence of strings: the detail rows streamed
    ``batch`` facilities at a time, so a large map is written without ever being one giant string."""
    layer = _geomap_layer(fmap)
    if layer.packed:  # packed rows are one block: nothing to stream
        yield fmap.get_root().render()
        return
    layer.rows_marker = marker = f"geomap-rows-{uuid.uuid4().hex}"
    try:
        before, found, after = fmap.get_root().render().partition(marker)
    finally:
        layer.rows_marker = None
    if not found:
        raise RuntimeError("the detail rows' place was not rendered")
    yield before
    yield from detail_lines(layer.facilities, layer.options.lang, batch, layer.options.as_of)
    yield after


def page_parts(facilities, options=MapOptions(), batch=5000):
    """The map page as a sequence of strings (:func:`map_parts` of :func:`make_map`).

    The head of the payload sits before the script that draws; the detail rows follow
    that script, ``batch`` facilities at a time, so a large map is drawn while its
    details are still being read.
    """
    return map_parts(make_map(facilities, options), batch)


def render_html(facilities, options=MapOptions()):
    """Return the map page for ``facilities`` as one HTML string."""
    return "".join(page_parts(facilities, options))


def write_map(facilities, output, options=MapOptions()):
    """Render and write the map atomically: an earlier file survives any failure.

    ``facilities`` may also be a map from :func:`make_map` (with the user's own layers added).
    """
    parts = map_parts(facilities) if isinstance(facilities, folium.Map) else page_parts(facilities, options)
    with atomic_write(output) as handle:
        for part in parts:
            handle.write(part)
    return output


#: What the embedded map may do: run its scripts and open source links in a new,
#: unsandboxed tab. Not allow-same-origin: the map never touches the host's cookies or storage.
IFRAME_SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox"


def iframe_snippet(url, title=None, height=None, aspect="4:3", lang="en"):
    """A responsive ``<iframe>`` for a map built with ``embed=True``.

    Width is always 100% of the article column; the height follows ``aspect``
    (``W:H``) unless a fixed ``height`` in pixels is given.
    """
    if not re.match(r"^(https?://|/|\./|\.\./|[\w.-]+\.html?\b)", url):
        raise InputError(f"{url!r}: give the map's http(s) URL or a relative path to it")
    title = title or LABELS[lang]["title"]
    attrs = (f'src="{html.escape(url)}" title="{html.escape(title)}" aria-label="{html.escape(title)}" '
             f'loading="lazy" sandbox="{IFRAME_SANDBOX}" allow="fullscreen" allowfullscreen '
             f'referrerpolicy="no-referrer"')
    if height:
        return f'<iframe {attrs} style="display:block;width:100%;height:{int(height)}px;border:0"></iframe>'
    match = re.fullmatch(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)", aspect or "")
    if not match or float(match.group(2)) == 0:
        raise InputError(f"--aspect {aspect!r}: write width:height, e.g. 16:9")
    return (f'<div style="position:relative;width:100%;aspect-ratio:{match.group(1)}/{match.group(2)}">'
            f'<iframe {attrs} style="position:absolute;inset:0;width:100%;height:100%;border:0"></iframe></div>')
