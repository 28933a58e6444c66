/* arrange: the layout for the size the map really has (an iframe's, not the device's).
 * Compact below COMPACT_WIDTH x COMPACT_HEIGHT: details, search, legend and credits behind buttons,
 * one open at a time, and the popup a bottom sheet. At every size each panel's scrolling part is
 * only as tall as the room its panel has, and a control an open popup (or a compact map's open
 * panel) would lie on is hidden while it is open: no control ever covers another or the popup. */
var COMPACT_WIDTH = 700, COMPACT_HEIGHT = 560, GAP = 10, MIN_FIT = 60, SHEET_SHARE = 0.6;

// The compact layout's class before the controls are built, so they are styled for the layout they
// get: arrange() reads their sizes a task later, and a frame painted between shows no other layout.
function compactFirst(map) {
  var container = map.getContainer();
  container.classList.toggle("gm-compact", container.clientWidth < COMPACT_WIDTH || container.clientHeight < COMPACT_HEIGHT);
}

function arrange(gm) {
  var map = gm.map, container = map.getContainer(), popup = gm.popup, compact = null, autopanning = false;
  map.createPane("gm-sheet", container); // outside the moving map pane, over every control
  var panels = "details[open], .gm-open";

  function frame() { return container.getBoundingClientRect(); }
  function controlsIn(selector) {
    return [].filter.call(container.querySelectorAll(selector), function (n) { return n.getClientRects().length > 0; });
  }
  function openPanels() {
    return controlsIn(".leaflet-control-container .leaflet-control").filter(function (c) {
      return c.matches(panels) || !!c.querySelector(panels);
    });
  }
  function closePanels(except) {
    openPanels().forEach(function (c) { if (c !== except) c.dispatchEvent(new CustomEvent("gm-close")); });
  }

  // The compact layout or not, by the map's size: each change starts from that layout's defaults.
  function setMode() {
    var w = container.clientWidth, h = container.clientHeight, now = w < COMPACT_WIDTH || h < COMPACT_HEIGHT;
    container.style.setProperty("--gm-w", w + "px");
    container.style.setProperty("--gm-h", h + "px");
    if (now === compact) return;
    compact = gm.compact = now;
    container.classList.toggle("gm-compact", compact);
    closePanels();
    var legendBox = container.querySelector(".gm-legend details");
    if (legendBox) legendBox.open = !compact && !gm.data.options.embed;
  }

  // Leaflet's credits in full where they fit beside the bottom-left controls, else behind (i).
  function fitCredits() {
    var text = container.querySelector(".gm-attribution .leaflet-control-attribution");
    var left = controlsIn(".leaflet-bottom.leaflet-left > .leaflet-control").reduce(function (x, c) {
      return Math.max(x, c.getBoundingClientRect().right - frame().left);
    }, 0);
    container.classList.remove("gm-credits-folded");
    text.style.maxWidth = "";
    var room = container.clientWidth - left - GAP;
    var folded = compact || text.getBoundingClientRect().width > room;
    container.classList.toggle("gm-credits-folded", folded);
    if (folded) text.style.maxWidth = Math.max(120, room - GAP - 40) + "px";
  }

  // Each panel's scrolling part (.gm-fit) as tall as its panel's room, the earlier ones (the headline first) first.
  function fitPanels() {
    var parts = controlsIn(".leaflet-control .gm-fit");
    parts.forEach(function (part) { part.style.maxHeight = "0px"; });
    parts.forEach(function (part) { part.style.maxHeight = Math.max(MIN_FIT, room(part.closest(".leaflet-control"))) + "px"; });
  }

  // How far a panel may grow: one at the top down to the bottom controls that it, or a control
  // it pushes down its corner, would meet (and the frame's edge); one at the bottom, up likewise.
  function room(panel) {
    var corner = panel.parentNode, atTop = corner.classList.contains("leaflet-top");
    var kids = [].slice.call(corner.children), k = kids.indexOf(panel), box = frame(), space = Infinity;
    var facing = controlsIn(atTop ? ".leaflet-bottom > .leaflet-control" : ".leaflet-top > .leaflet-control");
    (atTop ? kids.slice(k) : kids.slice(0, k + 1)).forEach(function (moving) {
      if (!moving.getClientRects().length) return; // not displayed
      var a = moving.getBoundingClientRect();
      space = Math.min(space, atTop ? box.bottom - GAP - a.bottom : a.top - GAP - box.top);
      facing.forEach(function (other) {
        var b = other.getBoundingClientRect();
        if (a.left < b.right && b.left < a.right) space = Math.min(space, atTop ? b.top - GAP - a.bottom : a.top - GAP - b.bottom);
      });
    });
    return space;
  }

  // The popup: in a compact map a bottom sheet (CSS: .leaflet-gm-sheet-pane), else Leaflet's own
  // popup, sized to the map and panned clear of the headline.
  function fitPopup() {
    var o = popup.options, w = container.clientWidth, h = container.clientHeight, pane = compact ? "gm-sheet" : "popupPane";
    if (compact) {
      o.autoPan = false;
      o.maxHeight = Math.round(h * SHEET_SHARE) - 30;
    } else {
      var head = container.querySelector(".gm-headline"), top = Math.min(head ? head.getBoundingClientRect().bottom - frame().top + GAP : GAP, h * 0.35);
      o.autoPan = true;
      o.autoPanPaddingTopLeft = [16, top];
      o.autoPanPaddingBottomRight = [16, 16];
      o.maxWidth = Math.min(320, w - 32 - 46);
      o.minWidth = Math.min(220, o.maxWidth);
      o.maxHeight = Math.max(120, Math.min(380, h - top - 16 - 20 - 30));
    }
    if (o.pane !== pane) {
      o.pane = pane;
      if (map.hasLayer(popup)) popup.getPane().appendChild(popup.getElement());
    }
  }

  // A sheet's marker in view above it, below the headline.
  function placeSheet() {
    if (!compact || !map.hasLayer(popup)) return;
    var box = frame(), sheetTop = popup.getElement().getBoundingClientRect().top - box.top, w = container.clientWidth;
    var head = container.querySelector(".gm-headline"), top = head ? head.getBoundingClientRect().bottom - box.top + GAP : GAP;
    var p = map.latLngToContainerPoint(popup.getLatLng());
    if (p.y < top || p.y > sheetTop - GAP || p.x < GAP || p.x > w - GAP) {
      map.panBy([p.x - w / 2, p.y - Math.max(top, (top + sheetTop) / 2)], { animate: false });
    }
  }

  // Hide each control the open popup (or a compact map's open panel) lies on, show the others
  // (once Leaflet's pan to a popup ends: what it lies on half-way there does not count).
  function uncover(closing) {
    if (autopanning) return;
    var covers = [];
    if (map.hasLayer(popup) && closing !== true) { // Leaflet says "popupclose" before it lets go of the popup
      var node = popup.getElement();
      [node.querySelector(".leaflet-popup-content-wrapper"), node.querySelector(".leaflet-popup-tip-container")].forEach(function (n) {
        if (n && n.getClientRects().length) covers.push({ node: node, rect: n.getBoundingClientRect() });
      });
    }
    if (compact) openPanels().forEach(function (c) { covers.push({ node: c, rect: c.getBoundingClientRect() }); });
    controlsIn(".leaflet-control-container > div > .leaflet-control").forEach(function (c) {
      var r = c.getBoundingClientRect();
      c.classList.toggle("gm-covered", covers.some(function (cover) {
        var b = cover.rect;
        return cover.node !== c && r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom;
      }));
    });
  }

  function relayout(resized) {
    setMode();
    fitCredits();
    fitPanels();
    if (resized) {
      fitPopup();
      if (map.hasLayer(popup)) { popup.update(); placeSheet(); }
    }
    uncover();
  }

  // One thing open at a time in a compact map: a panel opened closes the others and the popup.
  container.addEventListener("gm-toggle", function (e) {
    if (e.detail && compact) {
      closePanels(e.target);
      gm.returnFocus = null; // the reader is on the panel's button: the popup's marker must not take the focus
      map.closePopup(popup);
    }
    relayout(false);
  });
  map.on("popupopen", function () { if (compact) closePanels(); });
  map.on("autopanstart", function () { autopanning = true; });
  map.on("moveend", function () { autopanning = false; });
  map.on("popupclose", function () { uncover(true); });
  map.on("popupopen moveend zoomend", function () { uncover(); });
  map.on("move", function () { if (!compact && map.hasLayer(popup)) uncover(); });
  // Escape closes the popup; Space presses Leaflet's link buttons (zoom, full screen, close) as Enter does.
  container.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && map.hasLayer(popup)) map.closePopup(popup);
    if (e.key === " " && e.target.matches("a[role=button]")) { e.preventDefault(); e.target.click(); }
  });
  // Again when the map's size changes, and (in the next frame: a change made in the observer's own
  // call would loop) when a control's does: search results listed, a legend row more.
  var pending = null;
  var sized = new ResizeObserver(function (entries) {
    var resized = entries.some(function (entry) { return entry.target === container; });
    if (resized) return relayout(true);
    if (pending === null) pending = requestAnimationFrame(function () { pending = null; relayout(false); });
  });
  sized.observe(container);
  controlsIn(".leaflet-control-container > div > .leaflet-control").forEach(function (c) { sized.observe(c); });
  gm.placePopup = function () { placeSheet(); uncover(); };
  relayout(true);
}
