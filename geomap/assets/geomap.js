/* geomap: draws facilities from one compact JSON payload onto a Leaflet map.
 *
 * Safety: every value from the data reaches the page through textContent or
 * setAttribute, never innerHTML; links are made only for http(s) URLs.
 * Speed: one marker object per facility, drawn on canvas for large sets, built
 * here from row arrays instead of one folium Marker per facility in the HTML.
 */
(function () {
  "use strict";

  var SHAPES, COLOURS; // from the payload's "style" (render.STATUS_SHAPES / STATUS_COLOURS)
  var STATUS_ORDER = ["open", "announced_closure", "closed", "unknown"];
  var SVG_LIMIT = 2000; // above this many facilities, draw on canvas
  var MAX_RADIUS = 26, MIN_RADIUS = 5, NO_COUNT_RADIUS = 6;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isHttp(url) { return typeof url === "string" && /^https?:\/\/[^\s/?#.][^\s]*$/.test(url); }

  function link(url, text) {
    if (!isHttp(url)) return document.createTextNode(text || "");
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text || hostname(url));
    return a;
  }

  function hostname(url) {
    var m = /^https?:\/\/([^/?#]+)/i.exec(url);
    return m ? m[1].replace(/^www\./, "") : url;
  }

  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  /* ---- marker shapes: equal area for equal counts, whatever the shape ---- */
  function shapePoints(shape, p, r) {
    var a, h;
    if (shape === "square") { a = r * Math.sqrt(Math.PI) / 2; return [[p.x - a, p.y - a], [p.x + a, p.y - a], [p.x + a, p.y + a], [p.x - a, p.y + a]]; }
    if (shape === "diamond") { a = r * Math.sqrt(Math.PI / 2); return [[p.x, p.y - a], [p.x + a, p.y], [p.x, p.y + a], [p.x - a, p.y]]; }
    // equilateral triangle of area pi r^2, centred on its centroid
    var side = r * Math.sqrt(4 * Math.PI / Math.sqrt(3)); h = side * Math.sqrt(3) / 2;
    return [[p.x, p.y - 2 * h / 3], [p.x + side / 2, p.y + h / 3], [p.x - side / 2, p.y + h / 3]];
  }

  L.Canvas.include({
    _updateGeomapShape: function (layer) {
      if (layer.options.shape === "circle") return this._updateCircle(layer);
      if (!this._drawing || layer._empty()) return;
      var pts = shapePoints(layer.options.shape, layer._point, Math.max(layer._radius, 1)), ctx = this._ctx;
      ctx.beginPath();
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (var i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
      ctx.closePath();
      this._fillStroke(ctx, layer);
    }
  });
  L.SVG.include({
    _updateGeomapShape: function (layer) {
      if (layer.options.shape === "circle") return this._updateCircle(layer);
      if (layer._empty()) return this._setPath(layer, "M0 0");
      var pts = shapePoints(layer.options.shape, layer._point, Math.max(layer._radius, 1));
      this._setPath(layer, "M" + pts.map(function (q) { return q[0].toFixed(1) + "," + q[1].toFixed(1); }).join("L") + "z");
    }
  });
  var ShapeMarker = L.CircleMarker.extend({
    _updatePath: function () { this._renderer._updateGeomapShape(this); }
  });

  /* ---- the payload ---- */
  // Rows are arrays in data.fields order; source URLs are numbers into data.urls.
  var URL_FIELDS = ["status_source", "count_source", "location_source"];
  function readPayload(id) {
    var data = JSON.parse(document.getElementById(id).textContent);
    var index = {}, urls = data.urls;
    function url(v) { return typeof v === "number" ? urls[v] : v; }
    data.fields.forEach(function (f, i) { index[f] = i; });
    data.facilities = data.rows.map(function (row, i) {
      var f = {};
      for (var k in index) f[k] = row[index[k]];
      URL_FIELDS.forEach(function (k) { f[k] = url(f[k]); });
      f.sources = f.sources.map(url);
      f.history.forEach(function (h) { h[2] = url(h[2]); });
      f.counts.forEach(function (c) { c[3] = url(c[3]); });
      f.index = i;
      return f;
    });
    data.rows = null; // only the objects are kept
    return data;
  }

  function countText(f, t) {
    if (f.detainees === null || f.detainees === undefined) return t.no_count;
    var q = t.qualifier[f.qualifier || "exact"];
    return (q ? q + " " : "") + f.detainees.toLocaleString(t.locale) + " " + t.detainees_short +
      (f.as_of ? " " + t.as_of + " " + f.as_of : "");
  }

  function altText(f, t) {
    return [f.name, t.status_names[f.status] || f.status, countText(f, t)].join(" \u2014 ");
  }

  /* ---- popup: built node by node, text only ---- */
  function popupContent(f, t) {
    var box = el("div", { "class": "gm-popup", lang: t.lang });
    box.appendChild(el("h3", null, f.name));
    if (f.other_name) box.appendChild(el("p", { "class": "gm-other-name" }, f.other_name));
    var dl = el("dl");
    function row(label, nodes) {
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      nodes.forEach(function (n) { if (n) dd.appendChild(typeof n === "string" ? document.createTextNode(n) : n); });
      dl.appendChild(dd);
    }
    var status = t.status_names[f.status] || f.status;
    row(t.status, [el("span", { "class": "gm-status gm-status-" + f.status }, status),
      f.status_date ? " (" + t.since + " " + f.status_date + ") " : " ",
      f.status_source ? link(f.status_source, t.source) : null]);
    row(t.detainees, [countText(f, t) + " ", f.count_source ? link(f.count_source, t.source) : null]);
    if (f.note_count) dl.lastChild.appendChild(el("div", { "class": "gm-small" }, f.note_count));
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
    if (f.counts && f.counts.length > 1) {
      var cl = el("ul", { "class": "gm-history" });
      f.counts.forEach(function (c) {
        var q = t.qualifier[c[1] || "exact"];
        var li = el("li", null, c[2] + ": " + (q ? q + " " : "") + c[0].toLocaleString(t.locale) + " ");
        if (c[3]) li.appendChild(link(c[3], t.source));
        cl.appendChild(li);
      });
      row(t.count_history, [cl]);
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

  /* ---- controls ---- */
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

  function headline(data, t) {
    var box = el("header", { "class": "gm-headline leaflet-control", role: "region", "aria-label": t.about_map });
    box.appendChild(el("h1", null, data.title));
    if (data.subtitle) box.appendChild(el("p", { "class": "gm-subtitle" }, data.subtitle));
    var meta = el("p", { "class": "gm-meta" });
    if (data.as_of) meta.appendChild(el("span", { "class": "gm-asof" }, t.data_as_of + " " + data.as_of));
    box.appendChild(meta);
    if (data.national) {
      var n = data.national, q = t.qualifier[n.qualifier || "exact"];
      var p = el("p", { "class": "gm-national" });
      p.appendChild(el("strong", null, t.national_total + ": " + (q ? q + " " : "") + n.detainees.toLocaleString(t.locale)));
      p.appendChild(document.createTextNode(" " + t.as_of + " " + n.as_of + " "));
      if (n.source) p.appendChild(link(n.source, "(" + t.source + ")"));
      box.appendChild(p);
    }
    box.appendChild(el("p", { "class": "gm-credits" }, t.credits_sources + " " + (data.options.tiles ? t.credits_tiles + " " : "") + t.credits_outline));
    return box;
  }

  function legend(data, t, groups, scale) {
    var box = el("section", { "class": "gm-legend leaflet-control", "aria-label": t.legend });
    var roomy = !data.options.embed && window.innerWidth > 600 && window.innerHeight > 500;
    var details = el("details", roomy ? { open: "" } : null);
    details.appendChild(el("summary", null, t.legend));
    details.appendChild(el("h2", null, t.legend_status));
    STATUS_ORDER.forEach(function (s) {
      if (!groups[s]) return;
      var label = el("label", { "class": "gm-legend-row", "data-status": s });
      var box = el("input", { type: "checkbox", checked: "" });
      box.addEventListener("change", function () { groups.toggle(s, box.checked); });
      label.appendChild(box);
      label.appendChild(symbol(s, 7, false));
      label.appendChild(document.createTextNode(" " + t.status_names[s] + " (" + groups[s].length + ")"));
      details.appendChild(label);
    });
    if (scale.max > 0) {
      details.appendChild(el("h2", null, t.legend_size));
      var sizes = el("div", { "class": "gm-legend-sizes" });
      scale.ticks.forEach(function (v) {
        var item = el("span", { "class": "gm-legend-size", "data-count": v });
        item.appendChild(symbol("open", scale.radius(v), false, true));
        item.appendChild(el("span", null, v.toLocaleString(t.locale)));
        sizes.appendChild(item);
      });
      details.appendChild(sizes);
    }
    var nc = el("div", { "class": "gm-legend-row" });
    nc.appendChild(symbol("unknown", NO_COUNT_RADIUS, false, true, true));
    nc.appendChild(document.createTextNode(" " + t.legend_no_count));
    details.appendChild(nc);
    details.appendChild(el("h2", null, t.legend_precision));
    [["site", t.precision_names.site], ["approximate", t.legend_approximate]].forEach(function (p) {
      var r = el("div", { "class": "gm-legend-row", "data-precision": p[0] });
      r.appendChild(symbol("unknown", 7, p[0] !== "site", true));
      r.appendChild(document.createTextNode(" " + p[1]));
      details.appendChild(r);
    });
    box.appendChild(details);
    return box;
  }

  function symbol(status, r, dashed, neutral, hollow) {
    var size = Math.ceil(2 * r * 1.4 + 4), c = size / 2;
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", size); svg.setAttribute("height", size); svg.setAttribute("aria-hidden", "true");
    var shape = SHAPES[status], node;
    if (neutral) shape = "circle";
    if (shape === "circle") {
      node = document.createElementNS(ns, "circle");
      node.setAttribute("cx", c); node.setAttribute("cy", c); node.setAttribute("r", r);
    } else {
      node = document.createElementNS(ns, "path");
      node.setAttribute("d", "M" + shapePoints(shape, { x: c, y: c }, r).map(function (q) { return q.join(","); }).join("L") + "z");
    }
    node.setAttribute("fill", neutral ? "#9a9a9a" : COLOURS[status]);
    node.setAttribute("fill-opacity", hollow ? "0.15" : "0.75");
    node.setAttribute("stroke", "#222");
    node.setAttribute("stroke-width", dashed ? "2" : "1");
    if (dashed) node.setAttribute("stroke-dasharray", "3 2");
    svg.appendChild(node);
    return svg;
  }

  function searchBox(data, t, reveal) {
    var box = el("div", { "class": "gm-search leaflet-control", role: "search" });
    var id = "gm-search-input";
    box.appendChild(el("label", { "for": id, "class": "gm-sr-only" }, t.search));
    var input = el("input", { id: id, type: "search", placeholder: t.search_placeholder, autocomplete: "off", "aria-controls": "gm-search-results" });
    var list = el("ul", { id: "gm-search-results", "class": "gm-search-results", "aria-live": "polite" });
    box.appendChild(input); box.appendChild(list);
    var keys = null; // folded names and aliases, built on the first keystroke
    function update() {
      keys = keys || data.facilities.map(function (f) { return fold([f.name, f.other_name].concat(f.aliases || []).join(" | ")); });
      list.textContent = "";
      var q = fold(input.value);
      if (!q) return;
      var hits = [];
      for (var i = 0; i < keys.length && hits.length < 8; i++) if (keys[i].indexOf(q) !== -1) hits.push(data.facilities[i]);
      if (!hits.length) { list.appendChild(el("li", { "class": "gm-none" }, t.no_results)); return; }
      hits.forEach(function (f) {
        var li = el("li"), b = el("button", { type: "button", "data-id": f.id }, f.name);
        b.addEventListener("click", function () { reveal(f); });
        li.appendChild(b); list.appendChild(li);
      });
    }
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { var b = list.querySelector("button"); if (b) { e.preventDefault(); b.click(); } }
    });
    return box;
  }

  function screenReaderTable(data, t, reveal) {
    var table = el("table", { "class": "gm-sr-only", id: "gm-table" });
    table.appendChild(el("caption", null, t.table_caption));
    var head = el("tr");
    [t.name, t.status, t.detainees, t.location, t.sources].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    table.appendChild(body);
    var i = 0;
    function chunk() {
      var end = Math.min(i + 2000, data.facilities.length), frag = document.createDocumentFragment();
      for (; i < end; i++) {
        var f = data.facilities[i], tr = el("tr");
        var th = el("th", { scope: "row" }), b = el("button", { type: "button", "class": "gm-table-show" }, f.name);
        b.setAttribute("aria-label", t.show_on_map + ": " + f.name);
        b.addEventListener("click", reveal.bind(null, f, false));
        th.appendChild(b); tr.appendChild(th);
        tr.appendChild(el("td", null, (t.status_names[f.status] || f.status) + (f.status_date ? " (" + t.since + " " + f.status_date + ")" : "")));
        tr.appendChild(el("td", null, countText(f, t)));
        tr.appendChild(el("td", null, t.precision_names[f.precision] || f.precision));
        var td = el("td");
        (f.count_source ? [f.count_source] : []).concat(f.status_source ? [f.status_source] : []).forEach(function (u) { td.appendChild(link(u)); td.appendChild(document.createTextNode(" ")); });
        tr.appendChild(td);
        frag.appendChild(tr);
      }
      body.appendChild(frag);
      if (i < data.facilities.length) setTimeout(chunk, 0);
      else table.setAttribute("data-complete", "true");
    }
    chunk();
    return table;
  }

  /* ---- main ---- */
  function render(map, dataId, outlineId) {
    var data = readPayload(dataId), t = data.labels;
    SHAPES = data.style.shapes; COLOURS = data.style.colours;
    t.lang = data.lang; t.locale = data.lang === "es" ? "es-VE" : "en-US";
    document.documentElement.setAttribute("lang", data.lang);
    document.title = data.title;
    if (data.options.embed) document.body.classList.add("gm-embed");
    if (data.options.static) document.body.classList.add("gm-static");

    map.createPane("gm-outline").style.zIndex = 250;
    if (outlineId && window.topojson) {
      var world = JSON.parse(document.getElementById(outlineId).textContent);
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        pane: "gm-outline", interactive: false,
        style: { color: "#6b6b6b", weight: 1, fillColor: "#f2efe9", fillOpacity: 1 }
      }).addTo(map);
      map.attributionControl.addAttribution(t.outline_credit);
    }

    var counts = data.facilities.map(function (f) { return f.detainees || 0; });
    var max = Math.max.apply(null, counts.concat([0]));
    var scale = {
      max: max,
      radius: function (v) { return max > 0 ? Math.max(MIN_RADIUS, MAX_RADIUS * Math.sqrt(v / max)) : NO_COUNT_RADIUS; },
      ticks: niceTicks(max)
    };
    var renderer = data.facilities.length > SVG_LIMIT ? L.canvas({ padding: 0.3 }) : L.svg();
    var groups = { toggle: null };
    // Popups pan clear of the headline panel at the top.
    var popupOptions = { maxWidth: 320, minWidth: 220, maxHeight: 380, autoPanPaddingTopLeft: [16, Math.min(210, window.innerHeight * 0.35)],
                         autoPanPaddingBottomRight: [16, 16] };
    var markers = data.facilities.map(function (f) {
      var hasCount = f.detainees !== null && f.detainees !== undefined;
      var approximate = f.precision !== "site";
      var m = new ShapeMarker([f.lat, f.lon], {
        renderer: renderer, shape: SHAPES[f.status] || "diamond",
        radius: hasCount ? scale.radius(f.detainees) : NO_COUNT_RADIUS,
        color: "#222", weight: approximate ? 2 : 1, dashArray: approximate ? "4 3" : null,
        fillColor: COLOURS[f.status] || COLOURS.unknown, fillOpacity: hasCount ? 0.75 : 0.15,
        className: "gm-marker gm-marker-" + f.status + (approximate ? " gm-approximate" : "")
      });
      m.facility = f;
      (groups[f.status] = groups[f.status] || []).push(m);
      return m;
    });
    // Big markers under small ones, so every marker stays clickable.
    var drawOrder = markers.slice().sort(function (a, b) { return b.options.radius - a.options.radius; });

    var layer = data.options.cluster && markers.length > 1
      ? L.markerClusterGroup({ chunkedLoading: true, chunkProgress: clustered, showCoverageOnHover: false,
                               maxClusterRadius: 40, iconCreateFunction: clusterIcon })
      : L.featureGroup();
    groups.toggle = function (status, on) {
      var ms = groups[status];
      if (layer.addLayers) { if (on) layer.addLayers(ms); else layer.removeLayers(ms); }
      else ms.forEach(function (m) { if (on) layer.addLayer(m); else layer.removeLayer(m); });
    };

    // Neutral clusters: status colours are reserved for facilities.
    function clusterIcon(cluster) {
      var n = cluster.getChildCount(), size = n < 10 ? 30 : n < 100 ? 36 : 44;
      return L.divIcon({ html: "<span>" + Number(n) + "</span>", className: "gm-cluster", iconSize: [size, size] });
    }

    // One popup and one tooltip for the whole map, filled when needed: binding one of each
    // to every marker cost ~1 s and much memory at 100k facilities.
    var popup = L.popup(popupOptions), tooltip = L.tooltip({ direction: "top" });
    function openPopupFor(m) { popup.setLatLng(m.getLatLng()).setContent(popupContent(m.facility, t)).openOn(map); }
    function facilityLayer(e) { var m = e.propagatedFrom || e.layer; return m && m.facility ? m : null; }
    layer.on("click", function (e) { var m = facilityLayer(e); if (m) openPopupFor(m); });
    layer.on("mouseover", function (e) {
      var m = facilityLayer(e);
      if (!m) return;
      tooltip.options.offset = L.point(0, -m.getRadius());
      map.openTooltip(tooltip.setContent(el("span", null, altText(m.facility, t))), m.getLatLng());
    });
    layer.on("mouseout", function () { map.closeTooltip(tooltip); });

    function keyboardReady(m) {
      var path = m.getElement && m.getElement();
      if (!path || path.getAttribute("tabindex")) return;
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "button");
      path.setAttribute("data-id", m.facility.id);
      path.setAttribute("aria-label", altText(m.facility, t));
      path.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openPopupFor(m); } });
      var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = altText(m.facility, t);
      path.appendChild(title);
    }
    // SVG markers are elements a keyboard can reach; canvas ones (large maps) are not: the table is the way there.
    if (renderer instanceof L.SVG) markers.forEach(function (m) { m.on("add", function () { keyboardReady(m); }); keyboardReady(m); });

    // Bring one facility's marker on screen, out of any cluster, then open its popup.
    // (markercluster's zoomToShowLayer expects icon markers and loops on vector ones.)
    function reveal(f, keepClosed) {
      var m = markers[f.index];
      function done() { if (!keepClosed) openPopupFor(m); }
      if (!layer.hasLayer(m)) {
        groups.toggle(f.status, true);
        document.querySelectorAll(".gm-legend-row[data-status] input").forEach(function (box) {
          if (box.parentNode.getAttribute("data-status") === f.status) box.checked = true;
        });
      }
      if (!layer.getVisibleParent) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 10), { animate: false }); return done(); }
      var unclusteredAt = m.__parent ? m.__parent._zoom + 1 : map.getZoom();
      map.setView(m.getLatLng(), Math.min(map.getMaxZoom(), Math.max(map.getZoom(), unclusteredAt)), { animate: false });
      // markercluster settles its zoom animation on a timer: wait until the marker or its stack is drawn.
      var tries = 0;
      (function settle() {
        var parent = layer.getVisibleParent(m);
        if (m._map) return done();
        if (parent && parent !== m && parent._icon && parent.spiderfy) { layer.once("spiderfied", done); return parent.spiderfy(); }
        if (++tries < 60) setTimeout(settle, 50);
      })();
    }

    control("topleft", function () { return headline(data, t); }).addTo(map);
    map.zoomControl.remove(); // Leaflet's own is English-only; the full-screen button joins the new one
    map.zoomControl = L.control.zoom({ position: "topleft", zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", t.close_popup); close.setAttribute("title", t.close_popup); }
    });
    control("topright", function () { return searchBox(data, t, reveal); }).addTo(map);
    control("bottomleft", function () { return legend(data, t, groups, scale); }).addTo(map);
    L.control.scale({ position: "bottomright" }).addTo(map);
    if (L.Control.FullScreen) new L.Control.FullScreen({ position: "topleft", title: t.fullscreen, titleCancel: t.fullscreen_exit }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" rel="noopener noreferrer">Leaflet</a>');

    // Frame the data first, without animation, so markers are clustered once for the final view.
    if (markers.length) {
      var bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
      map.fitBounds(bounds.pad(0.05), L.extend(fitPadding(map), { animate: false }));
    } else map.setView([0, 0], 2, { animate: false });
    var isReady = false; // set before any addLayers can report progress
    layer.addTo(map);
    if (layer.addLayers) layer.addLayers(drawOrder);
    else { drawOrder.forEach(function (m) { layer.addLayer(m); }); ready(); }

    // markercluster reports progress for every addLayers (attaching, legend toggles): only the
    // initial load of every marker makes the map ready, once.
    function clustered(processed, total) { if (total === drawOrder.length && processed === total) ready(); }
    function ready() {
      if (isReady) return;
      isReady = true;
      // After the map is framed and drawn: building it earlier forced a layout of every row.
      document.body.appendChild(screenReaderTable(data, t, reveal));
      window.geomapMap = { map: map, markers: markers, layer: layer, data: data, reveal: reveal };
      document.documentElement.setAttribute("data-geomap-ready", "true");
    }
  }

  // Keep markers clear of the headline (top) and the legend (bottom left), within reason on small screens.
  function fitPadding(map) {
    var size = map.getSize(), box = map.getContainer().getBoundingClientRect();
    function edge(selector, side) {
      var node = map.getContainer().querySelector(selector);
      if (!node) return 0;
      var r = node.getBoundingClientRect();
      return side === "bottom" ? r.bottom - box.top : r.right - box.left;
    }
    var top = Math.min(edge(".gm-headline", "bottom"), size.y * 0.35);
    var left = Math.min(edge(".gm-legend", "right"), size.x * 0.35);
    return { paddingTopLeft: [left + 8, top + 8], paddingBottomRight: [16, 16], maxZoom: 12 };
  }

  function niceTicks(max) {
    if (max <= 0) return [];
    var mag = Math.pow(10, Math.floor(Math.log10(max)));
    var top = Math.floor(max / mag) * mag;
    var ticks = [top, top / 4, top / 16].map(function (v) { return Math.max(1, Math.round(v)); });
    return ticks.filter(function (v, i) { return ticks.indexOf(v) === i; });
  }

  window.geomap = { render: render };
})();
