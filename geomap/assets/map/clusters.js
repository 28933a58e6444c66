/* clusters: what is drawn (facilities, clusters, stacks at one exact point, small piles fanned out
 * around their point); the words for them; revealing one facility. */
var CLUSTER_RADIUS = 40, CLUSTER_MAX_ZOOM = 12; // px; above this zoom every position is drawn on its own
// Fan-out: markers within FAN_PIXELS of each other count as one point; piles of 2..FAN_LIMIT are drawn
// on a circle around it (bigger ones stay one marker that lists them); past FAN_VIEW_LIMIT markers in
// view only exact stacks fan out, each on its own (no proximity search over 100k markers on every draw).
var FAN_PIXELS = 5, FAN_LIMIT = 16, FAN_VIEW_LIMIT = 2000, FAN_GAP = 4, FAN_MIN_RADIUS = 12, ABSORB_LIMIT = 100;

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
// The biggest pile fanned out (bigger ones stay a stack that lists them on a click); a picture
// (snapshot.js) fans out every pile, since no one can click it, but gathers piles as the page does.
View.prototype.fanLimit = FAN_LIMIT;

View.prototype.measure = function () {
  for (var i = 0; i < this.facilities.length; i++) {
    var d = this.facilities.detainees[i];
    this.radius[i] = d === null ? NO_COUNT_RADIUS : this.scale.radius(d);
  }
};

// Group the shown facilities by exact position (counting each position's facilities per status),
// then index the positions for clustering.
View.prototype.rebuild = function () {
  var fac = this.facilities, byKey = new Map(), groups = [], shown = this.shown, statuses = STATUS_ORDER.length, counts = [];
  this.positionOf = new Int32Array(fac.length).fill(-1);
  for (var i = 0; i < fac.length; i++) {
    if (!shown[fac.status[i]]) continue;
    var key = Math.round((fac.lon[i] + 180) * 1e5) * 2e7 + Math.round((fac.lat[i] + 90) * 1e5), p = byKey.get(key);
    if (p === undefined) {
      p = groups.length; byKey.set(key, p); groups.push([i]);
      for (var k = 0; k < statuses; k++) counts.push(0);
    } else groups[p].push(i);
    counts[p * statuses + fac.status[i]]++;
    this.positionOf[i] = p;
  }
  this.groups = groups;
  this.positionMix = Int32Array.from(counts);
  this.index = null;
  if (!this.clustered || groups.length < 2) return;
  this.index = new Supercluster({ radius: CLUSTER_RADIUS, extent: 256, maxZoom: CLUSTER_MAX_ZOOM }).load(groups.map(function (g, p) {
    return { type: "Feature", properties: { p: p }, geometry: { type: "Point", coordinates: [fac.lon[g[0]], fac.lat[g[0]]] } };
  }));
  this.clusterMixes();
};

// Each cluster's facilities per status, summed from the bottom up in one pass over the index's
// own arrays (supercluster 9.1, vendored: per zoom a flat Int32Array of [x, y, zoom, id, parent id,
// point count] entries; a cluster's id encodes the entry and zoom it grew from). Counting them
// with supercluster's map/reduce options instead makes indexing 100k positions ~40% slower.
View.prototype.clusterMixes = function () {
  var index = this.index, statuses = STATUS_ORDER.length, stride = index.stride, mixes = this.mixes = [];
  for (var z = CLUSTER_MAX_ZOOM; z >= 0; z--) {
    var child = index.trees[z + 1];
    if (index.trees[z] === child) continue; // nothing merged at this zoom
    var data = child.data, sums = mixes[z] = new Int32Array(child.numItems * statuses);
    for (var e = 0; e < child.numItems * stride; e += stride) {
      var parent = data[e + 4];
      if (parent === -1) continue;
      var into = ((parent - index.numPoints) >> 5) * statuses, id = data[e + 3], from = this.mixArray(id), at = this.mixAt(id);
      for (var k = 0; k < statuses; k++) sums[into + k] += from[at + k];
    }
  }
};

// Where the status counts of an index entry (a position or a cluster) are: mixArray(id) from mixAt(id).
View.prototype.mixArray = function (id) {
  var n = this.index ? this.index.numPoints : Infinity;
  return id < n ? this.positionMix : this.mixes[((id - n) & 31) - 1];
};
View.prototype.mixAt = function (id) {
  var n = this.index ? this.index.numPoints : Infinity;
  return (id < n ? id : (id - n) >> 5) * STATUS_ORDER.length;
};

// The status counts of a position or cluster, as a plain list.
View.prototype.mix = function (id) {
  var at = this.mixAt(id);
  return Array.prototype.slice.call(this.mixArray(id), at, at + STATUS_ORDER.length);
};

View.prototype.groupRadius = function (n) { return n < 10 ? 15 : n < 100 ? 18 : n < 1000 ? 22 : 26; };

View.prototype.positionItem = function (p, x, y) {
  var g = this.groups[p];
  if (g.length === 1) return { kind: "facility", i: g[0], x: x, y: y, r: this.radius[g[0]], lat: this.facilities.lat[g[0]], lon: this.facilities.lon[g[0]] };
  return { kind: "stack", members: g, count: g.length, mix: this.mix(p), x: x, y: y, r: this.groupRadius(g.length),
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
      var mix = self.mix(props.cluster_id), n = mix.reduce(function (sum, c) { return sum + c; }, 0); // facilities, not positions
      items.push({ kind: "cluster", cluster: props.cluster_id, count: n, x: x, y: y, r: self.groupRadius(n), lat: lat, lon: lon, mix: mix });
    });
  } else {
    for (var p = 0; p < this.groups.length; p++) {
      var i = this.groups[p][0], x = fac.x[i] * size - origin.x, y = fac.y[i] * size - origin.y;
      if (x >= minX && x <= maxX && y >= minY && y <= maxY) items.push(this.positionItem(p, x, y));
    }
  }
  items = this.fan(items, map);
  return items.sort(function (a, b) { return (a.kind === "facility") - (b.kind === "facility") || b.r - a.r; });
};

// ``items`` with each small pile at one point (an exact stack, or markers within FAN_PIXELS)
// replaced by its facilities on a circle around the point, each with ``from``: where its leader
// line starts (where it is placed), and ``fan``: how many share the circle. A circle takes in the
// markers it would cover (and other circles it would overlap) up to FAN_LIMIT facilities; a pile
// of over fanLimit stays as it is.
View.prototype.fan = function (items, map) {
  var limit = this.fanLimit, near = items.length <= FAN_VIEW_LIMIT, candidates = items.filter(function (item) {
    return item.kind === "stack" || (near && item.kind === "facility");
  });
  var piles = near ? nearPiles(candidates) : candidates.map(function (item) { return [item]; }), self = this;
  piles = piles.map(function (pile) { return self.pile(pile); });
  if (near) absorb(piles);
  var fanned = new Set(), out = [];
  piles.forEach(function (pile) {
    if (pile.members.length < 2 || pile.members.length > limit) return;
    pile.items.forEach(function (item) { fanned.add(item); });
    self.circle(pile, map, out);
  });
  if (!fanned.size) return items;
  return items.filter(function (item) { return !fanned.has(item); }).concat(out);
};

// Markers within FAN_PIXELS of a first one, each list a pile (a grid of FAN_PIXELS cells finds them).
function nearPiles(items) {
  var piles = [], cells = new Map();
  items.forEach(function (item) {
    var cx = Math.floor(item.x / FAN_PIXELS), cy = Math.floor(item.y / FAN_PIXELS), found = null;
    for (var dx = -1; dx <= 1 && !found; dx++) for (var dy = -1; dy <= 1 && !found; dy++) {
      found = (cells.get((cx + dx) + ":" + (cy + dy)) || []).filter(function (pile) {
        return (pile[0].x - item.x) * (pile[0].x - item.x) + (pile[0].y - item.y) * (pile[0].y - item.y) <= FAN_PIXELS * FAN_PIXELS;
      })[0];
    }
    if (found) return found.push(item);
    var pile = [item], key = cx + ":" + cy;
    piles.push(pile);
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(pile);
  });
  return piles;
}

// A pile's facilities (each with the item it was drawn as), centre and the radius of its circle.
View.prototype.pile = function (items) {
  var members = [], radius = this.radius;
  items.forEach(function (item) {
    (item.kind === "stack" ? item.members : [item.i]).forEach(function (i) { members.push({ i: i, r: radius[i], from: item }); });
  });
  var pile = { items: items, members: members };
  measurePile(pile);
  return pile;
};

function measurePile(pile) {
  var widest = 0, total = 0, x = 0, y = 0, members = pile.members;
  members.forEach(function (m) { total += 2 * m.r + FAN_GAP; widest = Math.max(widest, m.r); x += m.from.x; y += m.from.y; });
  pile.x = x / members.length; pile.y = y / members.length; pile.total = total;
  pile.ring = members.length < 2 ? 0 : Math.max(FAN_MIN_RADIUS, widest + 6, 1.1 * total / (2 * Math.PI));
  pile.reach = members.length < 2 ? members[0].r : pile.ring + widest; // how far from its centre it draws
}

// Let each circle take in the piles it would overlap while the sum stays within FAN_LIMIT (one pass:
// a circle that grows looks again at every pile). Skipped for a view of over ABSORB_LIMIT circles.
function absorb(piles) {
  if (piles.filter(function (pile) { return pile.members.length > 1; }).length > ABSORB_LIMIT) return;
  for (var a = 0; a < piles.length; a++) {
    var p = piles[a];
    if (p.members.length < 2) continue;
    for (var b = 0; b < piles.length; b++) {
      var q = piles[b];
      if (b === a || p.members.length + q.members.length > FAN_LIMIT) continue;
      var dx = p.x - q.x, dy = p.y - q.y, reach = p.reach + q.reach;
      if (dx * dx + dy * dy >= reach * reach) continue;
      p.items = p.items.concat(q.items); p.members = p.members.concat(q.members);
      measurePile(p);
      piles.splice(b, 1);
      if (b < a) a--;
      b = -1;
    }
  }
}

// Lay a pile's members out on a circle around its centre, each taking an arc in proportion to its
// size, in the order of the directions they are placed in (so leader lines seldom cross; members
// at the centre itself from the top); append their items to ``out``.
View.prototype.circle = function (pile, map, out) {
  var members = pile.members.map(function (m) {
    var dx = m.from.x - pile.x, dy = m.from.y - pile.y;
    return { m: m, a: dx * dx + dy * dy < 1 ? -Math.PI / 2 : Math.atan2(dy, dx) };
  }).sort(function (p, q) { return p.a - q.a; }).map(function (e) { return e.m; });
  var first = Math.atan2(members[0].from.y - pile.y, members[0].from.x - pile.x);
  if (Math.abs(members[0].from.x - pile.x) + Math.abs(members[0].from.y - pile.y) < 1) first = -Math.PI / 2;
  var angle = first - Math.PI * (2 * members[0].r + FAN_GAP) / pile.total;
  members.forEach(function (m) {
    var share = 2 * Math.PI * (2 * m.r + FAN_GAP) / pile.total, mid = angle + share / 2;
    angle += share;
    var x = pile.x + pile.ring * Math.cos(mid), y = pile.y + pile.ring * Math.sin(mid), at = map.layerPointToLatLng([x, y]);
    out.push({ kind: "facility", i: m.i, x: x, y: y, r: m.r, lat: at.lat, lon: at.lng, from: { x: m.from.x, y: m.from.y }, fan: members.length });
  });
};

// "3 open, 1 closed": a ring's status counts in words.
function mixText(mix, t) {
  return STATUS_ORDER.map(function (s, k) { return mix[k] ? t.status_mix[s].replace("{n}", mix[k].toLocaleString(t.locale)) : null; })
    .filter(Boolean).join(", ");
}

// What a fanned-out marker adds to its facility's name: how many share its point, and what that point is.
function fannedText(f, item, t) {
  return fill(t.fanned, item.fan, t).replace("{placed}", t.placed[f.precision] || f.precision);
}

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
