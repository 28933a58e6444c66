"""The layout at every size, in the page and in the iframe `geomap embed` prints: no control over
another, an open popup wholly in view with nothing on top of it, small maps compact, and every
control working by click and by keyboard (docs/standards.md, "Layout")."""

import pytest
from click.testing import CliRunner

from geomap.cli import main
from geomap.render import iframe_snippet

from conftest import ACTIVE_MARKER, FOCUS_MARKER, OfflinePage

pytestmark = pytest.mark.browser

PAGE_SIZES = [(320, 568), (360, 640), (390, 844), (412, 915), (768, 1024), (1024, 768), (1366, 768), (1920, 1080)]
EMBED_SIZES = PAGE_SIZES + [(640, 480), (700, 525)]  # a 640 and a 700 px article column at the default 4:3
CASES = [("page", w, h) for w, h in PAGE_SIZES] + [("embed", w, h) for w, h in EMBED_SIZES]


def compact(width, height):
    """Whether a map this size gets the compact layout (layout.js: COMPACT_WIDTH, COMPACT_HEIGHT)."""
    return width < 700 or height < 560


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The default map as `geomap build` writes it, and its --embed build, side by side."""
    folder = tmp_path_factory.mktemp("layout")
    for name, args in {"page": [], "embed": ["--embed"]}.items():
        result = CliRunner().invoke(main, ["build", *args, "-o", str(folder / f"{name}.html")])
        assert result.exit_code == 0, result.output
    return folder


# Everything wrong with the layout as it stands, as sentences: controls that overlap or leave the
# frame, a button, input or link of a control (or of the popup) that another element covers at its
# centre, a popup not wholly in the frame or with something on top of it.
PROBLEMS = r"""() => {
  const W = innerWidth, H = innerHeight, problems = [];
  const name = n => !n ? 'nothing' : (n.id ? '#' + n.id : '') + [...(n.classList || [])].filter(c => /^(gm-|leaflet-control-|leaflet-popup)/.test(c)).slice(0, 2).map(c => '.' + c).join('') || n.tagName;
  const shown = n => {
    if (!n.getClientRects().length || getComputedStyle(n).visibility === 'hidden') return false;
    for (let e = n; e; e = e.parentElement) if (getComputedStyle(e).opacity === '0') return false;
    return true;
  };
  const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const inside = r => r.left >= -0.5 && r.top >= -0.5 && r.right <= W + 0.5 && r.bottom <= H + 0.5;
  // The part of an element's first line box not clipped by a scrolling ancestor (null: scrolled out of view).
  const visiblePart = n => {
    let r = n.getClientRects()[0], box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    for (let e = n.parentElement; e; e = e.parentElement) {
      if (getComputedStyle(e).overflowY === 'visible' && getComputedStyle(e).overflowX === 'visible') continue;
      const c = e.getBoundingClientRect();
      box = { left: Math.max(box.left, c.left), top: Math.max(box.top, c.top), right: Math.min(box.right, c.right), bottom: Math.min(box.bottom, c.bottom) };
    }
    return box.right - box.left >= 2 && box.bottom - box.top >= 2 ? box : null;
  };
  const controls = [...document.querySelectorAll('.leaflet-control-container > div > .leaflet-control')].filter(shown);
  controls.forEach((a, i) => {
    if (!inside(a.getBoundingClientRect())) problems.push(name(a) + ' leaves the frame');
    controls.slice(i + 1).forEach(b => { if (meets(a.getBoundingClientRect(), b.getBoundingClientRect())) problems.push(name(a) + ' overlaps ' + name(b)); });
  });
  const popup = [...document.querySelectorAll('.leaflet-popup')].filter(shown)[0];
  const targets = controls.concat(popup ? [popup] : []).flatMap(c => [...c.querySelectorAll('a[href], button, input, summary, select')]);
  targets.filter(shown).forEach(t => {
    const r = t.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return; // visually hidden, for screen readers
    const part = visiblePart(t);
    if (!part) return; // scrolled out of its panel's view: reachable by scrolling
    const x = (part.left + part.right) / 2, y = (part.top + part.bottom) / 2;
    if (x < 0 || y < 0 || x > W || y > H) return problems.push(name(t) + ' "' + t.textContent.trim().slice(0, 20) + '" is out of the frame');
    const hit = document.elementFromPoint(x, y);
    if (!(hit === t || t.contains(hit))) problems.push(name(t) + ' "' + (t.textContent || t.value || '').trim().slice(0, 20) + '" is covered by ' + name(hit));
  });
  if (popup) {
    const wrapper = popup.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();
    const tip = popup.querySelector('.leaflet-popup-tip-container');
    [wrapper].concat(shown(tip) ? [tip.getBoundingClientRect()] : []).forEach(r => { if (!inside(r)) problems.push('the popup leaves the frame'); });
    const close = popup.querySelector('.leaflet-popup-close-button').getBoundingClientRect();
    const hit = document.elementFromPoint((close.left + close.right) / 2, (close.top + close.bottom) / 2);
    if (!hit || !hit.closest('.leaflet-popup-close-button')) problems.push("the popup's close button is covered by " + name(hit));
    for (const fx of [0.03, 0.5, 0.97]) for (const fy of [0.03, 0.5, 0.97]) {
      const over = document.elementFromPoint(wrapper.left + fx * wrapper.width, wrapper.top + fy * wrapper.height);
      if (!popup.contains(over)) problems.push(name(over) + ' is drawn over the popup');
    }
    controls.forEach(c => { if (meets(c.getBoundingClientRect(), wrapper)) problems.push(name(c) + ' overlaps the popup'); });
  }
  return problems;
}"""

# Resolves once the layout has settled: the popup (if any) faded in and no control or popup moved for 5 frames.
SETTLED = """() => new Promise(resolve => {
  let last = null, still = 0;
  (function check() {
    const popup = document.querySelector('.leaflet-popup');
    const now = JSON.stringify([...document.querySelectorAll('.leaflet-control, .leaflet-popup')].map(n => n.getBoundingClientRect()))
      + (popup ? getComputedStyle(popup).opacity : '');
    still = now === last && (!popup || getComputedStyle(popup).opacity === '1') ? still + 1 : 0;
    last = now;
    if (still >= 5) resolve(); else requestAnimationFrame(check);
  })();
})"""

# A point near the frame's bottom edge where the map itself answers (no control there), or null.
BOTTOM_SPOT = """() => {
  const W = innerWidth, H = innerHeight, clear = (x, y) => document.elementFromPoint(x, y)?.closest('.leaflet-map-pane');
  for (const up of [30, 45, 60, 80]) for (const across of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    const x = Math.round(W * across), y = H - up;
    if ([[0, 0], [-14, 0], [14, 0], [0, -14], [0, 14]].every(([dx, dy]) => clear(x + dx, y + dy))) return { x, y };
  }
  return null;
}"""

SHOWN = """(selector) => { const n = document.querySelector(selector);
  return !!n && n.getClientRects().length > 0 && getComputedStyle(n).visibility !== 'hidden'; }"""

# Whether the focused element shows its focus: an outline (or a ring drawn as a box shadow) of at least 2 px.
# (of a composite widget, the marker list: of its active option)
FOCUS_SHOWN = """() => { const focused = document.activeElement, active = focused.getAttribute('aria-activedescendant');
  const s = getComputedStyle(active ? document.getElementById(active) : focused);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || /\\d+px \\d+px 0px [2-9]/.test(s.boxShadow); }"""


class Layout:
    """One map at one size: the frame it draws in (the page, or the iframe in an article) and checks on it."""

    def __init__(self, browser, built, kind, width, height, tmp_path):
        self.compact = compact(width, height)
        if kind == "page":
            self.context = browser.new_context(viewport={"width": width, "height": height})
            self.offline = OfflinePage(self.context)
            self.frame = self.offline.open(built / "page.html")
            self.offset = (0, 0)
        else:  # in an article column `width` px wide; 4:3 as `geomap embed` prints it, else `--height`
            self.context = browser.new_context(viewport={"width": width + 40, "height": height + 120})
            self.offline = OfflinePage(self.context)
            (tmp_path / "embed.html").write_bytes((built / "embed.html").read_bytes())
            snippet = iframe_snippet("embed.html", height=None if width * 3 == height * 4 else height)
            self.offline.open_embedded(snippet, tmp_path, width)
            self.frame = next(f for f in self.offline.page.frames if f.url.endswith("embed.html"))
            box = self.frame.frame_element().bounding_box()
            assert (round(box["width"]), round(box["height"])) == (width, height)
            self.offset = (box["x"], box["y"])
        self.page = self.offline.page
        self.keyboard = self.page.keyboard

    def shown(self, selector):
        return self.frame.evaluate(SHOWN, selector)

    def check(self, state):
        self.frame.evaluate(SETTLED)
        problems = self.frame.evaluate(PROBLEMS)
        assert problems == [], state

    def click(self, selector):
        self.frame.locator(selector).click(timeout=5000)

    def press(self, key):
        self.keyboard.press(key)

    def focused(self, selector):
        return self.frame.evaluate("(s) => document.activeElement === document.querySelector(s)", selector)

    def expanded(self, selector):
        return self.frame.evaluate("(s) => document.querySelector(s).getAttribute('aria-expanded')", selector)

    def popup_closes(self):
        """Wait until the popup has faded out and gone."""
        self.frame.wait_for_selector(".leaflet-popup", state="detached")

    def items(self):
        return self.frame.evaluate("geomapMap.items()")


@pytest.fixture(params=CASES, ids=[f"{kind}-{w}x{h}" for kind, w, h in CASES])
def layout(request, browser, built, tmp_path):
    kind, width, height = request.param
    layout = Layout(browser, built, kind, width, height, tmp_path)
    yield layout
    assert layout.offline.errors == []
    layout.context.close()


def test_layout_holds_at_every_size_and_every_control_works_by_keyboard(layout):
    """One page per size (loading it is most of the time): the rules, then the keyboard."""
    rules_hold_loaded_with_legend_search_and_popups_open(layout)
    every_control_works_by_keyboard(layout)


def rules_hold_loaded_with_legend_search_and_popups_open(layout):
    frame = layout.frame
    layout.check("loaded")
    # Small maps start compact: details, search, legend and credits each behind a button.
    assert layout.shown(".gm-headline-toggle") == layout.compact
    assert layout.shown(".gm-headline-details") != layout.compact
    assert layout.shown(".gm-search-toggle") == layout.compact
    assert layout.shown("#gm-search-input") != layout.compact
    legend_open = frame.evaluate("document.querySelector('.gm-legend details').open")
    assert legend_open == (not layout.compact and not frame.evaluate("document.body.classList.contains('gm-embed')"))
    if layout.compact:
        assert layout.shown(".gm-attribution-toggle") and not layout.shown(".leaflet-control-attribution")
    # the date label on one line
    assert frame.evaluate("document.querySelector('.gm-timeline-date').getClientRects().length") == 1

    # The legend, open, leaves the zoom and full-screen buttons in view and clear.
    if not legend_open:
        layout.click(".gm-legend summary")
    layout.check("legend open")
    assert layout.shown(".leaflet-control-zoom-in") and layout.shown(".leaflet-control-zoom-fullscreen")
    if layout.compact:
        layout.click(".gm-legend summary")  # closed again: the compact map's default

    # The search, open and showing results.
    if layout.compact:
        layout.click(".gm-search-toggle")
    frame.locator("#gm-search-input").fill("el")
    frame.locator("#gm-search-results button").first.wait_for()
    assert frame.locator("#gm-search-results button").count() > 2
    layout.check("search open")

    # El Helicoide's popup, opened from the search: in a compact map, a bottom sheet that scrolls.
    frame.locator("#gm-search-input").fill("helicoide")
    layout.click("#gm-search-results button[data-id=helicoide]")
    frame.wait_for_selector(".leaflet-popup .gm-popup")
    layout.check("El Helicoide's popup open")
    if layout.compact:
        sheet = frame.evaluate("""() => { const r = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect(),
            c = document.querySelector('.leaflet-popup-content');
            return { bottom: r.bottom, width: r.width, left: r.left, scrolls: c.scrollHeight > c.clientHeight + 1,
                     overflow: getComputedStyle(c).overflowY, height: innerHeight, frame: innerWidth }; }""")
        assert sheet["bottom"] == pytest.approx(sheet["height"], abs=1)  # on the frame's bottom edge
        assert sheet["width"] == pytest.approx(min(sheet["frame"], 560), abs=1)
        assert sheet["left"] == pytest.approx((sheet["frame"] - sheet["width"]) / 2, abs=1)
        if sheet["scrolls"]:
            assert sheet["overflow"] in ("auto", "scroll")
    layout.click(".leaflet-popup-close-button")
    layout.popup_closes()
    assert layout.frame.evaluate("document.querySelectorAll('.gm-covered').length") == 0  # what lay under it is back

    # A facility moved to the frame's bottom edge, clicked where it is drawn: its popup comes wholly into view.
    layout.frame.evaluate(SETTLED)
    spot = frame.evaluate(BOTTOM_SPOT)
    assert spot, "no point near the bottom edge clear of the controls"
    lowest = max((item for item in layout.items() if item["kind"] == "facility"), key=lambda item: item["y"])
    frame.evaluate("([dx, dy]) => geomapMap.map.panBy([dx, dy], { animate: false })", [lowest["x"] - spot["x"], lowest["y"] - spot["y"]])
    frame.wait_for_function("(id) => geomapMap.items().some(i => i.id === id && Math.abs(i.y - innerHeight) < 90)", arg=lowest["id"], polling=50)
    layout.page.mouse.click(layout.offset[0] + spot["x"], layout.offset[1] + spot["y"])
    frame.wait_for_selector(".leaflet-popup .gm-popup")
    layout.check(f"{lowest['id']}'s popup open")
    if layout.compact:  # its marker stays in view, above the sheet
        marker = next(item for item in layout.items() if item["id"] == lowest["id"])
        top = frame.evaluate("document.querySelector('.leaflet-popup').getBoundingClientRect().top")
        assert 0 < marker["y"] < top
    layout.press("Escape")
    layout.popup_closes()


def every_control_works_by_keyboard(layout):
    frame = layout.frame
    layout.press("Tab")  # from the keyboard now: the browser draws the focus of what a script focuses next too
    # Each panel's button: Enter and Space open it, Escape closes it and gives the focus back, focus shown.
    toggles = [".gm-legend summary"]
    if layout.compact:
        toggles += [".gm-headline-toggle", ".gm-search-toggle", ".gm-attribution-toggle"]
    for toggle in toggles:
        is_open = ("(s) => { const b = document.querySelector(s); return b.tagName === 'SUMMARY' ? b.parentElement.open"
                   " : b.getAttribute('aria-expanded') === 'true'; }")
        frame.locator(toggle).focus()
        assert frame.evaluate(FOCUS_SHOWN), toggle
        if frame.evaluate(is_open, toggle):
            layout.press("Escape")
            assert not frame.evaluate(is_open, toggle) and layout.focused(toggle), toggle
        for key in ("Enter", " "):
            layout.press(key)
            assert frame.evaluate(is_open, toggle), (toggle, key)
            if toggle == ".gm-search-toggle":
                assert layout.focused("#gm-search-input")  # straight to typing
            layout.check(f"{toggle} opened by keyboard")
            layout.press("Escape")
            assert not frame.evaluate(is_open, toggle) and layout.focused(toggle), (toggle, key)

    # The zoom buttons: Enter and Space (each zoom waited out: Leaflet drops a zoom asked for during another).
    zoom = frame.evaluate("() => { window.zoomsEnded = 0; geomapMap.map.on('zoomend', () => zoomsEnded++); return geomapMap.map.getZoom(); }")
    frame.locator(".leaflet-control-zoom-in").focus()
    assert frame.evaluate(FOCUS_SHOWN)
    layout.press("Enter")
    frame.wait_for_function("(z) => zoomsEnded === 1 && geomapMap.map.getZoom() === z + 1", arg=zoom, polling=50)
    frame.locator(".leaflet-control-zoom-out").focus()
    layout.press(" ")
    frame.wait_for_function("(z) => zoomsEnded === 2 && geomapMap.map.getZoom() === z", arg=zoom, polling=50)

    # A status checkbox of the legend, by Space.
    if not frame.evaluate("document.querySelector('.gm-legend details').open"):
        frame.locator(".gm-legend summary").focus()
        layout.press("Enter")
    box = frame.locator(".gm-legend-row[data-status=open] input")
    box.focus()
    assert frame.evaluate(FOCUS_SHOWN)
    layout.press(" ")
    assert not box.is_checked() and not any(item["status"] == "open" for item in layout.items())
    layout.press(" ")
    assert box.is_checked()
    if layout.compact:
        layout.press("Escape")

    # The date slider, by the arrow keys.
    slider = frame.locator("#gm-timeline-input")
    latest = frame.text_content(".gm-timeline-date")
    slider.focus()
    assert frame.evaluate(FOCUS_SHOWN)
    layout.press("ArrowLeft")
    assert frame.text_content(".gm-timeline-date") != latest
    frame.wait_for_function("() => geomapMap.facilities.states !== null", polling=50)  # the map as it stood then
    layout.press("End")
    assert frame.text_content(".gm-timeline-date") == latest
    frame.wait_for_function("() => geomapMap.facilities.states === null", polling=50)

    # From the screen-reader table: the popup takes the focus, the table is not drawn over it,
    # and Escape gives the focus back to the table's button.
    frame.wait_for_selector("#gm-table[data-complete=true]", state="attached")
    button = frame.locator("#gm-table button[aria-label*=Helicoide]")
    button.focus()
    assert layout.shown("#gm-table")
    layout.press("Enter")
    frame.wait_for_selector(".leaflet-popup .gm-popup")
    assert frame.evaluate("document.querySelector('.leaflet-popup').contains(document.activeElement)")
    layout.check("popup opened from the table")
    layout.press("Escape")
    layout.popup_closes()
    assert "Helicoide" in frame.evaluate("document.activeElement.getAttribute('aria-label')")

    # The marker list: Enter opens the active marker's popup, its close button closes it, the focus
    # back on the list, that marker active.
    frame.evaluate(FOCUS_MARKER, "helicoide")
    assert frame.evaluate(FOCUS_SHOWN)
    layout.press("Enter")
    frame.wait_for_selector(".leaflet-popup .gm-popup")
    layout.check("popup opened from the marker list")
    close = frame.locator(".leaflet-popup-close-button")
    close.focus()
    assert frame.evaluate(FOCUS_SHOWN)
    layout.press(" ")  # a button: Space presses it too
    layout.popup_closes()
    assert frame.evaluate(ACTIVE_MARKER) == "helicoide"
