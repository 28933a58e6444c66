/* snapshot: the page as a picture (`geomap snapshot`, options.static): a caption with the data's date
 * and who counted, and an inset magnifying the most crowded spot, facilities at one point fanned out. */
var INSET_GAIN = 64; // the inset shows a spot this many times larger than the main map, or less
var INSET_MAX_POSITIONS = 3000; // past this many positions no inset: finding the crowded spot compares every pair
var INSET_MAX = [420, 320], INSET_MIN = [160, 120], INSET_PAD = MAX_RADIUS + 8; // px: room for markers at the edge

// Before the map is framed: the caption under it (the map is then that much shorter), and zoom
// levels between the whole ones, so the data fills the picture's frame whatever its shape.
function picture(gm) {
  document.querySelector("main").appendChild(caption(gm.data, gm.t));
  gm.map.options.zoomSnap = 0.25;
  gm.map.invalidateSize({ pan: false });
}

// The caption under the map: the date the data stands at, then every organisation whose figures it shows.
function caption(data, t) {
  var box = el("p", { "class": "gm-caption" }), organisations = data.caption.counted_by;
  if (data.as_of) box.appendChild(el("span", null, t.data_as_of + " " + data.as_of + ". "));
  if (organisations.length) box.appendChild(document.createTextNode(t.caption_counted_by + " "));
  organisations.forEach(function (slug, k) {
    box.appendChild(orgNodes("span", null, slug, k < organisations.length - 1 ? "; " : ".", t));
  });
  return box;
}

// The facilities of the most crowded spot on the main map: those within a footprint of ``size`` /
// INSET_GAIN pixels either side of the position that has the most; [] when no two crowd there.
function crowded(map, view, size) {
  var groups = view.groups, fac = view.facilities, best = [];
  if (groups.length > INSET_MAX_POSITIONS) return best;
  var scale = 256 * Math.pow(2, map.getZoom()), w = size.x / INSET_GAIN / scale, h = size.y / INSET_GAIN / scale;
  groups.forEach(function (seed) {
    var x = fac.x[seed[0]], y = fac.y[seed[0]], members = [];
    groups.forEach(function (g) {
      if (Math.abs(fac.x[g[0]] - x) <= w && Math.abs(fac.y[g[0]] - y) <= h) members.push.apply(members, g);
    });
    if (members.length > best.length) best = members;
  });
  return best.length > 1 ? best : [];
}

// The spot's name: the town most of its facilities are in (a place's text before any comma or bracket).
function placeName(members, facilities) {
  var tally = {}, best = "", most = 0;
  members.forEach(function (i) {
    var town = (facilities.get(i).place || "").split(/\s*[(,]/)[0].trim();
    if (town && (tally[town] = (tally[town] || 0) + 1) > most) { most = tally[town]; best = town; }
  });
  return best;
}

// Frame ``bounds`` clear of the inset too: left of it or above it, whichever shows the data larger.
function fitBeside(map, bounds, box) {
  var padding = fitPadding(map), corner = box.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
  var best = null;
  [[frame.right - corner.left, 0], [0, frame.bottom - corner.top]].forEach(function (room) {
    var options = L.extend({}, padding, { paddingBottomRight: [padding.paddingBottomRight[0] + room[0], padding.paddingBottomRight[1] + room[1]] });
    var zoom = map.getBoundsZoom(bounds, false, L.point(options.paddingTopLeft).add(options.paddingBottomRight));
    if (!best || zoom > best.zoom) best = { zoom: zoom, options: options };
  });
  map.fitBounds(bounds, L.extend(best.options, { animate: false }));
}

// A layer for ``view`` that fans out every pile (a picture cannot list one on a click).
function fannedLayer(view) {
  view.fanLimit = Infinity;
  return new FacilityLayer(view);
}

// The inset's frame size and zoom for the spot ``members`` hold, within the inset's limits.
function insetFrame(map, members, facilities) {
  var size = map.getSize(), most = [Math.min(INSET_MAX[0], size.x * 0.36), Math.min(INSET_MAX[1], size.y * 0.4)];
  var xs = members.map(function (i) { return facilities.x[i]; }), ys = members.map(function (i) { return facilities.y[i]; });
  var extent = [Math.max.apply(null, xs) - Math.min.apply(null, xs), Math.max.apply(null, ys) - Math.min.apply(null, ys)];
  var zoom = 16;
  [0, 1].forEach(function (k) { if (extent[k] > 0) zoom = Math.min(zoom, Math.log2((most[k] - 2 * INSET_PAD) / (256 * extent[k]))); });
  zoom = Math.floor(zoom * 4) / 4;
  var side = [0, 1].map(function (k) { return Math.round(Math.min(most[k], Math.max(INSET_MIN[k], 256 * Math.pow(2, zoom) * extent[k] + 2 * INSET_PAD))); });
  return { size: L.point(side[0], side[1]), zoom: zoom };
}

// Once the details are read: when a spot crowds, a second map in the bottom right corner that
// magnifies it with the same markers and sizes (the main map framed clear of it), titled with the
// spot's town and drawn over the basemap; then ``done(inset or null)``.
function inset(gm, bounds, based, done) {
  var map = gm.map, size = map.getSize(), fac = gm.facilities;
  var members = crowded(map, gm.view, L.point(Math.min(INSET_MAX[0], size.x * 0.36), Math.min(INSET_MAX[1], size.y * 0.4)));
  if (!members.length) return done(null);
  var shape = insetFrame(map, members, fac);
  var box = el("figure", { "class": "gm-inset leaflet-control" }), name = placeName(members, fac);
  if (name) box.appendChild(el("figcaption", { dir: "auto" }, name));
  var frame = box.appendChild(el("div", { "class": "gm-inset-map" }));
  frame.style.width = shape.size.x + "px"; frame.style.height = shape.size.y + "px";
  control("bottomright", function () { return box; }).addTo(map);
  fitBeside(map, bounds, box);
  var small = L.map(frame, { zoomControl: false, attributionControl: false, keyboard: false, dragging: false, touchZoom: false,
                             scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, zoomSnap: 0.25,
                             fadeAnimation: false, zoomAnimation: false });
  var spot = L.latLngBounds(members.map(function (i) { return [fac.lat[i], fac.lon[i]]; }));
  small.setView(spot.getCenter(), shape.zoom, { animate: false });
  var view = new View(fac, false, gm.view.scale, gm.t.locale);
  var layer = fannedLayer(view).addTo(small), result = { map: small, layer: layer, view: view };
  if (!based) return done(result);
  makeBasemapPanes(small);
  drawBasemap(small, gm.ids, layer, function () { done(result); });
}
