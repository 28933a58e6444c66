/* main: geomap.render(map, ids), called once folium has made the Leaflet map: reads the payload
 * and adds each part; the parts share one object, gm (map, data, labels t, facilities, view, layer...). */
function render(map, ids) {
  performance.mark("geomap:start");
  var data = JSON.parse(document.getElementById(ids.data).textContent), t = data.labels;
  SHAPES = data.style.shapes; COLOURS = data.style.colours; STATUS_ORDER = data.statuses;
  t.lang = data.lang; t.locale = data.lang === "es" ? "es-VE" : "en-US";
  document.title = data.title;
  if (data.options.embed) document.body.classList.add("gm-embed");
  if (data.options.static) document.body.classList.add("gm-static");
  var based = basemapPanes(map, ids, t);

  var facilities = new Facilities(data, ids), n = facilities.length;
  var max = 0, statusCounts = countByStatus(facilities), south = 90, north = -90, west = 180, east = -180;
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
  var scale = sizeScale(max), view = new View(facilities, data.options.cluster, scale, t.locale);
  performance.mark("geomap:indexed");
  var layer = new FacilityLayer(view);
  var gm = { map: map, ids: ids, data: data, t: t, facilities: facilities, view: view, layer: layer,
            returnFocus: null, table: null };
  gm.reveal = function (i, keepClosed, returnTo) { reveal(gm, i, keepClosed, returnTo); };
  popups(gm);
  hotspots(gm);
  controls(gm, statusCounts, scale);

  // Frame the data first, without animation, so the markers are drawn once, for the final view.
  if (n) map.fitBounds(L.latLngBounds([south, west], [north, east]).pad(0.05), L.extend(fitPadding(map), { animate: false }));
  else map.setView([0, 0], 2, { animate: false });
  layer.addTo(map);
  performance.mark("geomap:drawn");
  window.geomapMap = {
    map: map, layer: layer, view: view, facilities: facilities, reveal: gm.reveal,
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
  // After the first paint, in tasks of their own: the basemap (a background), then the
  // keyboard's buttons and the table, so no task holds a phone's page long.
  function ready() {
    gm.placeHotspots();
    layer.on("drawn", gm.placeHotspots);
    gm.table = screenReaderTable(facilities, t, gm.reveal);
    document.querySelector("main").appendChild(gm.table); // in the landmark, with the map it speaks for
    performance.mark("geomap:ready");
    document.documentElement.setAttribute("data-geomap-ready", "true");
  }
  whenParsed(function () { afterPaint(function () { if (based) drawBasemap(map, ids, layer, ready); else ready(); }); });
}

window.geomap = { render: render };
