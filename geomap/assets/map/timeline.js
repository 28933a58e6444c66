/* timeline: the date slider, and the map as it stood at the chosen date. */
// A slider over the dates at which the data changes; its last stop is the map as built
// (labelled with the date the build describes, which --as-of may put after the last change).
function timeControl(dates, builtAsOf, t, showDate) {
  var box = el("div", { "class": "gm-timeline leaflet-control" }), id = "gm-timeline-input", last = dates.length - 1;
  var label = el("label", { "for": id });
  label.appendChild(el("span", { "class": "gm-timeline-caption" }, t.timeline + " ")); // hidden in a compact map
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
  box.appendChild(label); box.appendChild(input); box.appendChild(timeScale(dates, builtAsOf));
  return box;
}

// Under the slider: its first and last month at the ends and a tick at each new year, labelled
// where there is room (stops are dates of change, not evenly spaced days, so years can crowd).
// Hidden from screen readers: the slider's value text says the date.
function timeScale(dates, builtAsOf) {
  var scale = el("div", { "class": "gm-timeline-scale", "aria-hidden": "true" }), last = dates.length - 1;
  // The thumb's centre runs from half a thumb in from the left to half a thumb in from the right.
  function at(stop) { return "calc(var(--gm-thumb) / 2 + (100% - var(--gm-thumb)) * " + (stop / last) + ")"; }
  var labels = [el("span", { "data-label": "start" }, dates[0].slice(0, 7)), el("span", { "data-label": "end" }, (builtAsOf || dates[last]).slice(0, 7))];
  for (var k = 1; k <= last; k++) {
    if (dates[k].slice(0, 4) === dates[k - 1].slice(0, 4)) continue;
    var tick = el("span", { "class": "gm-timeline-tick" }), year = el("span", { "data-label": "year" }, dates[k].slice(0, 4));
    tick.style.left = year.style.left = at(k);
    scale.appendChild(tick); labels.push(year);
  }
  labels.forEach(function (label) { scale.appendChild(label); });
  // A label that would touch one placed before it (the ends first) is hidden, again whenever the scale's width changes.
  function space() {
    var placed = [];
    labels.forEach(function (label) {
      label.classList.remove("gm-crowded");
      var r = label.getBoundingClientRect();
      if (!r.width) return;
      if (placed.some(function (p) { return r.left < p.right + 4 && p.left < r.right + 4; })) label.classList.add("gm-crowded");
      else placed.push(r);
    });
  }
  if (window.ResizeObserver) new ResizeObserver(space).observe(scale);
  return scale;
}

// showDate(stop): the map, legend, headline, popups and table as they stood at a date.
function timeView(gm) {
  var map = gm.map, data = gm.data, t = gm.t, facilities = gm.facilities, view = gm.view, layer = gm.layer, timeline = data.timeline;
  var baseStatus = facilities.status.slice(), baseDetainees = facilities.detainees.slice();
  return function showDate(stop) {
    if (!timeline.states) L.extend(timeline, JSON.parse(blockText(gm.ids.timeline)));
    var latest = stop === timeline.dates.length - 1;
    gm.shownAsOf = latest ? null : timeline.dates[stop]; // the date popups show (their sparkline fades later figures)
    facilities.states = latest ? null : timeline.states.map(function (states) {
      for (var k = states.length - 1; k > 0 && states[k][0] > stop; k--);
      return states[k];
    });
    for (var i = 0; i < facilities.length; i++) {
      var state = facilities.states && facilities.states[i];
      facilities.status[i] = state ? STATUS_ORDER.indexOf(state[1]) : baseStatus[i];
      facilities.detainees[i] = state ? state[4] : baseDetainees[i];
    }
    view.measure(); view.rebuild(); layer._updatePaths();
    var counts = countByStatus(facilities);
    document.querySelectorAll(".gm-legend-row[data-status]").forEach(function (row) {
      row.querySelector(".gm-legend-count").textContent = counts[row.getAttribute("data-status")] || 0;
    });
    var national = latest ? { lead: data.national, others: data.national_others } : nationalAt(timeline.national, timeline.primary, stop);
    dated(document.querySelector(".gm-headline"), t, latest ? data.as_of : timeline.dates[stop], national.lead, national.others);
    gm.returnFocus = null; // the reader is on the slider: closing the popup must not pull the focus to its marker
    map.closePopup();
    if (gm.table) { var fresh = screenReaderTable(facilities, t, gm.reveal); gm.table.replaceWith(fresh); gm.table = fresh; }
  };
}
