/* main: geomap.render(map, ids, tiles), called once folium has made the Leaflet map: reads the payload
 * and adds each part; the parts share one object, gm (map, data, labels t, facilities, view, layer...).
 * ``tiles``: the base map's tile layer (folium's, not yet on the map), if the page has tiles.
 * In steps (schedule.js), so no task holds a phone's page long: before the first paint the data, the
 * layer, the headline, the other controls, their layout, the view, then the markers; after it the
 * basemap, the tiles, the details, the keyboard's marker list and the table. */
function render(map, ids, tiles) {
  performance.mark("geomap:start");
  var gm = { map: map, ids: ids, tiles: tiles || null, returnFocus: null, table: null };
  steps([function () { indexData(gm); }, function () { setUpParts(gm); },
         function () { if (!gm.data.options.static) compactFirst(map); headlineControl(gm); },
         function () { controls(gm, gm.statusCounts, gm.scale); if (gm.data.options.static) picture(gm); },
         function () { if (!gm.data.options.static) arrange(gm); }, // a picture is not arranged: nothing in it opens, so it shows its panels whole
         function () { frameData(gm); }, function () { drawMarkers(gm); }], function () {
    // Everything that reads the details waits for them: the rows follow this script in the page.
    whenParsed(function () { afterPaint(function () { steps(afterFirstPaint(gm)); }); });
  }, true);
}

// The payload's columns, indexed for drawing (gm.data, t, facilities, view and what the controls show).
function indexData(gm) {
  var data = JSON.parse(document.getElementById(gm.ids.data).textContent), t = data.labels;
  SHAPES = data.style.shapes; COLOURS = data.style.colours; GROUP_COLOURS = data.style.groups; STATUS_ORDER = data.statuses;
  t.lang = data.lang; t.locale = data.lang === "es" ? "es-VE" : "en-US";
  document.title = data.title;
  if (data.options.embed) document.body.classList.add("gm-embed");
  if (data.options.static) { document.body.classList.add("gm-static"); L.extend(t, t.picture); }

  var facilities = new Facilities(data, gm.ids), n = facilities.length;
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
  var scale = sizeScale(max);
  L.extend(gm, { data: data, t: t, facilities: facilities, statusCounts: statusCounts, scale: scale,
                 bounds: n ? L.latLngBounds([south, west], [north, east]).pad(0.05) : null, // the data's view
                 view: new View(facilities, data.options.cluster, scale, t.locale) });
  performance.mark("geomap:indexed");
}

// The layer, its popups and panes (not yet drawn: the view is framed once the controls have their sizes).
function setUpParts(gm) {
  if (gm.tiles) creditTiles(gm.map, gm.tiles); // their credit from the first paint on, the tiles after it
  gm.based = basemapPanes(gm.map, gm.ids, gm.t);
  gm.layer = gm.data.options.static ? fannedLayer(gm.view) : new FacilityLayer(gm.view);
  gm.reveal = function (i, keepClosed, returnTo) { reveal(gm, i, keepClosed, returnTo); };
  popups(gm);
  if (!gm.data.options.static) markerList(gm); // no one can reach a picture's markers
}

// The data's view, clear of the controls, without animation: the markers are then drawn once, for it.
function frameData(gm) {
  if (gm.bounds) gm.map.fitBounds(gm.bounds, L.extend(fitPadding(gm.map), { animate: false }));
  else gm.map.setView([0, 0], 2, { animate: false });
}

// The markers, drawn once, for the data's view; window.geomapMap for tests and benchmarks.
function drawMarkers(gm) {
  var map = gm.map, layer = gm.layer, facilities = gm.facilities;
  layer.addTo(map);
  performance.mark("geomap:drawn");
  window.geomapMap = {
    map: map, layer: layer, view: gm.view, facilities: facilities, reveal: gm.reveal, focusMarker: gm.focusMarker, statuses: STATUS_ORDER,
    items: function () { return drawnItems(map, layer, facilities); }
  };
  document.documentElement.setAttribute("data-geomap-drawn", "true");
}

// What ``layer`` has drawn on ``map``, in page pixels (tests and benchmarks read it; ids once the page is parsed).
function drawnItems(map, layer, facilities) {
  var origin = map.getContainer().getBoundingClientRect();
  function page(x, y) { var c = map.layerPointToContainerPoint([x, y]); return { x: origin.left + c.x, y: origin.top + c.y }; }
  return layer.drawn.map(function (item) {
    var c = page(item.x, item.y), f = item.kind === "facility" ? facilities.get(item.i) : null;
    return { kind: item.kind, id: f && f.id, count: item.kind === "facility" ? 1 : item.count, r: item.r,
             x: c.x, y: c.y, status: f && f.status, from: item.from ? page(item.from.x, item.from.y) : null, fan: item.fan || null,
             hollow: !!f && facilities.detainees[item.i] === null, dashed: !!f && facilities.approximate[item.i] === 1 };
  });
}

// After the first paint, each in its own task: the basemap (a background), a picture's inset, the
// tiles once those have painted (their requests never hold up what the reader sees first), the
// details unpacked, the keyboard's marker list, the table (in slices of its own), then the page is
// ready. A picture has no marker list nor table (no one can reach them); its tiles come once the
// inset has framed it for good.
function afterFirstPaint(gm) {
  var map = gm.map, layer = gm.layer, still = gm.data.options.static;
  var parts = [function (next) { if (gm.based) drawBasemap(map, gm.ids, layer, next); else next(); }];
  if (still) parts.push(function (next) {
    if (!gm.bounds) return next();
    inset(gm, gm.bounds, gm.based, function (shown) {
      window.geomapMap.inset = shown && { items: function () { return drawnItems(shown.map, shown.layer, gm.facilities); } };
      next();
    });
  });
  if (gm.tiles) parts.push(function (next) { addTiles(map, gm.tiles, next); });
  if (!still) parts.push(
    function () { gm.facilities.read(); }, // the details the marker list's names and the table need
    function () { gm.listMarkers(); layer.on("drawn", gm.listMarkers); },
    function () {
      gm.table = screenReaderTable(gm.facilities, gm.t, gm.reveal);
      document.querySelector("main").appendChild(gm.table); // in the landmark, with the map it speaks for
    });
  return parts.concat([function () {
    performance.mark("geomap:ready");
    document.documentElement.setAttribute("data-geomap-ready", "true");
  }]);
}

window.geomap = { render: render };
