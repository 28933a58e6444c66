/* geomap: draws facilities from a compact payload onto a Leaflet map.
 *
 * Safety: every value from the data reaches the page through textContent or
 * setAttribute, never innerHTML, each piece of data text in its own bidi isolate;
 * links are made only for http(s) URLs and show the host they lead to in ASCII.
 * Speed: markers are not Leaflet layers. One canvas draws what is in view from
 * column arrays (clustered with supercluster); each facility's details are parsed
 * from its own line of the page only when a popup, tooltip, search or the
 * screen-reader table needs them, so 100,000 facilities draw in about a second.
 */
(function () {
  "use strict";

  var SHAPES, COLOURS, STATUS_ORDER; // from the payload (render.STATUS_SHAPES / STATUS_COLOURS / STATUS_ORDER)
  var MAX_RADIUS = 26, MIN_RADIUS = 5, NO_COUNT_RADIUS = 6;
  var CLUSTER_RADIUS = 40, CLUSTER_MAX_ZOOM = 12; // px; above this zoom every position is drawn on its own
  var HOTSPOT_LIMIT = 300; // markers in view up to which each gets a keyboard-reachable button
  var HIT_SLOP = 2, MAX_LAT = 85.0511287798;
  var URL_FIELDS = ["status_source", "count_source", "location_source"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isHttp(url) { return typeof url === "string" && /^https?:\/\/[^\s/?#.][^\s]*$/.test(url); }

  // Data text in a bidi isolate (<bdi>, or dir=auto on an element of its own): an unclosed
  // U+202E in a name cannot reverse the labels after it, and a right-to-left name reads right.
  function bdi(text) { return el("bdi", null, text); }

  // A link named by its host (or labelled ``text``, with the host on hover).
  function link(url, text) {
    var host = isHttp(url) && hostname(url);
    if (!host) return document.createTextNode(text || "");
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", title: text ? host : null }, text || host);
  }

  // The host the browser will really go to, as the URL parser gives it: ASCII, a non-ASCII name in
  // its punycode form (so "hrw.оrg" with a Cyrillic о cannot pass for hrw.org), no user@ prefix.
  function hostname(url) {
    try { return new URL(url).hostname.replace(/^www\./, ""); } catch (e) { return null; }
  }

  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  function fill(template, n, t) { return template.replace("{n}", n.toLocaleString(t.locale)); }

  // Run once the whole page, including the detail rows after the drawing script, is parsed.
  function whenParsed(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn, { once: true });
    else fn();
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

  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  // Web Mercator in [0, 1], as Leaflet's EPSG:3857 projects before scaling by 256 * 2^zoom.
  function mercatorX(lon) { return (lon + 180) / 360; }
  function mercatorY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  /* ---- the facilities: columns for drawing, details read line by line when needed ---- */
  function Facilities(data, ids) {
    var c = data.columns, n = c.lon.length;
    this.length = n; this.fields = data.fields; this.ids = ids;
    this.lon = c.lon; this.lat = c.lat; this.status = c.status; this.detainees = c.detainees; this.approximate = c.approximate;
    this.x = new Float64Array(n); this.y = new Float64Array(n);
    for (var i = 0; i < n; i++) { this.x[i] = mercatorX(c.lon[i]); this.y[i] = mercatorY(c.lat[i]); }
    this.lines = null;
  }

  // One facility's details as an object (sources resolved); only once the page is parsed.
  Facilities.prototype.get = function (i) {
    if (!this.lines) {
      // Until then the rows element may hold only part of its text (callers wait with whenParsed).
      if (document.readyState === "loading") throw new Error("geomap: details are read once the page is parsed");
      var block = document.getElementById(this.ids.rows);
      this.lines = block.textContent.split("\n");
      block.remove(); // the lines hold the text now: the element's copy would double it
    }
    var row = JSON.parse(this.lines[i]), f = { index: i };
    for (var k = 0; k < this.fields.length; k++) f[this.fields[k]] = row[k];
    var state = this.states && this.states[i];
    if (state) { // the time view's date: status and figure as they stood then
      f.status = state[1]; f.status_date = state[2]; f.status_source = state[3];
      f.detainees = state[4]; f.qualifier = state[5]; f.as_of = state[6]; f.count_source = state[7];
      f.counted_by = state[8]; f.note_count = state[9]; f.figures = state[10];
    }
    // A source cited in several fields is its position in the facility's own list.
    function url(v) { return typeof v === "number" ? f.sources[v] : v; }
    URL_FIELDS.forEach(function (key) { f[key] = url(f[key]); });
    f.history.forEach(function (h) { h[2] = url(h[2]); });
    f.counts.forEach(function (c) { c[3] = url(c[3]); });
    // the latest figure of each organisation: a position in counts, or the figure itself
    f.figures = (f.figures || []).map(function (k) { return typeof k === "number" ? f.counts[k] : k; });
    return f; // not cached: parsing one line again costs microseconds, caching 100k objects costs memory
  };

  Facilities.prototype.find = function (id) {
    for (var i = 0; i < this.length; i++) if (this.get(i).id === id) return i;
    return -1;
  };

  /* ---- what is drawn: facilities, clusters, and stacks of facilities at one exact point ---- */
  function View(facilities, clustered, scale, locale) {
    this.facilities = facilities; this.clustered = clustered; this.locale = locale;
    this.shown = STATUS_ORDER.map(function () { return true; });
    this.scale = scale;
    this.radius = new Float32Array(facilities.length);
    this.measure();
    this.fills = {}; this.sprites = {};
    STATUS_ORDER.forEach(function (s) { this.fills[s] = [rgba(COLOURS[s], 0.75), rgba(COLOURS[s], 0.15)]; }, this);
    this.rebuild();
  }

  View.prototype.measure = function () {
    for (var i = 0; i < this.facilities.length; i++) {
      var d = this.facilities.detainees[i];
      this.radius[i] = d === null ? NO_COUNT_RADIUS : this.scale.radius(d);
    }
  };

  // Group the shown facilities by exact position, then index the positions for clustering.
  View.prototype.rebuild = function () {
    var fac = this.facilities, byKey = new Map(), groups = [], shown = this.shown;
    this.positionOf = new Int32Array(fac.length).fill(-1);
    for (var i = 0; i < fac.length; i++) {
      if (!shown[fac.status[i]]) continue;
      var key = Math.round((fac.lon[i] + 180) * 1e5) * 2e7 + Math.round((fac.lat[i] + 90) * 1e5), p = byKey.get(key);
      if (p === undefined) { p = groups.length; byKey.set(key, p); groups.push([i]); } else groups[p].push(i);
      this.positionOf[i] = p;
    }
    this.groups = groups;
    this.index = null;
    if (!this.clustered || groups.length < 2) return;
    var stacked = groups.some(function (g) { return g.length > 1; });
    var options = { radius: CLUSTER_RADIUS, extent: 256, maxZoom: CLUSTER_MAX_ZOOM };
    if (stacked) { // clusters count facilities, not positions
      options.map = function (props) { return { n: props.n }; };
      options.reduce = function (sum, props) { sum.n += props.n; };
    }
    this.index = new Supercluster(options).load(groups.map(function (g, p) {
      return { type: "Feature", properties: { p: p, n: g.length }, geometry: { type: "Point", coordinates: [fac.lon[g[0]], fac.lat[g[0]]] } };
    }));
  };

  View.prototype.groupRadius = function (n) { return n < 10 ? 15 : n < 100 ? 18 : n < 1000 ? 22 : 26; };

  View.prototype.positionItem = function (p, x, y) {
    var g = this.groups[p];
    if (g.length === 1) return { kind: "facility", i: g[0], x: x, y: y, r: this.radius[g[0]], lat: this.facilities.lat[g[0]], lon: this.facilities.lon[g[0]] };
    return { kind: "stack", members: g, count: g.length, x: x, y: y, r: this.groupRadius(g.length),
             lat: this.facilities.lat[g[0]], lon: this.facilities.lon[g[0]] };
  };

  // The items inside the pixel ``bounds`` (layer points) of ``map``, in drawing order: groups
  // under facilities, big markers under small ones, so every marker stays clickable.
  View.prototype.items = function (map, bounds) {
    var zoom = map.getZoom(), size = 256 * Math.pow(2, zoom), origin = map.getPixelOrigin(), pad = MAX_RADIUS + HIT_SLOP;
    var minX = bounds.min.x - pad, minY = bounds.min.y - pad, maxX = bounds.max.x + pad, maxY = bounds.max.y + pad;
    var fac = this.facilities, items = [], self = this;
    if (this.index) {
      var sw = map.layerPointToLatLng([minX, maxY]), ne = map.layerPointToLatLng([maxX, minY]);
      this.index.getClusters([sw.lng, sw.lat, ne.lng, ne.lat], zoom).forEach(function (feature) {
        var props = feature.properties, lon = feature.geometry.coordinates[0], lat = feature.geometry.coordinates[1];
        var x = mercatorX(lon) * size - origin.x, y = mercatorY(lat) * size - origin.y;
        if (!props.cluster) return items.push(self.positionItem(props.p, x, y));
        var n = props.n || props.point_count;
        items.push({ kind: "cluster", cluster: props.cluster_id, count: n, x: x, y: y, r: self.groupRadius(n), lat: lat, lon: lon });
      });
    } else {
      for (var p = 0; p < this.groups.length; p++) {
        var i = this.groups[p][0], x = fac.x[i] * size - origin.x, y = fac.y[i] * size - origin.y;
        if (x >= minX && x <= maxX && y >= minY && y <= maxY) items.push(this.positionItem(p, x, y));
      }
    }
    return items.sort(function (a, b) { return (a.kind === "facility") - (b.kind === "facility") || b.r - a.r; });
  };

  View.prototype.drawGroup = function (ctx, item) {
    ctx.beginPath(); ctx.arc(item.x, item.y, item.r + 1.5, 0, 2 * Math.PI);
    ctx.fillStyle = "#222"; ctx.fill();
    ctx.beginPath(); ctx.arc(item.x, item.y, item.r, 0, 2 * Math.PI);
    ctx.fillStyle = "#fff"; ctx.fill();
    ctx.beginPath(); ctx.arc(item.x, item.y, item.r - 2, 0, 2 * Math.PI);
    ctx.fillStyle = "rgba(40,40,40,0.85)"; ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.fillText(item.count < 10000 ? item.count.toLocaleString(this.locale) : Math.round(item.count / 1000) + "k", item.x, item.y + 0.5);
  };

  // Trace one facility's shape as the current path.
  View.prototype.trace = function (ctx, item) {
    var shape = SHAPES[STATUS_ORDER[this.facilities.status[item.i]]];
    if (shape === "circle") return ctx.arc(item.x, item.y, item.r, 0, 2 * Math.PI);
    var pts = shapePoints(shape, item, item.r);
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (var k = 1; k < pts.length; k++) ctx.lineTo(pts[k][0], pts[k][1]);
    ctx.closePath();
  };

  // Fill and outline the current path in the style of facility ``i``: status colour, hollow
  // without a count, dashed outline for an approximate location.
  View.prototype.paint = function (ctx, i) {
    var fac = this.facilities, approximate = fac.approximate[i] === 1;
    ctx.fillStyle = this.fills[STATUS_ORDER[fac.status[i]]][fac.detainees[i] === null ? 1 : 0];
    ctx.fill();
    ctx.lineWidth = approximate ? 2 : 1;
    ctx.setLineDash(approximate ? [4, 3] : []);
    ctx.stroke();
  };

  // Each facility is stamped from a small pre-drawn image of its style and size: 100k shapes
  // filled and stroked one by one take seconds on a software canvas, stamps a fraction of that.
  View.prototype.sprite = function (i, r) {
    var fac = this.facilities, key = fac.status[i] * 4 + (fac.detainees[i] === null ? 2 : 0) + fac.approximate[i] + ":" + Math.round(r * 4);
    var sprite = this.sprites[key];
    if (sprite) return sprite;
    var scale = L.Browser.retina ? 2 : 1, half = Math.ceil(r * 1.6) + 3, canvas = document.createElement("canvas");
    canvas.width = canvas.height = 2 * half * scale;
    var ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.strokeStyle = "#222";
    ctx.beginPath();
    this.trace(ctx, { i: i, x: half, y: half, r: r });
    this.paint(ctx, i);
    return (this.sprites[key] = { canvas: canvas, half: half });
  };

  View.prototype.draw = function (ctx, items) {
    for (var k = 0; k < items.length; k++) {
      var item = items[k];
      if (item.kind !== "facility") { this.drawGroup(ctx, item); continue; }
      var sprite = this.sprite(item.i, item.r);
      ctx.drawImage(sprite.canvas, Math.round(item.x - sprite.half), Math.round(item.y - sprite.half), 2 * sprite.half, 2 * sprite.half);
    }
  };

  // One canvas for every marker: Leaflet's canvas renderer (sizing, panning, zoom animation,
  // retina) drawing the view's items instead of one Leaflet layer per facility.
  var FacilityLayer = L.Canvas.extend({
    initialize: function (view, options) {
      L.Canvas.prototype.initialize.call(this, options);
      this.view = view; this.drawn = [];
    },
    onAdd: function (map) {
      L.Canvas.prototype.onAdd.call(this, map);
      this._container.setAttribute("aria-hidden", "true"); // the hotspots and the table speak for it
      this._updatePaths();
    },
    _updatePaths: function () {
      if (this._postponeUpdatePaths || !this._map) return;
      this.drawn = this.view.items(this._map, this._bounds);
      this._redraw();
      this.fire("drawn");
    },
    _draw: function () {
      var ctx = this._ctx;
      ctx.save();
      ctx.strokeStyle = "#222";
      ctx.font = "bold 12px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      this.view.draw(ctx, this.drawn);
      ctx.restore();
    },
    // The topmost item under a layer point, or null.
    hit: function (point) {
      for (var k = this.drawn.length - 1; k >= 0; k--) {
        var item = this.drawn[k], dx = item.x - point.x, dy = item.y - point.y, r = item.r + HIT_SLOP;
        if (dx * dx + dy * dy <= r * r) return item;
      }
      return null;
    }
  });

  // Who counted a figure, by name; null: not recorded.
  function orgName(slug, t) {
    return slug === null || slug === undefined ? t.organisation_unknown : (t.organisations[slug] || slug);
  }

  // An organisation's name then ``text``: a name given as free text is data, in its own isolate.
  function orgNodes(tag, attrs, slug, text, t) {
    var node = el(tag, attrs);
    node.appendChild(slug in t.organisations || slug === null || slug === undefined ? document.createTextNode(orgName(slug, t)) : bdi(slug));
    node.appendChild(document.createTextNode(text));
    return node;
  }

  function figureText(detainees, qualifier, t) {
    var q = t.qualifier[qualifier || "exact"];
    return (q ? q + " " : "") + detainees.toLocaleString(t.locale);
  }

  function countText(f, t) {
    if (f.detainees === null || f.detainees === undefined) return t.no_count;
    return figureText(f.detainees, f.qualifier, t) + " " + t.detainees_short +
      (f.as_of ? " " + t.as_of + " " + f.as_of : "") + ", " +
      (f.counted_by === null || f.counted_by === undefined ? t.organisation_unknown : t.counted_by + " " + orgName(f.counted_by, t));
  }

  function altText(f, t) {
    return [f.name, t.status_names[f.status] || f.status, countText(f, t)].join(" \u2014 ");
  }

  // The same as shown text: the name in its own isolate.
  function altNodes(f, t, tag, attrs) {
    var node = el(tag, attrs);
    node.appendChild(bdi(f.name));
    node.appendChild(document.createTextNode(" \u2014 " + (t.status_names[f.status] || f.status) + " \u2014 " + countText(f, t)));
    return node;
  }

  /* ---- popup: built node by node, text only ---- */
  function popupContent(f, t) {
    var box = el("div", { "class": "gm-popup", lang: t.lang });
    box.appendChild(el("h3", { dir: "auto" }, f.name));
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
    box.appendChild(el("h1", { dir: "auto" }, data.title));
    if (data.subtitle) box.appendChild(el("p", { "class": "gm-subtitle", dir: "auto" }, data.subtitle));
    box.appendChild(el("p", { "class": "gm-meta" }));
    box.appendChild(el("p", { "class": "gm-national" }));
    dated(box, t, data.as_of, data.national, data.national_others);
    box.appendChild(el("p", { "class": "gm-credits" }, t.credits_sources + " " + (data.options.tiles ? t.credits_tiles + " " : "") + t.credits_outline));
    return box;
  }

  // The headline's date and nationwide totals (again when the time view moves): the primary
  // organisation's latest, named, then each other organisation's own latest beside it.
  function dated(box, t, asOf, lead, others) {
    var meta = box.querySelector(".gm-meta"), p = box.querySelector(".gm-national");
    meta.textContent = ""; p.textContent = "";
    if (asOf) meta.appendChild(el("span", { "class": "gm-asof" }, t.data_as_of + " " + asOf));
    var figures = (lead ? [lead] : []).concat(others || []);
    if (!figures.length) return;
    p.appendChild(el("span", { "class": "gm-national-label" }, t.national_total + ": "));
    figures.forEach(function (n, k) {
      var line = el("span", { "class": k || !lead ? "gm-national-other" : "gm-national-lead", "data-counted-by": n.counted_by });
      line.appendChild(orgNodes(k || !lead ? "span" : "strong", null, n.counted_by, ": " + figureText(n.detainees, n.qualifier, t), t));
      line.appendChild(document.createTextNode(" " + t.as_of + " " + n.as_of + " "));
      if (n.source) line.appendChild(link(n.source, "(" + t.source + ")"));
      p.appendChild(line);
    });
  }

  // The day an ISO date or month stands for, as comparable text (a month is its last day: geomap.history.date_key).
  function dateKey(text) {
    if (text.length !== 7) return text;
    return text + "-" + new Date(Date.UTC(+text.slice(0, 4), +text.slice(5, 7), 0)).getUTCDate();
  }

  // The nationwide figures standing at a slider stop: each organisation's own series, never another's.
  function nationalAt(series, primary, stop) {
    var lead = null, others = [];
    series.forEach(function (s) {
      for (var k = s.changes.length - 1; k >= 0 && s.changes[k][0] > stop; k--);
      var c = s.changes[k];
      if (!c || c[1] === null) return;
      var figure = { detainees: c[1], qualifier: c[2], as_of: c[3], source: c[4], counted_by: s.counted_by };
      if (s.counted_by === primary) lead = figure; else others.push(figure);
    });
    others.sort(function (a, b) {
      var x = dateKey(a.as_of), y = dateKey(b.as_of);
      return x !== y ? (x < y ? 1 : -1) : String(a.counted_by || "") < String(b.counted_by || "") ? -1 : 1;
    });
    return { lead: lead, others: others };
  }

  function legend(data, t, statusCounts, toggle, scale) {
    var box = el("section", { "class": "gm-legend leaflet-control", "aria-label": t.legend });
    var roomy = !data.options.embed && window.innerWidth > 600 && window.innerHeight > 500;
    var details = el("details", roomy ? { open: "" } : null);
    details.appendChild(el("summary", null, t.legend));
    details.appendChild(el("h2", null, t.legend_status));
    STATUS_ORDER.forEach(function (s) {
      if (!(s in statusCounts)) return;
      var label = el("label", { "class": "gm-legend-row", "data-status": s });
      var box = el("input", { type: "checkbox", checked: "" });
      box.addEventListener("change", function () { toggle(s, box.checked); });
      label.appendChild(box);
      label.appendChild(symbol(s, 7, false));
      var text = el("span", null, " " + t.status_names[s] + " (");
      text.appendChild(el("span", { "class": "gm-legend-count" }, statusCounts[s]));
      text.appendChild(document.createTextNode(")"));
      label.appendChild(text);
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

  function searchBox(facilities, t, reveal) {
    var box = el("div", { "class": "gm-search leaflet-control", role: "search" });
    var id = "gm-search-input";
    box.appendChild(el("label", { "for": id, "class": "gm-sr-only" }, t.search));
    var input = el("input", { id: id, type: "search", placeholder: t.search_placeholder, autocomplete: "off", "aria-controls": "gm-search-results" });
    var list = el("ul", { id: "gm-search-results", "class": "gm-search-results", "aria-live": "polite" });
    box.appendChild(input); box.appendChild(list);
    var keys = null; // folded names and aliases, built on the first keystroke
    function update() {
      if (!keys) {
        keys = [];
        for (var k = 0; k < facilities.length; k++) {
          var g = facilities.get(k);
          keys.push(fold([g.name, g.other_name].concat(g.aliases || []).join(" | ")));
        }
      }
      list.textContent = "";
      var q = fold(input.value);
      if (!q) return;
      var hits = [];
      for (var i = 0; i < keys.length && hits.length < 8; i++) if (keys[i].indexOf(q) !== -1) hits.push(facilities.get(i));
      if (!hits.length) { list.appendChild(el("li", { "class": "gm-none" }, t.no_results)); return; }
      hits.forEach(function (f) {
        var li = el("li"), b = el("button", { type: "button", "data-id": f.id, dir: "auto" }, f.name);
        b.addEventListener("click", function () { reveal(f.index); });
        li.appendChild(b); list.appendChild(li);
      });
    }
    input.addEventListener("input", function () { whenParsed(update); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { var b = list.querySelector("button"); if (b) { e.preventDefault(); b.click(); } }
    });
    return box;
  }

  function screenReaderTable(facilities, t, reveal) {
    var table = el("table", { "class": "gm-sr-only", id: "gm-table" });
    table.appendChild(el("caption", null, t.table_caption));
    var head = el("tr");
    [t.name, t.status, t.detainees, t.location, t.sources].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    table.appendChild(body);
    var i = 0;
    // In slices of ~10 ms, so the map stays responsive while a big table is built.
    function chunk() {
      var until = performance.now() + 10, frag = document.createDocumentFragment();
      for (; i < facilities.length && (i % 64 || performance.now() < until); i++) {
        var f = facilities.get(i), tr = el("tr");
        var th = el("th", { scope: "row" }), b = el("button", { type: "button", "class": "gm-table-show", dir: "auto" }, f.name);
        b.setAttribute("aria-label", t.show_on_map + ": " + f.name);
        b.addEventListener("click", reveal.bind(null, i, false));
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
      if (i < facilities.length) setTimeout(chunk, 0);
      else table.setAttribute("data-complete", "true");
    }
    chunk();
    return table;
  }

  /* ---- main ---- */
  function render(map, ids) {
    performance.mark("geomap:start");
    var data = JSON.parse(document.getElementById(ids.data).textContent), t = data.labels;
    SHAPES = data.style.shapes; COLOURS = data.style.colours; STATUS_ORDER = data.statuses;
    t.lang = data.lang; t.locale = data.lang === "es" ? "es-VE" : "en-US";
    document.documentElement.setAttribute("lang", data.lang);
    document.title = data.title;
    if (data.options.embed) document.body.classList.add("gm-embed");
    if (data.options.static) document.body.classList.add("gm-static");

    map.createPane("gm-outline").style.zIndex = 250;
    if (ids.outline && window.topojson) {
      var world = JSON.parse(document.getElementById(ids.outline).textContent);
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        pane: "gm-outline", interactive: false,
        style: { color: "#6b6b6b", weight: 1, fillColor: "#f2efe9", fillOpacity: 1 }
      }).addTo(map);
      map.attributionControl.addAttribution(t.outline_credit);
    }

    var facilities = new Facilities(data, ids), n = facilities.length;
    function countByStatus() {
      var counts = {};
      for (var i = 0; i < n; i++) counts[STATUS_ORDER[facilities.status[i]]] = (counts[STATUS_ORDER[facilities.status[i]]] || 0) + 1;
      return counts;
    }
    var max = 0, statusCounts = countByStatus(), south = 90, north = -90, west = 180, east = -180;
    for (var i = 0; i < n; i++) {
      if (facilities.detainees[i] > max) max = facilities.detainees[i];
      south = Math.min(south, facilities.lat[i]); north = Math.max(north, facilities.lat[i]);
      west = Math.min(west, facilities.lon[i]); east = Math.max(east, facilities.lon[i]);
    }
    var timeline = data.timeline; // its states are read when the slider first moves
    if (timeline) { // sizes and legend rows hold for every date
      max = Math.max(max, timeline.max_detainees);
      timeline.statuses.forEach(function (s) { if (!(s in statusCounts)) statusCounts[s] = 0; });
    }
    var scale = {
      max: max,
      radius: function (v) { return max > 0 ? Math.max(MIN_RADIUS, MAX_RADIUS * Math.sqrt(v / max)) : NO_COUNT_RADIUS; },
      ticks: niceTicks(max)
    };
    var view = new View(facilities, data.options.cluster, scale, t.locale);
    performance.mark("geomap:indexed");
    var layer = new FacilityLayer(view);

    // One popup and one tooltip for the whole map, filled when needed; popups pan clear of the headline.
    var popup = L.popup({ maxWidth: 320, minWidth: 220, maxHeight: 380, autoPanPaddingTopLeft: [16, Math.min(210, window.innerHeight * 0.35)],
                          autoPanPaddingBottomRight: [16, 16] });
    var tooltip = L.tooltip({ direction: "top" });

    function describe(item) {
      if (item.kind === "cluster") return fill(t.cluster, item.count, t);
      if (item.kind === "stack") return fill(t.stack, item.count, t);
      return altText(facilities.get(item.i), t);
    }
    function tooltipContent(item) {
      return item.kind === "facility" ? altNodes(facilities.get(item.i), t, "span") : el("span", null, describe(item));
    }
    // A popup opened from the keyboard takes the focus, and gives it back to its marker when closed.
    var returnFocus = null;
    function focusPopup() {
      if (!returnFocus) return;
      var heading = popup.getElement().querySelector(".gm-popup h3");
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    map.on("popupclose", function () {
      var marker = returnFocus && hotspots.querySelector('[data-key="' + returnFocus + '"]');
      returnFocus = null;
      if (marker) marker.focus({ preventScroll: true });
    });
    function openFacility(i) {
      whenParsed(function () {
        popup.setLatLng([facilities.lat[i], facilities.lon[i]]).setContent(popupContent(facilities.get(i), t)).openOn(map);
        focusPopup();
      });
    }
    function openStack(item) {
      whenParsed(function () {
        var box = el("div", { "class": "gm-popup gm-stack", lang: t.lang });
        box.appendChild(el("h3", null, fill(t.stack_heading, item.count, t)));
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
        popup.setLatLng([item.lat, item.lon]).setContent(box).openOn(map);
        focusPopup();
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

    // Keyboard: a transparent button over each marker in view (up to HOTSPOT_LIMIT; beyond,
    // the search box and the screen-reader table reach every facility).
    var hotspots = map.createPane("gm-hotspots");
    hotspots.style.zIndex = 450;
    function itemKey(item) { return item.kind === "cluster" ? "c" + item.cluster : item.kind === "stack" ? "s" + item.members[0] : "f" + item.i; }
    // The focused hotspot's item, kept while a zoom hides the hotspots (hiding drops the focus).
    function focusedItem() {
      var key = hotspots.contains(document.activeElement) && document.activeElement.getAttribute("data-key");
      return key ? layer.drawn.filter(function (item) { return itemKey(item) === key; })[0] : null;
    }
    var refocus = null;
    function placeHotspots() {
      var focused = focusedItem() || refocus;
      refocus = null;
      hotspots.textContent = "";
      hotspots.style.display = "";
      // Only markers on screen: the canvas also draws a margin around the view, out of sight.
      var size = map.getSize(), min = map.containerPointToLayerPoint([0, 0]);
      var shown = layer.drawn.filter(function (item) {
        return item.x >= min.x && item.x <= min.x + size.x && item.y >= min.y && item.y <= min.y + size.y;
      });
      if (shown.length > HOTSPOT_LIMIT) return;
      // The focus stays on its marker or, once a cluster has split, goes to the marker nearest to it.
      var frag = document.createDocumentFragment(), nearest = null, best = Infinity;
      var target = focused && map.latLngToLayerPoint([focused.lat, focused.lon]);
      shown.forEach(function (item) {
        var b = el("button", { type: "button", "class": "gm-hotspot gm-hotspot-" + item.kind, "aria-label": describe(item), "data-key": itemKey(item),
                               "data-id": item.kind === "facility" ? facilities.get(item.i).id : null });
        L.DomUtil.setPosition(b, L.point(item.x - item.r, item.y - item.r));
        b.style.width = b.style.height = 2 * item.r + "px";
        b.addEventListener("click", function (e) {
          e.stopPropagation(); // the map would take it for a click on empty ground and close the popup
          returnFocus = e.detail === 0 && item.kind !== "cluster" ? itemKey(item) : null; // a cluster opens no popup
          activate(item);
        });
        b.addEventListener("focus", function () { showTooltip(item); });
        b.addEventListener("blur", function () { map.closeTooltip(tooltip); });
        frag.appendChild(b);
        var d = !target ? Infinity : itemKey(item) === itemKey(focused) ? -1 : target.distanceTo([item.x, item.y]);
        if (d < best) { best = d; nearest = b; }
      });
      hotspots.appendChild(frag);
      if (nearest) nearest.focus({ preventScroll: true });
    }
    map.on("zoomstart", function () { refocus = focusedItem(); hotspots.style.display = "none"; });

    function toggle(status, on) {
      view.shown[STATUS_ORDER.indexOf(status)] = on;
      view.rebuild();
      layer._updatePaths();
    }

    // Bring one facility on screen, out of any cluster, then open its popup.
    function reveal(i, keepClosed) {
      var s = STATUS_ORDER[facilities.status[i]];
      if (!view.shown[facilities.status[i]]) {
        var box = document.querySelector('.gm-legend-row[data-status="' + s + '"] input');
        if (box) box.checked = true;
        toggle(s, true);
      }
      var zoom = Math.max(map.getZoom(), view.index ? 0 : 10);
      if (view.index) {
        var p = view.positionOf[i], lon = facilities.lon[i], lat = facilities.lat[i], e = 1e-4; // supercluster keeps float32 positions
        while (zoom <= CLUSTER_MAX_ZOOM && !view.index.getClusters([lon - e, lat - e, lon + e, lat + e], zoom).some(function (f) {
          return !f.properties.cluster && f.properties.p === p;
        })) zoom++;
      }
      map.setView([facilities.lat[i], facilities.lon[i]], Math.min(zoom, map.getMaxZoom()), { animate: false });
      if (!keepClosed) openFacility(i);
    }

    // The time view: the map, legend, headline, popups and table as they stood at a date.
    var baseStatus = facilities.status.slice(), baseDetainees = facilities.detainees.slice(), table = null;
    function showDate(stop) {
      if (!timeline.states) L.extend(timeline, JSON.parse(document.getElementById(ids.timeline).textContent));
      var latest = stop === timeline.dates.length - 1;
      facilities.states = latest ? null : timeline.states.map(function (states) {
        for (var k = states.length - 1; k > 0 && states[k][0] > stop; k--);
        return states[k];
      });
      for (var i = 0; i < n; i++) {
        var state = facilities.states && facilities.states[i];
        facilities.status[i] = state ? STATUS_ORDER.indexOf(state[1]) : baseStatus[i];
        facilities.detainees[i] = state ? state[4] : baseDetainees[i];
      }
      view.measure(); view.rebuild(); layer._updatePaths();
      var counts = countByStatus();
      document.querySelectorAll(".gm-legend-row[data-status]").forEach(function (row) {
        row.querySelector(".gm-legend-count").textContent = counts[row.getAttribute("data-status")] || 0;
      });
      var national = latest ? { lead: data.national, others: data.national_others } : nationalAt(timeline.national, timeline.primary, stop);
      dated(document.querySelector(".gm-headline"), t, latest ? data.as_of : timeline.dates[stop], national.lead, national.others);
      returnFocus = null; // the reader is on the slider: closing the popup must not pull the focus to its marker
      map.closePopup();
      if (table) { var fresh = screenReaderTable(facilities, t, reveal); table.replaceWith(fresh); table = fresh; }
    }

    control("topleft", function () { return headline(data, t); }).addTo(map);
    map.zoomControl.remove(); // Leaflet's own is English-only; the full-screen button joins the new one
    map.zoomControl = L.control.zoom({ position: "topleft", zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", t.close_popup); close.setAttribute("title", t.close_popup); }
    });
    popup.once("add", function () { // its element is made once and kept: one listener
      L.DomEvent.on(popup.getElement(), "keydown", function (e) { if (e.key === "Escape") map.closePopup(popup); });
    });
    control("topright", function () { return searchBox(facilities, t, reveal); }).addTo(map);
    control("bottomleft", function () { return legend(data, t, statusCounts, toggle, scale); }).addTo(map);
    L.control.scale({ position: "bottomright" }).addTo(map);
    // Bottom right, above the scale (added after it): at the top it would cover the headline on narrow screens.
    if (timeline) control("bottomright", function () { return timeControl(timeline.dates, data.as_of, t, showDate); }).addTo(map);
    if (L.Control.FullScreen) new L.Control.FullScreen({ position: "topleft", title: t.fullscreen, titleCancel: t.fullscreen_exit }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>');

    // Frame the data first, without animation, so the markers are drawn once, for the final view.
    if (n) map.fitBounds(L.latLngBounds([south, west], [north, east]).pad(0.05), L.extend(fitPadding(map), { animate: false }));
    else map.setView([0, 0], 2, { animate: false });
    layer.addTo(map);
    performance.mark("geomap:drawn");
    window.geomapMap = {
      map: map, layer: layer, view: view, facilities: facilities, reveal: reveal,
      // What is drawn, in page pixels (tests and benchmarks read it; ids once the page is parsed).
      items: function () {
        var origin = map.getContainer().getBoundingClientRect();
        return layer.drawn.map(function (item) {
          var c = map.layerPointToContainerPoint([item.x, item.y]), f = item.kind === "facility" ? facilities.get(item.i) : null;
          return { kind: item.kind, id: f && f.id, count: item.kind === "facility" ? 1 : item.count, r: item.r,
                   x: origin.left + c.x, y: origin.top + c.y, status: f && f.status,
                   hollow: !!f && facilities.detainees[item.i] === null, dashed: !!f && facilities.approximate[item.i] === 1 };
        });
      }
    };
    document.documentElement.setAttribute("data-geomap-drawn", "true");

    // Everything that reads the details waits for them: the rows follow this script in the page.
    whenParsed(function () {
      placeHotspots();
      layer.on("drawn", placeHotspots);
      table = screenReaderTable(facilities, t, reveal);
      document.body.appendChild(table);
      performance.mark("geomap:ready");
      document.documentElement.setAttribute("data-geomap-ready", "true");
    });
  }

  // A slider over the dates at which the data changes; its last stop is the map as built
  // (labelled with the date the build describes, which --as-of may put after the last change).
  function timeControl(dates, builtAsOf, t, showDate) {
    var box = el("div", { "class": "gm-timeline leaflet-control" }), id = "gm-timeline-input", last = dates.length - 1;
    var label = el("label", { "for": id }, t.timeline + " ");
    var shown = el("output", { "for": id, "class": "gm-timeline-date" });
    label.appendChild(shown);
    var input = el("input", { id: id, type: "range", min: 0, max: last, step: 1, value: last });
    function say(stop) {
      shown.textContent = stop === last ? (builtAsOf || dates[last]) + " (" + t.timeline_latest + ")" : dates[stop];
      input.setAttribute("aria-valuetext", shown.textContent);
    }
    var pending = null;
    input.addEventListener("input", function () {
      var stop = Number(input.value);
      say(stop);
      clearTimeout(pending);
      pending = setTimeout(function () { whenParsed(function () { showDate(stop); }); }, 120); // once the slider rests
    });
    say(last);
    box.appendChild(label); box.appendChild(input);
    return box;
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
