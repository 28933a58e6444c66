/* legend: statuses (checkboxes that show or hide them), sizes, no count, precision. Open or not:
 * arrange.js, by the map's size; in a picture (``still``) the same rows, shown, with nothing to click. */
function legend(t, statusCounts, toggle, scale, still) {
  var box = el("section", { "class": "gm-legend leaflet-control", "aria-label": t.legend });
  var details = el(still ? "div" : "details"), body = el("div", { "class": "gm-legend-body gm-fit" });
  if (!still) {
    var summary = el("summary", null, t.legend);
    details.appendChild(summary);
    disclosure(box, summary);
  }
  details.appendChild(body);
  body.appendChild(el("h2", null, t.legend_status));
  STATUS_ORDER.forEach(function (s) {
    if (!(s in statusCounts)) return;
    var label = el(still ? "div" : "label", { "class": "gm-legend-row", "data-status": s });
    if (!still) {
      var box = el("input", { type: "checkbox", checked: "" });
      box.addEventListener("change", function () { toggle(s, box.checked); });
      label.appendChild(box);
    }
    label.appendChild(symbol(s, 7, false));
    var text = el("span", null, " " + t.status_names[s] + " (");
    text.appendChild(el("span", { "class": "gm-legend-count" }, statusCounts[s]));
    text.appendChild(document.createTextNode(")"));
    label.appendChild(text);
    body.appendChild(label);
  });
  if (scale.max > 0) {
    body.appendChild(el("h2", null, t.legend_size));
    var sizes = el("div", { "class": "gm-legend-sizes" });
    scale.ticks.forEach(function (v) {
      var item = el("span", { "class": "gm-legend-size", "data-count": v });
      item.appendChild(symbol("open", scale.radius(v), false, true));
      item.appendChild(el("span", null, groupDigits(v, t.locale)));
      sizes.appendChild(item);
    });
    body.appendChild(sizes);
  }
  var nc = el("div", { "class": "gm-legend-row" });
  nc.appendChild(symbol("unknown", NO_COUNT_RADIUS, false, true, true));
  nc.appendChild(document.createTextNode(" " + t.legend_no_count));
  body.appendChild(nc);
  body.appendChild(el("h2", null, t.legend_precision));
  [["site", t.precision_names.site], ["approximate", t.legend_approximate]].forEach(function (p) {
    var r = el("div", { "class": "gm-legend-row", "data-precision": p[0] });
    r.appendChild(symbol("unknown", 7, p[0] !== "site", true));
    r.appendChild(document.createTextNode(" " + p[1]));
    body.appendChild(r);
  });
  box.appendChild(details);
  return box;
}

function symbol(status, r, dashed, neutral, hollow) {
  var size = Math.ceil(2 * r * 1.4 + 4), c = size / 2;
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", size); svg.setAttribute("height", size); svg.setAttribute("aria-hidden", "true");
  var shape = neutral ? "circle" : SHAPES[status], colour = neutral ? "#9a9a9a" : COLOURS[status];
  function outline(radius) {
    var node;
    if (shape === "circle") {
      node = document.createElementNS(ns, "circle");
      node.setAttribute("cx", c); node.setAttribute("cy", c); node.setAttribute("r", radius);
    } else {
      node = document.createElementNS(ns, "path");
      node.setAttribute("d", "M" + shapePoints(shape, { x: c, y: c }, radius).map(function (q) { return q.join(","); }).join("L") + "z");
    }
    return node;
  }
  var node = outline(r);
  node.setAttribute("fill", colour);
  node.setAttribute("fill-opacity", hollow ? "0.15" : "0.75");
  node.setAttribute("stroke", "#222");
  node.setAttribute("stroke-width", dashed ? "2" : "1");
  if (dashed) node.setAttribute("stroke-dasharray", "3 2");
  svg.appendChild(node);
  if (hollow) { // the band of colour inside a hollow marker's outline, as on the map (canvas.js band)
    var band = outline(r - HOLLOW_BAND / 2 - 0.5);
    band.setAttribute("fill", "none"); band.setAttribute("stroke", colour); band.setAttribute("stroke-width", HOLLOW_BAND);
    svg.appendChild(band);
  }
  return svg;
}

// Facilities per status (the legend's counts).
function countByStatus(facilities) {
  var counts = {};
  for (var i = 0; i < facilities.length; i++) counts[STATUS_ORDER[facilities.status[i]]] = (counts[STATUS_ORDER[facilities.status[i]]] || 0) + 1;
  return counts;
}

// Show or hide one status (its checkbox).
function toggle(gm, status, on) {
  gm.view.shown[STATUS_ORDER.indexOf(status)] = on;
  gm.view.rebuild();
  gm.layer._updatePaths();
}
