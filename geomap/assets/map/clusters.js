/* clusters: what is drawn (facilities, clusters, stacks at one exact point); revealing one facility. */
var CLUSTER_RADIUS = 40, CLUSTER_MAX_ZOOM = 12; // px; above this zoom every position is drawn on its own

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

// Bring one facility on screen, out of any cluster, then open its popup (which takes the focus,
// and gives it back to ``returnTo`` when closed, if given).
function reveal(gm, i, keepClosed, returnTo) {
  var map = gm.map, facilities = gm.facilities, view = gm.view;
  var s = STATUS_ORDER[facilities.status[i]];
  if (!view.shown[facilities.status[i]]) {
    var box = document.querySelector('.gm-legend-row[data-status="' + s + '"] input');
    if (box) box.checked = true;
    toggle(gm, s, true);
  }
  var zoom = Math.max(map.getZoom(), view.index ? 0 : 10);
  if (view.index) {
    var p = view.positionOf[i], lon = facilities.lon[i], lat = facilities.lat[i], e = 1e-4; // supercluster keeps float32 positions
    while (zoom <= CLUSTER_MAX_ZOOM && !view.index.getClusters([lon - e, lat - e, lon + e, lat + e], zoom).some(function (f) {
      return !f.properties.cluster && f.properties.p === p;
    })) zoom++;
  }
  map.setView([facilities.lat[i], facilities.lon[i]], Math.min(zoom, map.getMaxZoom()), { animate: false });
  if (keepClosed) return;
  gm.returnFocus = returnTo || null;
  gm.openFacility(i);
}
