/* keyboard: a button over each marker in view (up to HOTSPOT_LIMIT; search and table reach all). */
var HOTSPOT_LIMIT = 300; // markers in view up to which each gets a keyboard-reachable button

// Their pane (gm.hotspots); gm.placeHotspots() lays them out again after each draw.
function hotspots(gm) {
  var map = gm.map, facilities = gm.facilities, layer = gm.layer;
  var hotspots = map.createPane("gm-hotspots");
  hotspots.style.zIndex = 450;
  gm.hotspots = hotspots;
  function itemKey(item) { return item.kind === "cluster" ? "c" + item.cluster : item.kind === "stack" ? "s" + item.members[0] : "f" + item.i; }
  // The focused hotspot's item, kept while a zoom hides the hotspots (hiding drops the focus).
  function focusedItem() {
    var key = hotspots.contains(document.activeElement) && document.activeElement.getAttribute("data-key");
    return key ? layer.drawn.filter(function (item) { return itemKey(item) === key; })[0] : null;
  }
  var refocus = null;
  function placeHotspots() {
    var focused = focusedItem() || refocus;
    refocus = null;
    hotspots.textContent = "";
    hotspots.style.display = "";
    // Only markers on screen: the canvas also draws a margin around the view, out of sight.
    var size = map.getSize(), min = map.containerPointToLayerPoint([0, 0]);
    var shown = layer.drawn.filter(function (item) {
      return item.x >= min.x && item.x <= min.x + size.x && item.y >= min.y && item.y <= min.y + size.y;
    });
    if (shown.length > HOTSPOT_LIMIT) return;
    // The focus stays on its marker or, once a cluster has split, goes to the marker nearest to it.
    var frag = document.createDocumentFragment(), nearest = null, best = Infinity;
    var target = focused && map.latLngToLayerPoint([focused.lat, focused.lon]);
    shown.forEach(function (item) {
      var b = el("button", { type: "button", "class": "gm-hotspot gm-hotspot-" + item.kind, "aria-label": gm.describe(item), "data-key": itemKey(item),
                             "data-id": item.kind === "facility" ? facilities.get(item.i).id : null });
      L.DomUtil.setPosition(b, L.point(item.x - item.r, item.y - item.r));
      b.style.width = b.style.height = 2 * item.r + "px";
      b.addEventListener("click", function (e) {
        e.stopPropagation(); // the map would take it for a click on empty ground and close the popup
        gm.returnFocus = e.detail === 0 && item.kind !== "cluster" ? itemKey(item) : null; // a cluster opens no popup
        gm.activate(item);
      });
      b.addEventListener("focus", function () { gm.showTooltip(item); });
      b.addEventListener("blur", function () { map.closeTooltip(gm.tooltip); });
      frag.appendChild(b);
      var d = !target ? Infinity : itemKey(item) === itemKey(focused) ? -1 : target.distanceTo([item.x, item.y]);
      if (d < best) { best = d; nearest = b; }
    });
    hotspots.appendChild(frag);
    if (nearest) nearest.focus({ preventScroll: true });
  }
  map.on("zoomstart", function () { refocus = focusedItem(); hotspots.style.display = "none"; });
  gm.placeHotspots = placeHotspots;
}
