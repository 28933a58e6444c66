/* headline: title, date and nationwide figures, each organisation's own (also at a slider stop).
 * A bar (the title, and the button that opens the rest in a compact map) over the details part:
 * other parts add their blocks to ``.gm-headline-details``. */
function headline(data, t) {
  var box = el("section", { "class": "gm-headline leaflet-control", "aria-label": t.about_map });
  var bar = el("div", { "class": "gm-headline-bar" }), details = el("div", { "class": "gm-headline-details gm-fit", id: "gm-headline-details" });
  var button = toggleButton("gm-headline-toggle", details.id, t.details, "\u25BE");
  bar.appendChild(el("h1", { dir: "auto" }, data.title));
  bar.appendChild(button);
  box.appendChild(bar);
  disclosure(box, button);
  if (data.subtitle) details.appendChild(el("p", { "class": "gm-subtitle", dir: "auto" }, data.subtitle));
  details.appendChild(el("p", { "class": "gm-meta" }));
  details.appendChild(el("p", { "class": "gm-national" }));
  box.appendChild(details);
  if (data.national_series.length) { // the nationwide series as a chart (charts.js), redrawn by dated()
    var chart = details.appendChild(el("div", { "class": "gm-chart" }));
    box.gmDrawChart = nationalChart(chart, data.national_series, t);
  }
  dated(box, t, data.as_of, data.national, data.national_others);
  details.appendChild(el("p", { "class": "gm-credits" }, t.credits_sources + " " + (data.options.tiles ? t.credits_tiles + " " : "") + t.credits_outline));
  return box;
}

// The headline's date and nationwide totals (again when the time view moves): the primary
// organisation's latest, named, then each other organisation's own latest beside it.
function dated(box, t, asOf, lead, others) {
  var meta = box.querySelector(".gm-meta"), p = box.querySelector(".gm-national");
  meta.textContent = ""; p.textContent = "";
  if (box.gmDrawChart) box.gmDrawChart(asOf);
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
