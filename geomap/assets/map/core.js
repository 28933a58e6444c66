/* core: the payload's facilities (details parsed from their own line only when needed), text helpers,
 * labels. Data reaches the page only by textContent/setAttribute, each text in its own bidi isolate;
 * links only for http(s) URLs, named by the ASCII host they lead to. */
var SHAPES, COLOURS, STATUS_ORDER; // from the payload (geomap/style.py)
var MAX_LAT = 85.0511287798;
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

function fill(template, n, t) { return template.replace("{n}", groupDigits(n, t.locale)); }

// A whole number with its digits grouped as toLocaleString(locale) groups them, for the page's two
// locales, without Intl: the first toLocaleString sets up the browser's number formatting, ~20 ms
// (~80 ms on a phone), in the task that draws the first paint. Any other number: toLocaleString.
var DIGIT_GROUPS = { "en-US": ",", "es-VE": "." };
function groupDigits(n, locale) {
  var sep = DIGIT_GROUPS[locale];
  if (!sep || !Number.isSafeInteger(n)) return n.toLocaleString(locale);
  return String(n).replace(/\B(?=(\d{3})+$)/g, sep);
}

// Run once the whole page, including the detail rows after the drawing script, is parsed.
function whenParsed(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn, { once: true });
  else fn();
}

// Web Mercator in [0, 1], as Leaflet's EPSG:3857 projects before scaling by 256 * 2^zoom.
function mercatorX(lon) { return (lon + 180) / 360; }
function mercatorY(lat) {
  var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

// The facilities: columns for drawing, details read line by line when needed.
function Facilities(data, ids) {
  var c = data.columns, n = c.lon.length;
  this.length = n; this.fields = data.fields; this.ids = ids;
  this.lon = c.lon; this.lat = c.lat; this.status = c.status; this.detainees = c.detainees; this.approximate = c.approximate;
  this.x = new Float64Array(n); this.y = new Float64Array(n);
  for (var i = 0; i < n; i++) { this.x[i] = mercatorX(c.lon[i]); this.y[i] = mercatorY(c.lat[i]); }
  this.lines = null;
}

// The detail rows' lines, unpacked from their block the first time (the page reads them in a task
// of its own before the first thing that needs them); only once the page is parsed.
Facilities.prototype.read = function () {
  if (this.lines) return;
  // Until then the rows element may hold only part of its text (callers wait with whenParsed).
  if (document.readyState === "loading") throw new Error("geomap: details are read once the page is parsed");
  this.lines = blockText(this.ids.rows).split("\n");
  document.getElementById(this.ids.rows).remove(); // the lines hold the text now: the element's copy would double it
};

// One facility's details as an object (sources resolved); only once the page is parsed.
Facilities.prototype.get = function (i) {
  this.read();
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
  return (q ? q + " " : "") + groupDigits(detainees, t.locale);
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
