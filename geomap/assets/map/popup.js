/* popup: one popup and one tooltip, built as text; hover and click open them; the focus returns. */
// A facility's popup as it stood on ``asOf`` (its sparkline fades the figures after that date).
function popupContent(f, t, asOf) {
  var box = el("div", { "class": "gm-popup", lang: t.lang });
  box.appendChild(el("h2", { dir: "auto" }, f.name));
  if (f.other_name) box.appendChild(el("p", { "class": "gm-other-name", dir: "auto" }, f.other_name));
  var dl = el("dl");
  function row(label, nodes) {
    dl.appendChild(el("dt", null, label));
    var dd = el("dd");
    nodes.forEach(function (n) { if (n) dd.appendChild(typeof n === "string" ? bdi(n) : n); });
    dl.appendChild(dd);
  }
  var status = t.status_names[f.status] || f.status;
  row(t.status, [el("span", { "class": "gm-status gm-status-" + f.status }, status),
    f.status_date ? " (" + t.since + " " + f.status_date + ") " : " ",
    f.status_source ? link(f.status_source, t.source) : null]);
  row(t.detainees, [countText(f, t) + " ", f.count_source ? link(f.count_source, t.source) : null]);
  if (f.note_count) dl.lastChild.appendChild(el("div", { "class": "gm-small", dir: "auto" }, f.note_count));
  if (f.operator) row(t.operator, [f.operator]);
  if (f.facility_type) row(t.facility_type, [t.facility_types[f.facility_type] || f.facility_type]);
  if (f.place) row(t.place, [f.place]);
  row(t.location, [el("span", { "class": f.precision === "site" ? "" : "gm-approx" }, t.precision_names[f.precision] || f.precision), " ",
    isHttp(f.location_source) ? link(f.location_source, t.source) : (f.location_source ? "(" + f.location_source + ")" : null)]);
  if (f.history && f.history.length > 1) {
    var ul = el("ul", { "class": "gm-history" });
    f.history.forEach(function (h) {
      var li = el("li", null, h[1] + ": " + (t.status_names[h[0]] || h[0]) + " ");
      if (h[2]) li.appendChild(link(h[2], t.source));
      ul.appendChild(li);
    });
    row(t.status_history, [ul]);
  }
  if (f.figures.length > 1) {
    var ol = el("ul", { "class": "gm-history gm-by-organisation" });
    f.figures.forEach(function (c) {
      var li = orgNodes("li", null, c[4], ": " + figureText(c[0], c[1], t) + " " + t.as_of + " " + c[2] + " ", t);
      if (c[3]) li.appendChild(link(c[3], t.source));
      ol.appendChild(li);
    });
    row(t.by_organisation, [ol]);
  }
  if (f.counts && f.counts.length > 1) {
    var cl = el("ul", { "class": "gm-history" });
    f.counts.forEach(function (c) {
      var li = el("li", null, c[2] + ": " + figureText(c[0], c[1], t) + " (");
      li.appendChild(orgNodes("span", null, c[4], ") ", t));
      if (c[3]) li.appendChild(link(c[3], t.source));
      cl.appendChild(li);
    });
    row(t.count_history, [sparkline(f.counts, t, asOf), cl]);
  }
  if (f.notes) row(t.notes, [f.notes]);
  if (f.sources && f.sources.length) {
    var ol = el("ol", { "class": "gm-sources" });
    f.sources.forEach(function (u) { var li = el("li"); li.appendChild(link(u)); ol.appendChild(li); });
    row(t.sources, [ol]);
  }
  box.appendChild(dl);
  return box;
}

// The popup, the tooltip and what opens them; gm gets popup, tooltip, describe, showTooltip, openFacility, activate.
function popups(gm) {
  var map = gm.map, facilities = gm.facilities, t = gm.t, view = gm.view, layer = gm.layer;
  // One popup and one tooltip for the whole map, filled when needed; sized and placed by arrange.js.
  var popup = L.popup();
  var tooltip = L.tooltip({ direction: "top" });

  function describe(item) {
    if (item.kind !== "facility") return fill(t[item.kind], item.count, t).replace("{mix}", mixText(item.mix, t));
    var f = facilities.get(item.i);
    return altText(f, t) + (item.fan ? ". " + fannedText(f, item, t) : "");
  }
  function tooltipContent(item) {
    if (item.kind !== "facility") return el("span", null, describe(item));
    var f = facilities.get(item.i), box = altNodes(f, t, "span");
    if (item.fan) { box.appendChild(el("br")); box.appendChild(el("span", { "class": "gm-small" }, fannedText(f, item, t))); }
    return box;
  }
  // Where facility i is drawn now (fanned out from its point, or on it), or null when it is not drawn on its own.
  function drawnFacility(i) {
    for (var k = 0; k < layer.drawn.length; k++) if (layer.drawn[k].kind === "facility" && layer.drawn[k].i === i) return layer.drawn[k];
    return null;
  }
  // A popup opened from the keyboard takes the focus, and gives it back when closed: to the marker list
  // on its marker (gm.returnFocus the marker's key: the list is made anew at each draw) or to a button.
  function focusPopup() {
    if (!gm.returnFocus) return;
    var heading = popup.getElement().querySelector(".gm-popup h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  map.on("popupclose", function () {
    var back = gm.returnFocus;
    gm.returnFocus = null;
    if (typeof back === "string") gm.focusMarker(back);
    else if (back) back.focus({ preventScroll: true });
  });
  function show(latlng, content) {
    popup.setLatLng(latlng).setContent(content).openOn(map);
    gm.placePopup();
    focusPopup();
  }
  function openFacility(i) {
    whenParsed(function () {
      var f = facilities.get(i), box = popupContent(f, t, gm.shownAsOf || gm.data.as_of), item = drawnFacility(i);
      if (item && item.fan) box.insertBefore(el("p", { "class": "gm-fanned gm-small" }, fannedText(f, item, t)), box.querySelector("dl"));
      show(item ? [item.lat, item.lon] : [facilities.lat[i], facilities.lon[i]], box);
    });
  }
  function openStack(item) {
    whenParsed(function () {
      var box = el("div", { "class": "gm-popup gm-stack", lang: t.lang });
      box.appendChild(el("h2", null, fill(t.stack_heading, item.count, t)));
      var list = el("ul", { "class": "gm-stack-list" });
      item.members.forEach(function (i) {
        var f = facilities.get(i), li = el("li"), b = altNodes(f, t, "button", { type: "button", "data-id": f.id });
        b.addEventListener("click", function (e) {
          e.stopPropagation(); // the new content detaches the button: the map would take the click for its own and close the popup
          openFacility(i);
        });
        li.appendChild(b); list.appendChild(li);
      });
      box.appendChild(list);
      show([item.lat, item.lon], box);
    });
  }
  function activate(item) {
    if (item.kind === "facility") return openFacility(item.i);
    if (item.kind === "stack") return openStack(item);
    map.setView([item.lat, item.lon], Math.min(view.index.getClusterExpansionZoom(item.cluster), map.getMaxZoom()));
  }
  function showTooltip(item) {
    if (item.kind === "facility" && document.readyState === "loading") return; // its details are not read yet
    tooltip.options.offset = L.point(0, -item.r);
    map.openTooltip(tooltip.setContent(tooltipContent(item)), [item.lat, item.lon]);
  }

  // Hover from the DOM event itself: Leaflet's canvas drops mouse moves for 32 ms after each
  // one, which can leave a tooltip up after the pointer has left the marker.
  var hovered = null;
  map.getContainer().addEventListener("mousemove", function (e) {
    var over = e.target === layer._container && !map.dragging.moving() && !map._animatingZoom;
    var item = over ? layer.hit(map.mouseEventToLayerPoint(e)) : null;
    if (item === hovered) return;
    hovered = item;
    map.getContainer().classList.toggle("gm-pointer", !!item);
    if (item) showTooltip(item); else map.closeTooltip(tooltip);
  });
  map.getContainer().addEventListener("mouseleave", function () { hovered = null; map.closeTooltip(tooltip); });
  map.on("click", function (e) { var item = layer.hit(e.layerPoint); if (item) activate(item); });

  map.on("popupopen", function (e) {
    var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", t.close_popup); close.setAttribute("title", t.close_popup); }
  });
  gm.popup = popup; gm.tooltip = tooltip; gm.describe = describe; gm.showTooltip = showTooltip;
  gm.openFacility = openFacility; gm.activate = activate;
}
