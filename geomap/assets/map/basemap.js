/* basemap: what reads without tiles, under the markers: the region's land, state lines and city
 * names (geomap/basemap.py), each in a pane below the markers' canvas; and the tiles, added later. */

// The tiles' credit, from the first paint on: shown whenever the tiles can be.
function creditTiles(map, tiles) { map.attributionControl.addAttribution(tiles.getAttribution()); }

// The tile layer, once what was drawn before it has painted; then ``done``. "data-geomap-tiles" on
// the page: "pending", then "loaded" once the tiles in view have loaded or failed (a picture is taken then).
function addTiles(map, tiles, done) {
  afterPaint(function () {
    function mark(state) { document.documentElement.setAttribute("data-geomap-tiles", state); }
    mark("pending");
    tiles.once("load", function () { mark("loaded"); });
    tiles.addTo(map).bringToBack(); // under any tile layer of a notebook's own, as it was when folium added it first
    if (!tiles.isLoading()) mark("loaded"); // a view that asks for no tile: Leaflet fires no "load"
    map.attributionControl.removeAttribution(tiles.getAttribution()); // the layer's own credit stands for it now
    done();
  });
}

// The basemap's panes; true when the page carries a basemap (its block follows the rows).
function basemapPanes(map, ids, t) {
  makeBasemapPanes(map);
  if (ids.basemap) map.attributionControl.addAttribution(t.outline_credit);
  return !!ids.basemap;
}

// The land's and the city names' panes, under the tiles (Leaflet's tile pane, 200: loaded tiles cover
// them, failed ones are hidden) and so under the markers (a picture's inset has them too).
function makeBasemapPanes(map) {
  map.createPane("gm-outline").style.zIndex = 150;
  var labels = map.createPane("gm-labels");
  labels.style.zIndex = 175; // over the land
  labels.style.pointerEvents = "none";
  labels.setAttribute("aria-hidden", "true"); // context for the eye: the table speaks for the facilities
}

// A line or ring from its flat steps (1/scale degrees) to Leaflet's [lat, lon] points.
function decodeLine(steps, scale) {
  var points = [], x = 0, y = 0;
  for (var k = 0; k < steps.length; k += 2) {
    x += steps[k]; y += steps[k + 1];
    points.push([y / scale, x / scale]);
  }
  return points;
}

// Land (filled, country borders drawn), state lines over it, then the city labels; then ``done``.
// Each in a task of its own (unpacking the block is one too): together ~70 ms on a phone.
function drawBasemap(map, ids, layer, done) {
  var base, shared = { pane: "gm-outline", interactive: false };
  function lines(list) { return list.map(function (line) { return decodeLine(line, base.scale); }); }
  steps([
    function () { base = JSON.parse(blockText(ids.basemap)); },
    function () {
      var land = base.land.map(lines);
      L.polygon(land, L.extend({ className: "gm-land", color: "#6b6b6b", weight: 1, fillColor: "#f2efe9", fillOpacity: 1 }, shared)).addTo(map);
    },
    function () {
      if (base.lines.length) {
        L.polyline(lines(base.lines), L.extend({ className: "gm-state-lines", color: "#8c8c8c", weight: 1, dashArray: "4 3" }, shared)).addTo(map);
      }
    },
    function () { cityLabels(map, base.cities, layer); }
  ], done);
}

var LABEL_SHIFT = 30; // px: how far a city's name may move off its dot, clear of the markers over it

function boxesOverlap(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }

// City names: each city labelled from its zoom on, largest first, beside its dot on the side that
// covers less of the markers (or just clear of the markers over the city, its dot hidden under them),
// unless every place would overlap a larger city's label (so names never pile up as the reader
// zooms out) or lie under a panel (a control, the popup). Placed again whenever the markers are
// drawn again and when a popup opens or closes.
function cityLabels(map, cities, layer) {
  var shown = L.layerGroup().addTo(map), measure = document.createElement("canvas").getContext("2d");
  measure.font = "11px " + getComputedStyle(map.getContainer()).fontFamily;
  var labels = cities.map(function (city) {
    var name = el("span", { "class": "gm-city-name" }, city[0]);
    return { name: name, width: measure.measureText(city[0]).width + 12, marker: L.marker([city[2], city[1]], {
      pane: "gm-labels", interactive: false, keyboard: false, icon: L.divIcon({ className: "gm-city", html: name, iconSize: null })
    }) };
  });
  function under(box) { // the markers a label would cover
    return layer.drawn.filter(function (item) {
      return boxesOverlap(box, { left: item.x - item.r, right: item.x + item.r, top: item.y - item.r, bottom: item.y + item.r });
    });
  }
  function clear(box, markers) { // the same side, moved past those markers
    var shift = box.side ? Math.min.apply(null, markers.map(function (m) { return m.x - m.r - 2 - box.right; }))
                         : Math.max.apply(null, markers.map(function (m) { return m.x + m.r + 2 - box.left; }));
    return { left: box.left + shift, right: box.right + shift, top: box.top, bottom: box.bottom, side: box.side, shift: shift };
  }
  function panels() { // the controls' and the popup's boxes, in layer points
    var box = map.getContainer().getBoundingClientRect(), origin = map.containerPointToLayerPoint([0, 0]);
    return [].map.call(map.getContainer().querySelectorAll(".leaflet-control, .leaflet-popup"), function (node) {
      var r = node.getBoundingClientRect(), dx = origin.x - box.left, dy = origin.y - box.top;
      return { left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy };
    });
  }
  function place() {
    var zoom = map.getZoom(), placed = panels(), near = map.getBounds().pad(0.25);
    shown.clearLayers();
    cities.forEach(function (city, k) {
      if (zoom < city[3] || !near.contains([city[2], city[1]])) return;
      var p = map.latLngToLayerPoint([city[2], city[1]]), w = labels[k].width, best = null;
      function consider(box) {
        if (placed.some(function (other) { return boxesOverlap(box, other); })) return;
        box.covers = under(box).reduce(function (area, m) { // of the markers' squares
          return area + (Math.min(box.right, m.x + m.r) - Math.max(box.left, m.x - m.r)) *
                        (Math.min(box.bottom, m.y + m.r) - Math.max(box.top, m.y - m.r));
        }, 0);
        if (!best || box.covers < best.covers) best = box;
      }
      var top = p.y - 8, bottom = p.y + 8;
      [{ left: p.x - 4, right: p.x + w, top: top, bottom: bottom },
       { left: p.x - w, right: p.x + 4, top: top, bottom: bottom, side: "left" }].forEach(function (box) {
        var markers = under(box);
        consider(box);
        var moved = markers.length && clear(box, markers);
        if (moved && Math.abs(moved.shift) <= LABEL_SHIFT) consider(moved);
      });
      if (!best) return;
      placed.push(best);
      var name = labels[k].name;
      name.className = "gm-city-name" + (best.side ? " gm-city-left" : "") + (best.shift ? " gm-city-off" : "");
      name.style.transform = best.shift ? "translateX(" + Math.round(best.shift) + "px)" : "";
      shown.addLayer(labels[k].marker);
    });
  }
  layer.on("drawn", place);
  map.on("popupopen popupclose", place);
  place();
}
