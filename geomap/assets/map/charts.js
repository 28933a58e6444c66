/* charts: pictures of the numbers, as inline SVG — the nationwide series in the headline and a
 * facility's figures in its popup. One line per counting organisation, never a segment from one
 * organisation's point to another's; every point titled with its figure, date and organisation;
 * a mark at the slider's date, the figures after it faded. Series: [{counted_by, points:
 * [[as_of, detainees, qualifier], ...]}], oldest first (geomap.timeline.national_points). */
var SVG_NS = "http://www.w3.org/2000/svg";
// One colour per canonical organisation (in geomap.organisations' order), the same in every chart;
// any other takes one no organisation of its chart has, then grey. Each at least 4.5:1 on the white
// panels, so a direct label in it reads too.
var ORG_COLOURS = ["#1f5fa8", "#a34a00", "#2e6b30", "#6a3d9a", "#8b1c3f", "#00626b", "#7a5c00", "#5c4033", "#595959"];
var OTHER_COLOUR = "#4d4d4d";
// The plot's size in SVG units (scaled to its panel) and the margin its points keep from the edges.
var NATIONAL_CHART = { width: 260, height: 80, pad: 4, name: "chart_national", className: "gm-chart-national", labels: true };
var FACILITY_CHART = { width: 200, height: 48, pad: 4, name: "chart_facility", className: "gm-sparkline", labels: false };

function svgNode(tag, attrs, text) {
  var node = document.createElementNS(SVG_NS, tag);
  for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// Days since 1970 of the day an ISO date or month stands for (a month: its last day).
function dayNumber(text) {
  var k = dateKey(text);
  return Date.UTC(+k.slice(0, 4), +k.slice(5, 7) - 1, +k.slice(8, 10)) / 864e5;
}

function words(template, values) { return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; }); }

function seriesColours(series, t) {
  var slugs = Object.keys(t.organisations), own = series.map(function (s) { return slugs.indexOf(s.counted_by); });
  var free = ORG_COLOURS.filter(function (c, k) { return own.indexOf(k) < 0; });
  return own.map(function (k) { return k >= 0 ? ORG_COLOURS[k] : free.shift() || OTHER_COLOUR; });
}

// An organisation's name inside a text of the chart's own (a title, a label): a name given as free text
// is data, in a first-strong isolate (U+2068 .. U+2069), so an override in it cannot reach the words after.
function orgText(slug, t) { return slug in t.organisations || slug === null ? orgName(slug, t) : "\u2068" + slug + "\u2069"; }

function datedFigure(p, t) { return figureText(p[1], p[2], t) + " " + t.as_of + " " + p[0]; }

// What the chart shows, in words: each organisation's first and latest figure up to ``asOf``.
function chartSummary(series, t, asOf) {
  var until = asOf ? dateKey(asOf) : "9999"; // no date: every figure
  var said = series.map(function (s) {
    var shown = s.points.filter(function (p) { return dateKey(p[0]) <= until; });
    if (!shown.length) return null;
    var values = { org: orgText(s.counted_by, t), first: datedFigure(shown[0], t), n: groupDigits(shown.length, t.locale) };
    values.last = datedFigure(shown[shown.length - 1], t);
    return words(shown.length > 1 ? t.chart_range : t.chart_one, values);
  }).filter(Boolean);
  var later = series.some(function (s) { return s.points.some(function (p) { return dateKey(p[0]) > until; }); });
  return said.join("; ") + "." + (later ? " " + words(t.chart_later, { date: asOf }) : "");
}

// The chart of ``series`` as they stood on ``asOf`` (later figures faded), sized by ``spec``: lines and
// points in an SVG, its words (axes, direct labels) in HTML around it, where a checker can read
// their contrast (text inside an image it cannot), hidden from screen readers, which get the SVG's
// own text alternative: the headline's in a <desc>, a popup's in its label.
function seriesChart(series, t, asOf, spec) {
  var w = spec.width, h = spec.height, top = spec.pad, bottom = spec.pad, left = spec.pad, right = spec.pad;
  var days = [], max = 0;
  series.forEach(function (s) { s.points.forEach(function (p) { days.push(dayNumber(p[0])); max = Math.max(max, p[1]); }); });
  var first = Math.min.apply(null, days), last = Math.max.apply(null, days), cut = asOf ? dayNumber(asOf) : Infinity;
  function round(v) { return Math.round(v * 10) / 10; }
  function x(day) { return round(last === first ? w / 2 : left + (day - first) / (last - first) * (w - left - right)); }
  function y(value) { return round(h - bottom - (max ? value / max : 0) * (h - top - bottom)); }
  var summary = chartSummary(series, t, asOf);
  var figure = el("div", { "class": "gm-chart-figure" });
  var labels = figure.appendChild(el("div", { "class": "gm-chart-labels", "aria-hidden": "true" }));
  var axis = figure.appendChild(el("div", { "class": "gm-chart-y", "aria-hidden": "true" }));
  axis.appendChild(el("span", null, groupDigits(max, t.locale)));
  axis.appendChild(el("span", null, "0"));
  var svg = figure.appendChild(svgNode("svg", { "class": spec.className, viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img",
                                                "aria-label": spec.labels ? t[spec.name] : t[spec.name] + ": " + summary,
                                                "aria-describedby": spec.labels ? "gm-chart-desc" : null }));
  if (spec.labels) svg.appendChild(svgNode("desc", { id: "gm-chart-desc" }, summary));
  var dates = figure.appendChild(el("div", { "class": "gm-chart-x", "aria-hidden": "true" }));
  dates.appendChild(el("span", null, dateOf(first)));
  if (last !== first) dates.appendChild(el("span", null, dateOf(last)));
  svg.appendChild(svgNode("line", { "class": "gm-chart-axis", x1: 0, x2: w, y1: h - bottom, y2: h - bottom }));
  var ends = [], colours = seriesColours(series, t);
  series.forEach(function (s, n) {
    var colour = colours[n], slug = s.counted_by === null ? "" : s.counted_by;
    var xy = s.points.map(function (p) { return [x(dayNumber(p[0])), y(p[1])]; });
    var shown = s.points.filter(function (p) { return dayNumber(p[0]) <= cut; }).length; // oldest first
    // Up to the slider's date solid, then faded from its last point on: both of this organisation's points only.
    [[xy.slice(0, shown), null], [xy.slice(Math.max(shown - 1, 0)), "gm-later"]].forEach(function (part) {
      if (part[0].length < 2 || (part[1] && shown === xy.length)) return;
      svg.appendChild(svgNode("path", { "class": part[1], "data-counted-by": slug, fill: "none", stroke: colour, "stroke-width": 1.5,
                                        d: "M" + part[0].map(function (q) { return q.join(","); }).join("L") }));
    });
    s.points.forEach(function (p, k) {
      var dot = svgNode("circle", { cx: xy[k][0], cy: xy[k][1], r: spec.labels ? 2 : 2.5, fill: colour, "data-counted-by": slug,
                                    "data-date": p[0], "class": k >= shown ? "gm-later" : null });
      var by = s.counted_by === null ? t.organisation_unknown : t.counted_by + " " + orgText(s.counted_by, t);
      dot.appendChild(svgNode("title", null, datedFigure(p, t) + ", " + by));
      svg.appendChild(dot);
    });
    if (spec.labels) ends.push({ text: orgName(s.counted_by, t), end: xy[xy.length - 1], colour: colour });
  });
  // Direct labels in rows above the lines, the highest line's first, each led down to its line's last point.
  ends.sort(function (a, b) { return a.end[1] - b.end[1]; }).forEach(function (label) {
    var row = labels.appendChild(el("div", { "class": "gm-chart-label" + (label.end[0] > w / 2 ? " gm-chart-end" : ""), dir: "auto" },
                                    label.text));
    row.style.color = label.colour;
    svg.appendChild(svgNode("line", { "class": "gm-chart-leader", x1: label.end[0], x2: label.end[0], y1: 0, y2: label.end[1] - 3,
                                      stroke: label.colour }));
  });
  var now = x(Math.max(first, Math.min(last, cut)));
  svg.appendChild(svgNode("line", { "class": "gm-chart-now", "data-date": asOf, x1: now, x2: now, y1: 0, y2: h - bottom }));
  return figure;
}

// ISO text of a day number (the axis's first and last dates).
function dateOf(day) { return new Date(day * 864e5).toISOString().slice(0, 10); }

// The headline's chart in ``holder``: a function that draws it as it stood on a date.
function nationalChart(holder, series, t) {
  return function (asOf) { holder.textContent = ""; holder.appendChild(seriesChart(series, t, asOf, NATIONAL_CHART)); };
}

// A facility's figures (its ``counts``: [detainees, qualifier, as_of, source, counted_by]) as a
// sparkline with a key naming each organisation; null for fewer than two figures.
function sparkline(counts, t, asOf) {
  if (!counts || counts.length < 2) return null;
  var series = [], of = {};
  counts.forEach(function (c) {
    var key = c[4] === null ? "" : "=" + c[4]; // unknown apart from any name
    if (!(key in of)) series.push(of[key] = { counted_by: c[4], points: [] });
    of[key].points.push([c[2], c[0], c[1] === "exact" ? null : c[1]]);
  });
  series.forEach(function (s) { s.points.sort(function (a, b) { return dayNumber(a[0]) - dayNumber(b[0]); }); });
  var box = el("div", { "class": "gm-chart" });
  box.appendChild(seriesChart(series, t, asOf, FACILITY_CHART));
  var key = el("ul", { "class": "gm-chart-key" }), colours = seriesColours(series, t);
  series.forEach(function (s, n) {
    var li = el("li"), swatch = el("span", { "class": "gm-swatch", "aria-hidden": "true" });
    swatch.style.background = colours[n];
    li.appendChild(swatch);
    li.appendChild(s.counted_by in t.organisations || s.counted_by === null ? document.createTextNode(orgName(s.counted_by, t)) : bdi(s.counted_by));
    key.appendChild(li);
  });
  box.appendChild(key);
  return box;
}
