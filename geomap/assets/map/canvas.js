/* canvas: one canvas stamps every marker in view from pre-drawn sprites; marker shapes and sizes. */
var MAX_RADIUS = 26, MIN_RADIUS = 5, NO_COUNT_RADIUS = 6;
var HIT_SLOP = 2, HOLLOW_BAND = 3;

// Marker shapes: equal area for equal counts, whatever the shape.
function shapePoints(shape, p, r) {
  var a, h;
  if (shape === "square") { a = r * Math.sqrt(Math.PI) / 2; return [[p.x - a, p.y - a], [p.x + a, p.y - a], [p.x + a, p.y + a], [p.x - a, p.y + a]]; }
  if (shape === "diamond") { a = r * Math.sqrt(Math.PI / 2); return [[p.x, p.y - a], [p.x + a, p.y], [p.x, p.y + a], [p.x - a, p.y]]; }
  // equilateral triangle of area pi r^2, centred on its centroid
  var side = r * Math.sqrt(4 * Math.PI / Math.sqrt(3)); h = side * Math.sqrt(3) / 2;
  return [[p.x, p.y - 2 * h / 3], [p.x + side / 2, p.y + h / 3], [p.x - side / 2, p.y + h / 3]];
}

function rgba(hex, alpha) {
  var n = parseInt(hex.slice(1), 16);
  return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
}

// A cluster or stack: its count on a white disc inside a ring of its status colours, each status
// present given at least MIN_SHARE of the ring, so even one facility of a status shows.
var MIN_SHARE = 0.35; // radians, ~20 degrees
var GROUP_COLOURS; // from the payload (geomap/style.py)

function ringShares(mix, total) {
  var full = 2 * Math.PI, small = mix.filter(function (n) { return n > 0 && full * n / total < MIN_SHARE; }).length;
  var rest = total - mix.reduce(function (sum, n) { return full * n / total < MIN_SHARE ? sum + n : sum; }, 0);
  return mix.map(function (n) {
    if (!n) return 0;
    return full * n / total < MIN_SHARE ? MIN_SHARE : (full - small * MIN_SHARE) * n / rest;
  });
}

View.prototype.drawGroup = function (ctx, item) {
  var x = item.x, y = item.y, r = item.r, inner = r - (r >= 22 ? 7 : 5), angle = -Math.PI / 2;
  ctx.beginPath(); ctx.arc(x, y, r + 1.5, 0, 2 * Math.PI);
  ctx.fillStyle = GROUP_COLOURS.edge; ctx.fill();
  var shares = ringShares(item.mix, item.count), edges = [];
  shares.forEach(function (share, k) {
    if (!share) return;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y, r, angle, angle + share); ctx.closePath();
    ctx.fillStyle = COLOURS[STATUS_ORDER[k]]; ctx.fill();
    angle += share; edges.push(angle);
  });
  if (edges.length > 1) { // a white hairline between neighbouring colours (two oranges stay apart)
    ctx.beginPath();
    edges.forEach(function (a) { ctx.moveTo(x + inner * Math.cos(a), y + inner * Math.sin(a)); ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a)); });
    ctx.lineWidth = 1; ctx.strokeStyle = GROUP_COLOURS.disc; ctx.stroke();
  }
  ctx.beginPath(); ctx.arc(x, y, inner, 0, 2 * Math.PI);
  ctx.fillStyle = GROUP_COLOURS.disc; ctx.fill();
  ctx.lineWidth = 1; ctx.strokeStyle = GROUP_COLOURS.edge; ctx.stroke();
  ctx.fillStyle = GROUP_COLOURS.text;
  ctx.fillText(item.count < 10000 ? groupDigits(item.count, this.locale) : Math.round(item.count / 1000) + "k", x, y + 0.5);
};

// Leader lines from where fanned-out facilities are placed to where they are drawn, and a dot at each such point.
View.prototype.drawLeaders = function (ctx, items) {
  var fanned = items.filter(function (item) { return item.from; });
  if (!fanned.length) return;
  ctx.beginPath();
  fanned.forEach(function (item) { ctx.moveTo(item.from.x, item.from.y); ctx.lineTo(item.x, item.y); });
  ctx.lineWidth = 1.25; ctx.strokeStyle = GROUP_COLOURS.leader; ctx.setLineDash([]); ctx.stroke();
  ctx.beginPath();
  fanned.forEach(function (item) { ctx.moveTo(item.from.x + 2, item.from.y); ctx.arc(item.from.x, item.from.y, 2, 0, 2 * Math.PI); });
  ctx.fillStyle = GROUP_COLOURS.leader; ctx.fill();
};

// Trace one facility's shape as the current path.
View.prototype.trace = function (ctx, item) {
  var shape = SHAPES[STATUS_ORDER[this.facilities.status[item.i]]];
  if (shape === "circle") return ctx.arc(item.x, item.y, item.r, 0, 2 * Math.PI);
  var pts = shapePoints(shape, item, item.r);
  ctx.moveTo(pts[0][0], pts[0][1]);
  for (var k = 1; k < pts.length; k++) ctx.lineTo(pts[k][0], pts[k][1]);
  ctx.closePath();
};

// Fill and outline the current path in the style of facility ``i``: status colour, hollow
// without a count, dashed outline for an approximate location.
View.prototype.paint = function (ctx, i) {
  var fac = this.facilities, approximate = fac.approximate[i] === 1;
  ctx.fillStyle = this.fills[STATUS_ORDER[fac.status[i]]][fac.detainees[i] === null ? 1 : 0];
  ctx.fill();
  ctx.lineWidth = approximate ? 2 : 1;
  ctx.setLineDash(approximate ? [4, 3] : []);
  ctx.stroke();
};

// A hollow marker's status: a solid band of its colour just inside its outline (a faint fill
// alone leaves its status unreadable at a glance).
View.prototype.band = function (ctx, item) {
  ctx.beginPath();
  this.trace(ctx, { i: item.i, x: item.x, y: item.y, r: item.r - HOLLOW_BAND / 2 - 0.5 });
  ctx.lineWidth = HOLLOW_BAND; ctx.setLineDash([]);
  ctx.strokeStyle = COLOURS[STATUS_ORDER[this.facilities.status[item.i]]]; ctx.stroke();
  ctx.strokeStyle = "#222";
};

// Each facility is stamped from a small pre-drawn image of its style and size: 100k shapes
// filled and stroked one by one take seconds on a software canvas, stamps a fraction of that.
View.prototype.sprite = function (i, r) {
  var fac = this.facilities, key = fac.status[i] * 4 + (fac.detainees[i] === null ? 2 : 0) + fac.approximate[i] + ":" + Math.round(r * 4);
  var sprite = this.sprites[key];
  if (sprite) return sprite;
  var scale = L.Browser.retina ? 2 : 1, half = Math.ceil(r * 1.6) + 3, canvas = document.createElement("canvas");
  canvas.width = canvas.height = 2 * half * scale;
  var ctx = canvas.getContext("2d");
  ctx.scale(scale, scale);
  ctx.strokeStyle = "#222";
  ctx.beginPath();
  this.trace(ctx, { i: i, x: half, y: half, r: r });
  this.paint(ctx, i);
  if (fac.detainees[i] === null) this.band(ctx, { i: i, x: half, y: half, r: r });
  return (this.sprites[key] = { canvas: canvas, half: half });
};

View.prototype.draw = function (ctx, items) {
  for (var k = 0; k < items.length; k++) {
    var item = items[k];
    if (item.kind !== "facility") { this.drawGroup(ctx, item); continue; }
    if (k === 0 || items[k - 1].kind !== "facility") this.drawLeaders(ctx, items); // over the groups, under the markers
    var sprite = this.sprite(item.i, item.r);
    ctx.drawImage(sprite.canvas, Math.round(item.x - sprite.half), Math.round(item.y - sprite.half), 2 * sprite.half, 2 * sprite.half);
  }
};

// One canvas for every marker: Leaflet's canvas renderer (sizing, panning, zoom animation,
// retina) drawing the view's items instead of one Leaflet layer per facility.
var FacilityLayer = L.Canvas.extend({
  initialize: function (view, options) {
    L.Canvas.prototype.initialize.call(this, options);
    this.view = view; this.drawn = [];
  },
  onAdd: function (map) {
    L.Canvas.prototype.onAdd.call(this, map);
    this._container.setAttribute("aria-hidden", "true"); // the marker list and the table speak for it
    this._updatePaths();
  },
  _updatePaths: function () {
    if (this._postponeUpdatePaths || !this._map) return;
    this.drawn = this.view.items(this._map, this._bounds);
    this._redraw();
    this.fire("drawn");
  },
  _draw: function () {
    var ctx = this._ctx;
    ctx.save();
    ctx.strokeStyle = "#222";
    ctx.font = "bold 12px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    this.view.draw(ctx, this.drawn);
    ctx.restore();
  },
  // The topmost item under a layer point, or null.
  hit: function (point) {
    for (var k = this.drawn.length - 1; k >= 0; k--) {
      var item = this.drawn[k], dx = item.x - point.x, dy = item.y - point.y, r = item.r + HIT_SLOP;
      if (dx * dx + dy * dy <= r * r) return item;
    }
    return null;
  }
});

// Marker sizes: area in proportion to the count, up to ``max``.
function sizeScale(max) {
  return {
    max: max,
    radius: function (v) { return max > 0 ? Math.max(MIN_RADIUS, MAX_RADIUS * Math.sqrt(v / max)) : NO_COUNT_RADIUS; },
    ticks: niceTicks(max)
  };
}

function niceTicks(max) {
  if (max <= 0) return [];
  var mag = Math.pow(10, Math.floor(Math.log10(max)));
  var top = Math.floor(max / mag) * mag;
  var ticks = [top, top / 4, top / 16].map(function (v) { return Math.max(1, Math.round(v)); });
  return ticks.filter(function (v, i) { return ticks.indexOf(v) === i; });
}
