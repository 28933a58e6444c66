"""The page's own defences: a strict Content-Security-Policy, bidi isolation of data text,
links that show the host they really lead to (docs/security.md, "The page")."""

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.labels import LABELS
from geomap.load import read_facilities
from geomap.render import (PACKED_SCRIPT, MapOptions, block_text, content_security_policy, iframe_snippet, manifest,
                           packed_block, page_parts, page_script, render_html, write_map)

from conftest import REPO, OfflinePage

SMALL = REPO / "tests/fixtures/small.geojson"
JS_TYPES = ("", "text/javascript", "application/javascript", "module")

# Installed before any page script (Playwright's init scripts are not subject to the page's CSP).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
}, true);
"""


# --- the policy, read from the written page ------------------------------------------


class _Blocks(HTMLParser):
    """Every <script>/<style> of a page with its attributes and exact text, and the CSP meta's position."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.blocks, self.policy, self.order, self._open = [], None, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.order.append(tag if tag != "meta" or attrs.get("http-equiv", "").lower() != "content-security-policy" else "csp")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "content-security-policy":
            self.policy = attrs["content"]
        if tag in ("script", "style"):
            self._open = {"tag": tag, "attrs": attrs, "text": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if self._open is not None and tag == self._open["tag"]:
            self.blocks.append(self._open)
            self._open = None


def _read(page):
    parser = _Blocks()
    parser.feed(page)
    directives = {}
    for part in parser.policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return parser, directives


def _sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _executable(block):
    return block["tag"] == "script" and "src" not in block["attrs"] and block["attrs"].get("type", "").lower() in JS_TYPES


def _run_texts(page, parser):
    """The text of every inline script the page runs: its plain ones, and the ones its loader unpacks."""
    return ([b["text"] for b in parser.blocks if _executable(b)] +
            [block_text(page, b["attrs"]["id"]) for b in parser.blocks if b["attrs"].get("type") == PACKED_SCRIPT])


@pytest.mark.parametrize("options", [MapOptions(), MapOptions(lang="es", embed=True), MapOptions(tiles=False, static=True)],
                         ids=["default", "embed-es", "static"])
def test_every_inline_script_and_style_is_hashed_and_nothing_else_is_allowed(options):
    facilities = read_facilities(SMALL)
    page = "".join(page_parts(facilities, options, batch=1))  # written in parts, as a big map is (4 sites: no supercluster)
    parser, csp = _read(page)
    scripts = [b for b in parser.blocks if _executable(b)]
    styles = [b for b in parser.blocks if b["tag"] == "style"]
    data = [b for b in parser.blocks if b["tag"] == "script" and not _executable(b)]
    assert len(scripts) == 4 and len(styles) >= 4  # folium's switches, the guard, the loader, the map's script
    assert {b["attrs"]["type"] for b in data} == {"application/json", "application/x-ndjson", PACKED_SCRIPT}
    packed = [b for b in data if b["attrs"]["type"] == PACKED_SCRIPT]
    assert [b["attrs"]["id"] for b in packed] == ["gm-js-leaflet", "gm-js-leaflet-fullscreen", "gm-js-page"]
    assert sorted(h for h in csp["script-src"] if h.startswith("'sha256-")) == sorted({_sha256(t) for t in _run_texts(page, parser)})
    assert sorted(h for h in csp["style-src"] if h.startswith("'sha256-")) == sorted({_sha256(b["text"]) for b in styles})
    assert not {_sha256(b["text"]) for b in data} & set(csp["script-src"])  # data blocks never run: not hashed
    for name, values in csp.items():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "https:", "http:"} & set(values), name
    assert csp["default-src"] == csp["object-src"] == csp["base-uri"] == csp["form-action"] == ["'none'"]
    assert csp["connect-src"] == ["'none'"]
    assert csp["img-src"] == (["data:", "https://tile.openstreetmap.org"] if options.tiles else ["data:"])
    # the policy comes before the title and every script and style, right after the charset
    assert parser.order.index("csp") < min(parser.order.index(tag) for tag in ("title", "script", "style"))
    assert page.index('<meta charset="utf-8">') < 1024  # still where the browser's encoding prescan finds it


def test_cdn_pages_allow_exactly_the_pinned_files_with_integrity():
    page = render_html(read_facilities(SMALL), MapOptions(cdn=True, cluster_above=0))  # clustered: all three
    parser, csp = _read(page)
    linked = [b for b in parser.blocks if b["tag"] == "script" and "src" in b["attrs"]]
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)" integrity="(sha384-[^"]+)" crossorigin="anonymous">', page)
    assert len(linked) == 3 and len(sheets) == 2  # Leaflet, supercluster, full screen; the basemap is data, inlined
    for block in linked:
        entry = next(e for e in manifest().values() if e.get("cdn") == block["attrs"]["src"])
        assert block["attrs"]["integrity"] == entry["integrity"] and block["attrs"]["crossorigin"] == "anonymous"
    assert [v for v in csp["script-src"] if v.startswith("https:")] == [b["attrs"]["src"] for b in linked]
    assert [v for v in csp["style-src"] if v.startswith("https:")] == [href for href, _ in sheets]
    assert "https://cdn.jsdelivr.net" not in csp["script-src"] + csp["style-src"]  # a file, never the whole host


@pytest.mark.parametrize("block", ["<script>/* <!-- */ go()</script>", "<style>a{}</style ><script>x</scripts></script>"])
def test_a_block_the_html_parser_would_split_differently_is_refused_not_hashed_wrongly(block):
    with pytest.raises(ValueError, match="HTML parser"):
        content_security_policy(f"<html><head>{block}</head></html>", MapOptions())


# --- in chromium ---------------------------------------------------------------------


class WatchedPage(OfflinePage):
    """An offline page that also records every CSP violation, as events and as console messages."""

    def __init__(self, context, serve=None):
        super().__init__(context)
        self.serve = serve or {}
        self.console = []
        self.page.add_init_script(WATCH_CSP)
        self.page.on("console", lambda m: "Content Security Policy" in m.text and self.console.append(m.text))

    def _route(self, route):
        body = self.serve.get(route.request.url)
        if body is None:
            return super()._route(route)
        content_type = "text/css" if route.request.url.endswith(".css") else "application/javascript"
        route.fulfill(body=body, headers={"Content-Type": content_type, "Access-Control-Allow-Origin": "*"})

    def violations(self, frame=None):
        return (frame or self.page).evaluate("window.__csp")


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield WatchedPage(context)
    context.close()


def _build(tmp_path, *args):
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["build", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def _use_the_map(watched, page):
    """What a reader does: popups from a click and from the search, the tooltip, the table, the slider."""
    page.wait_for_selector("#gm-table[data-complete=true]", state="attached")
    watched.reveal("helicoide", keep_closed=True)
    watched.hover_marker("helicoide")  # before the popup pans the map
    page.wait_for_selector(".leaflet-tooltip")
    watched.click_marker("helicoide")
    assert "Helicoide" in page.wait_for_selector(".leaflet-popup-content .gm-popup h2").inner_text()
    page.fill("#gm-search-input", "tocor")
    page.click("#gm-search-results button[data-id=tocoron]")
    page.wait_for_selector(".leaflet-popup-content .gm-popup h2:has-text('Tocor')")
    page.focus("#gm-table button.gm-table-show")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content .gm-popup")
    slider = page.locator("#gm-timeline-input")
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => !document.querySelector('.gm-asof').textContent.includes('2026')")
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('.gm-asof').textContent.includes('2026')")


@pytest.mark.browser
@pytest.mark.parametrize("args", [[], ["--lang", "es"]], ids=["default", "spanish"])
def test_the_map_works_under_its_policy_without_one_violation(watched, tmp_path, monkeypatch, args):
    monkeypatch.chdir(REPO)  # the default dataset, with its date slider
    page = watched.open(_build(tmp_path, *args))
    _use_the_map(watched, page)
    assert watched.violations() == [] and watched.console == []
    assert watched.errors == []


@pytest.mark.browser
def test_the_embed_page_works_under_its_policy_inside_the_sandboxed_iframe(watched, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = _build(tmp_path, "--embed")
    frame = watched.open_embedded(iframe_snippet(out.name), tmp_path, 800)
    page = watched.page
    frame.locator("#gm-search-input").fill("helicoide")
    frame.locator("#gm-search-results button[data-id=helicoide]").click()
    frame.locator(".leaflet-popup-content .gm-popup").wait_for()
    inner = page.frames[1]
    assert inner.evaluate("document.body.classList.contains('gm-embed')")
    assert watched.violations(inner) == [] and watched.console == []
    assert watched.errors == []


@pytest.mark.browser
def test_the_static_picture_draws_under_its_policy(watched, tmp_path):
    out = tmp_path / "card.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster=False, static=True, tiles=False))  # what `geomap snapshot` shoots
    page = watched.open(out)
    assert len(watched.items()) == 4
    assert watched.violations() == [] and watched.console == [] and watched.errors == [] and watched.blocked == []


@pytest.mark.browser
def test_every_packed_script_runs_under_the_policy_in_order(watched, tmp_path):
    """The loader runs each packed script (supercluster too, on a clustered map) in its block's place, as an
    inline script the policy allows by the unpacked text's hash; the map's script after them finds them all."""
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster_above=0))
    page = watched.open(out)
    assert len(watched.items()) >= 1 and page.evaluate("typeof Supercluster") == "function"
    assert page.evaluate("L.version") == "1.9.4" and page.evaluate("typeof L.Control.FullScreen") == "function"
    assert page.evaluate(f"document.querySelectorAll('script[type=\"{PACKED_SCRIPT}\"]').length") == 0  # each replaced
    ran = page.evaluate("[...document.head.querySelectorAll('script:not([type])')].map(s => s.text)")
    assert ran[-5:-1] == [block_text(out.read_text("utf-8"), f"gm-js-{name}")
                          for name in ("leaflet", "supercluster", "leaflet-fullscreen", "page")]
    assert watched.violations() == [] and watched.console == [] and watched.errors == []


@pytest.mark.browser
def test_a_spliced_packed_block_is_refused_like_a_spliced_script(watched, tmp_path):
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(tiles=False))
    spliced = f'<script type="{PACKED_SCRIPT}" id="gm-js-evil" data-packed="deflate">{packed_block("window.__pwned = 1")}</script>'
    out.write_text(out.read_text("utf-8").replace('<!-- leaflet.fullscreen', spliced + '\n<!-- leaflet.fullscreen', 1), "utf-8")
    page = watched.open(out)
    assert len(watched.items()) == 4 and page.evaluate("window.__pwned") is None  # the page's own still run
    assert [(v["directive"], v["sample"]) for v in watched.violations()] == [("script-src-elem", "window.__pwned = 1")]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_damaged_file_says_so_on_the_page_and_names_the_block(watched, tmp_path, lang):
    """A file damaged in transit tells the reader so in the page's language, not with a blank page:
    Leaflet's block cut short in the middle (the loader runs none of the scripts, which need each other),
    the file cut off inside Leaflet's block (the loader never arrives) or inside the detail rows."""
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(tiles=False, lang=lang))
    text = out.read_text("utf-8")
    end = text.index("</script>", text.index('id="gm-js-leaflet" data-packed="deflate">'))
    rows = text.index('id="gm-rows"')
    damaged = {"gm-js-leaflet is corrupt": text[:end - 2000] + text[end:], None: text[:end - 2000],
               "gm-basemap is missing": text[:rows - 30]}
    page = watched.page
    for error, damaged_text in damaged.items():
        out.write_text(damaged_text, "utf-8")
        watched.errors.clear()
        page.goto(out.resolve().as_uri())
        notice = page.wait_for_selector("p.gm-damaged[role=alert]")  # in <main>, or <body> if cut before it
        assert notice.inner_text().startswith({"en": "This map file is damaged", "es": "Este archivo del mapa está dañado"}[lang])
        assert page.locator(".gm-damaged").count() == 1
        if error:
            assert any(f"block #{error}" in message for message in watched.errors), watched.errors
        assert watched.violations() == []


@pytest.mark.browser
def test_cdn_page_loads_only_its_pinned_files(browser, tmp_path):
    vendor = REPO / "geomap/assets"
    serve = {entry["cdn"]: (vendor / entry["path"]).read_bytes() for entry in manifest().values() if "cdn" in entry}
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cdn=True, tiles=False))
    page_text = out.read_text("utf-8")
    elsewhere = "https://cdn.jsdelivr.net/npm/evil@1.0.0/dist/evil.js"  # same host, a file the page does not pin
    serve[elsewhere] = b"window.__pwned = 1;"
    out.write_text(page_text.replace("<body>", f'<body><script src="{elsewhere}"></script>', 1), "utf-8")
    context = browser.new_context()
    try:
        watched = WatchedPage(context, serve)
        page = watched.open(out)
        assert page.evaluate("L.version") == "1.9.4" and len(watched.items()) >= 1
        assert page.evaluate("window.__pwned") is None
        assert [v["blocked"] for v in watched.violations()] == [elsewhere]
        assert watched.errors == [] and watched.blocked == []
    finally:
        context.close()


SPLICES = {  # markup that a failed escape would let through, and what must stop it
    "head": ("</title>", '</title><script>window.__pwned_head = 1</script>'),
    "body": ("<body>", '<body><script>window.__pwned = 1</script><img src=x onerror="window.__pwned_img = 1">'
                       '<p id="gm-spliced" style="position:fixed;inset:0;background:red">Fake news</p>'
                       '<style>body { background: red }</style>'),
}


@pytest.mark.browser
def test_a_spliced_script_handler_or_style_never_runs_and_is_reported(watched, tmp_path):
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster=False))
    text = out.read_text("utf-8")
    for marker, splice in SPLICES.values():
        assert marker in text
        text = text.replace(marker, splice, 1)
    out.write_text(text, "utf-8")
    page = watched.open(out)
    page.wait_for_function("() => window.__csp.some(v => v.directive === 'img-src')")  # the broken image has failed
    assert page.evaluate("[window.__pwned, window.__pwned_head, window.__pwned_img]") == [None, None, None]
    assert page.evaluate("getComputedStyle(document.getElementById('gm-spliced')).position") == "static"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    by_directive = {}
    for violation in watched.violations():
        by_directive.setdefault(violation["directive"], []).append(violation["sample"])
    assert sorted(by_directive["script-src-elem"]) == ["window.__pwned = 1", "window.__pwned_head = 1"]
    assert by_directive["script-src-attr"] == ["window.__pwned_img = 1"]
    assert by_directive["style-src-attr"] == ["position:fixed;inset:0;background:red"]
    assert by_directive["style-src-elem"] == ["body { background: red }"]
    assert len(watched.console) == len(watched.violations())  # chromium says so in the console too
    assert len(watched.items()) == 4 and watched.errors == []  # and the map itself still works


@pytest.mark.browser
def test_styles_set_from_script_apply_and_style_attributes_in_markup_do_not(watched, tmp_path):
    """Why the policy needs no 'unsafe-inline' for Leaflet: it positions everything through
    element.style (CSSOM), which CSP does not govern; a style attribute is blocked."""
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster=False))
    page = watched.open(out)
    colours = page.evaluate("""() => {
      const a = document.createElement('p'), b = document.createElement('p');
      a.style.color = 'rgb(1, 2, 3)';
      b.setAttribute('style', 'color: rgb(1, 2, 3)');
      document.body.append(a, b);
      return [getComputedStyle(a).color, getComputedStyle(b).color];
    }""")
    assert colours[0] == "rgb(1, 2, 3)" and colours[1] != "rgb(1, 2, 3)"
    page.wait_for_function("() => window.__csp.length > 0")  # reports arrive as a task of their own
    assert [v["directive"] for v in watched.violations()] == ["style-src-attr"]


# --- data text and links -------------------------------------------------------------

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses everything after it, up to the end of its isolate
HOMOGLYPH = "https://hrw.\u043erg/report"  # Cyrillic о


def _rlo_map(tmp_path):
    facilities = read_facilities(SMALL)
    first = facilities.index[0]  # helicoide; past validation, straight to render
    for column, value in DATA_WITH_OVERRIDES.items():
        facilities.loc[first, column] = value
    facilities.loc[facilities.index[1], "geometry"] = facilities.geometry.iloc[0]  # la_tumba at the same point,
    copies = facilities.iloc[[1] * 16].assign(id=[f"copy_{k}" for k in range(16)])  # with copies: a pile listed, not fanned
    facilities = pd.concat([facilities, copies], ignore_index=True)
    out = tmp_path / "map.html"
    write_map(facilities, out, MapOptions(cluster=False, title="Title" + RLO, subtitle="Sub" + RLO))
    return out


DATA_WITH_OVERRIDES = {"name": "abc" + RLO, "name_en": None, "notes": "note" + RLO, "operator": "op" + RLO, "city": "city" + RLO}

# In ``root``, whether ``first`` is drawn left of ``second`` (two words of the same text node).
LEFT_OF = """([root, first, second]) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const a = node.data.indexOf(first), b = node.data.indexOf(second);
    if (a < 0 || b < 0) continue;
    const x = (i, word) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + word.length); return r.getBoundingClientRect().left; };
    return x(a, first) < x(b, second);
  }
  throw new Error(first + ' and ' + second + ' not found in one text node');
}"""

# Each text node holding the override: the computed unicode-bidi of its element, and that element's text.
ISOLATES = """(root) => {
  const out = [], walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    if (!node.data.includes('\\u202e')) continue;
    out.push([getComputedStyle(node.parentElement).unicodeBidi, node.parentElement.textContent]);
  }
  return out;
}"""


@pytest.mark.browser
def test_an_unclosed_override_in_the_data_stays_inside_its_own_isolate(offline_page, tmp_path):
    page = offline_page.open(_rlo_map(tmp_path))
    page.wait_for_selector("#gm-table[data-complete=true]", state="attached")
    page.fill("#gm-search-input", "abc")
    page.wait_for_selector("#gm-search-results button[data-id=helicoide]")
    stack = next(item for item in offline_page.items() if item["kind"] == "stack")
    page.mouse.click(stack["x"], stack["y"])
    button = page.wait_for_selector(".gm-stack-list button[data-id=helicoide]")
    assert page.evaluate(LEFT_OF, [button, "Announced", "detainees"])  # the name, then status and count, in order
    assert page.evaluate(ISOLATES, button) == [["isolate", "abc" + RLO]]
    button.click()
    page.wait_for_selector(".leaflet-popup-content .gm-popup:not(.gm-stack) h2")
    values = {"abc" + RLO, "note" + RLO, "op" + RLO, "city" + RLO, "Title" + RLO, "Sub" + RLO}
    for where, expected in ((".leaflet-popup-content", 4), ("#gm-search-results", 1), ("#gm-table", 1), (".gm-headline", 2)):
        found = page.evaluate(ISOLATES, page.query_selector(where))
        assert len(found) == expected and all(bidi == "isolate" and text in values for bidi, text in found), (where, found)
    assert offline_page.errors == []


@pytest.mark.browser
def test_the_tooltip_reads_in_order_after_a_name_ending_in_an_override(offline_page, tmp_path):
    facilities = read_facilities(SMALL)
    tocoron = facilities.index[facilities["id"] == "tocoron"][0]  # alone on the map
    facilities.loc[tocoron, "name"] = "abc" + RLO
    out = tmp_path / "map.html"
    write_map(facilities, out, MapOptions(cluster=False))
    page = offline_page.open(out)
    offline_page.hover_marker("tocoron")
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert tooltip.text_content() == "abc" + RLO + " \u2014 Open \u2014 800 detainees as of 2026-01, organisation not recorded"
    assert page.evaluate(LEFT_OF, [tooltip, "Open", "detainees"])  # not "10-6202 fo sa seeniated 008 — nepO —"
    assert page.evaluate(ISOLATES, tooltip) == [["isolate", "abc" + RLO]]


@pytest.mark.browser
def test_links_show_the_host_they_lead_to_in_ascii_when_it_is_not_plain_ascii(offline_page, tmp_path):
    facilities = read_facilities(SMALL)
    first = facilities.index[0]
    sources = [HOMOGLYPH, "https://www.hrw.org/news", "https://hrw.org@evil.example/", "https://espa\u00f1a.example/"]
    column = list(facilities["sources"])
    column[0] = sources
    facilities["sources"] = column
    facilities.loc[first, "detainees_source"] = HOMOGLYPH
    out = tmp_path / "map.html"
    write_map(facilities, out, MapOptions(cluster=False))
    page = offline_page.open(out)
    offline_page.reveal("helicoide")
    popup = page.wait_for_selector(".leaflet-popup-content .gm-popup")
    shown = popup.eval_on_selector_all(".gm-sources a", "links => links.map(a => a.textContent)")
    ascii_homoglyph = "hrw.\u043erg".encode("idna").decode()  # hrw.xn--rg-…
    assert ascii_homoglyph.startswith("hrw.xn--")
    assert shown == [ascii_homoglyph, "hrw.org", "evil.example", "espa\u00f1a.example".encode("idna").decode()]
    hrefs = popup.eval_on_selector_all(".gm-sources a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == sources  # the link itself is unchanged
    # a link labelled "source" names its host on hover
    labelled = popup.eval_on_selector_all("dd a[title]", "ls => ls.map(a => [a.getAttribute('href'), a.textContent, a.title])")
    assert [HOMOGLYPH, LABELS["en"]["source"], ascii_homoglyph] in labelled  # the count's source
    assert ["https://example.org/s", LABELS["en"]["source"], "example.org"] in labelled  # the status's
    assert offline_page.errors == []


@pytest.mark.browser
def test_only_http_anchors_leave_the_page_and_each_opens_a_new_tab(offline_page, tmp_path):
    out = tmp_path / "map.html"
    write_map(read_facilities(SMALL), out, MapOptions(cluster=False))
    page = offline_page.open(out)
    for facility in ("helicoide", "tocoron"):
        offline_page.reveal(facility)
        page.wait_for_selector(".leaflet-popup-content .gm-popup")
    anchors = page.eval_on_selector_all("a", "links => links.map(a => [a.getAttribute('href'), a.target, a.rel])")
    outgoing = [a for a in anchors if re.match(r"https?://", a[0] or "")]
    assert len(outgoing) > 5 and all(target == "_blank" and rel == "noopener noreferrer" for _, target, rel in outgoing)
    assert all(href.startswith("#") for href, _, _ in anchors if not re.match(r"https?://", href)), anchors
    assert len(offline_page.context.pages) == 1 and page.url == out.resolve().as_uri()


def test_the_page_script_never_navigates_or_opens_windows_itself():
    script = page_script(static=True)  # every part
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", script, flags=re.S)
    for pattern in (r"\blocation\s*(\.\s*\w+\s*)?=(?!=)", r"\blocation\.(assign|replace|reload)\b", r"\bwindow\.open\b",
                    r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write", r"\beval\b|new Function|\.submit\("):
        assert not re.search(pattern, code), pattern
