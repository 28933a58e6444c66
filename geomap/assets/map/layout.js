/* layout: the controls in their corners, a view clear of them. */

function control(position, build) {
  var C = L.Control.extend({
    onAdd: function () {
      var div = build();
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }
  });
  return new C({ position: position });
}

// The headline, first in its corner (its chart is much of the controls' building: a task of its own).
function headlineControl(gm) {
  control("topleft", function () { return headline(gm.data, gm.t); }).addTo(gm.map);
}

// The other controls, in the order that stacks each corner (arrange.js then keeps them apart).
function controls(gm, statusCounts, scale) {
  var map = gm.map, data = gm.data, t = gm.t, timeline = data.timeline;
  control("topright", function () { return searchBox(gm.facilities, t, gm.reveal); }).addTo(map);
  // Under the search, not under the headline: the left column is the headline's and the legend's.
  map.zoomControl.remove(); // Leaflet's own is English-only; the full-screen button joins the new one
  map.zoomControl = L.control.zoom({ position: "topright", zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
  control("bottomleft", function () { return legend(t, statusCounts, toggle.bind(null, gm), scale, data.options.static); }).addTo(map);
  credits(map, t);
  L.control.scale({ position: "bottomright", imperial: t.lang === "en" }).addTo(map); // miles for English readers only
  // Bottom right, above the scale (added after it): at the top it would cover the headline on narrow screens.
  if (timeline && !data.options.static) control("bottomright", function () { return timeControl(timeline.dates, data.as_of, t, timeView(gm)); }).addTo(map);
  if (L.Control.FullScreen) new L.Control.FullScreen({ position: "topright", title: t.fullscreen, titleCancel: t.fullscreen_exit }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>');
}

// The map's credits (Leaflet's attribution) in a control of their own, at the very bottom right,
// behind an (i) button where they would not fit in full (layout.js: fitCredits).
function credits(map, t) {
  var text = map.attributionControl.getContainer(), box = el("div", { "class": "gm-attribution leaflet-control" });
  text.id = "gm-attribution-text";
  var button = toggleButton("gm-attribution-toggle", text.id, t.map_credits, "i");
  box.appendChild(text); box.appendChild(button);
  disclosure(box, button);
  control("bottomright", function () { return box; }).addTo(map);
  box.parentNode.appendChild(box); // below the controls added before it, as Leaflet's own attribution was
}

// A button that opens and closes a panel: an icon for the eye, its name for screen readers and on hover.
function toggleButton(className, controlled, name, icon) {
  var button = el("button", { type: "button", "class": "gm-toggle " + className, "aria-expanded": "false",
                              "aria-controls": controlled, title: name });
  var mark = typeof icon === "string" ? el("span", null, icon) : icon;
  mark.setAttribute("aria-hidden", "true");
  button.appendChild(mark);
  button.appendChild(el("span", { "class": "gm-sr-only" }, name));
  return button;
}

// A panel that opens on demand: ``button`` opens and closes ``box`` (a <summary>, its <details>);
// Escape closes it and gives the focus back to the button. It tells the layout with a bubbling
// "gm-toggle" event (detail: open), and closes on a "gm-close" event. Returns set(open).
function disclosure(box, button, changed) {
  var details = button.tagName === "SUMMARY" ? button.parentNode : null, reported = false;
  function isOpen() { return details ? details.open : box.classList.contains("gm-open"); }
  function report() {
    if (isOpen() === reported) return;
    reported = isOpen();
    if (changed) changed(reported);
    box.dispatchEvent(new CustomEvent("gm-toggle", { bubbles: true, detail: reported }));
  }
  function set(open) {
    if (details) details.open = open; // reported now: its own toggle event comes a task later
    else {
      box.classList.toggle("gm-open", open);
      button.setAttribute("aria-expanded", String(open));
    }
    report();
  }
  if (details) details.addEventListener("toggle", report);
  else button.addEventListener("click", function () { set(!isOpen()); });
  box.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !isOpen()) return;
    e.preventDefault(); e.stopPropagation();
    set(false);
    button.focus();
  });
  box.addEventListener("gm-close", function () { set(false); });
  return set;
}

// Keep markers clear of the headline (top) and the legend (bottom left); in a compact map, whose
// legend is a button, of the headline and the controls along the bottom. Within reason on small screens.
function fitPadding(map) {
  var size = map.getSize(), container = map.getContainer(), box = container.getBoundingClientRect();
  function edge(selector, side) {
    return [].reduce.call(container.querySelectorAll(selector), function (far, node) {
      var r = node.getBoundingClientRect();
      return Math.max(far, side === "bottom" ? r.bottom - box.top : side === "top" ? box.bottom - r.top : r.right - box.left);
    }, 0);
  }
  var top = Math.min(edge(".gm-headline", "bottom"), size.y * 0.35);
  if (container.classList.contains("gm-compact")) {
    var bottom = Math.min(edge(".leaflet-bottom > .leaflet-control", "top"), size.y * 0.35);
    return { paddingTopLeft: [GAP, top + 8], paddingBottomRight: [GAP, bottom + 8], maxZoom: 12 };
  }
  var left = Math.min(edge(".gm-legend", "right"), size.x * 0.35);
  return { paddingTopLeft: [left + 8, top + 8], paddingBottomRight: [16, 16], maxZoom: 12 };
}
