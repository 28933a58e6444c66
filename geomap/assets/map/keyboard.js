/* keyboard: the markers in view as one list over the map, one tab stop (up to MARKER_LIST_LIMIT;
 * search and table reach all): arrow keys move between markers, Enter or Space opens one. */
var MARKER_LIST_LIMIT = 300; // markers in view up to which the list holds them
var ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function itemKey(item) { return item.kind === "cluster" ? "c" + item.cluster : item.kind === "stack" ? "s" + item.members[0] : "f" + item.i; }

// The item of ``items`` nearest to ``point`` (layer pixels) whose offset from it lies in the direction
// ``[dx, dy]``, its distance across that direction counted twice; any direction without one.
function nearestItem(items, point, direction) {
  var best = null, bestScore = Infinity;
  items.forEach(function (item) {
    var x = item.x - point.x, y = item.y - point.y, score = Math.sqrt(x * x + y * y);
    if (direction) {
      var along = x * direction[0] + y * direction[1];
      if (along <= 0) return;
      score = along + 2 * Math.abs(x * direction[1] - y * direction[0]);
    }
    if (score < bestScore) { bestScore = score; best = item; }
  });
  return best;
}

// The list (a listbox whose options lie over their markers, the active one by aria-activedescendant);
// gm.listMarkers() fills it again after each draw, gm.focusMarker(key) gives it the focus on that marker.
function markerList(gm) {
  var map = gm.map, facilities = gm.facilities, layer = gm.layer, t = gm.t;
  var pane = map.createPane("gm-keyboard");
  pane.style.zIndex = 450;
  var list = el("div", { id: "gm-marker-list", "class": "gm-marker-list", role: "listbox", tabindex: "0" });
  pane.appendChild(list);
  var listed = [], active = null; // the active item stays across draws, the list focused or not
  function focused() { return document.activeElement === list; }
  function listedItem(key) { return listed.filter(function (item) { return itemKey(item) === key; })[0]; }

  function setActive(item) {
    var ringed = list.querySelector(".gm-active");
    if (ringed) { ringed.classList.remove("gm-active"); ringed.removeAttribute("aria-selected"); }
    active = item;
    if (item) { // selected as it is reached (a screen reader says so), opened by Enter
      var option = document.getElementById("gm-marker-" + itemKey(item));
      option.classList.add("gm-active");
      option.setAttribute("aria-selected", "true");
      list.setAttribute("aria-activedescendant", option.id);
    } else list.removeAttribute("aria-activedescendant");
    if (!focused()) return; // a tooltip opened by the pointer stays
    if (item) gm.showTooltip(item); else map.closeTooltip(gm.tooltip);
  }

  function listMarkers() {
    // Only markers on screen (the canvas also draws a margin around the view), in reading order.
    var size = map.getSize(), min = map.containerPointToLayerPoint([0, 0]);
    var onScreen = layer.drawn.filter(function (item) {
      return item.x >= min.x && item.x <= min.x + size.x && item.y >= min.y && item.y <= min.y + size.y;
    });
    listed = onScreen.length > MARKER_LIST_LIMIT ? [] : onScreen.sort(function (a, b) { return a.y - b.y || a.x - b.x; });
    L.DomUtil.setPosition(list, min);
    list.style.width = size.x + "px"; list.style.height = size.y + "px";
    var label = listed.length < onScreen.length ? t.marker_list_crowded : listed.length ? t.marker_list : t.marker_list_empty;
    list.setAttribute("aria-label", fill(label, MARKER_LIST_LIMIT, t));
    list.classList.remove("gm-moving");
    var options = document.createDocumentFragment();
    listed.forEach(function (item) {
      var option = el("div", { id: "gm-marker-" + itemKey(item), role: "option", "class": "gm-marker gm-marker-" + item.kind,
                               "aria-label": gm.describe(item), "data-key": itemKey(item),
                               "data-id": item.kind === "facility" ? facilities.get(item.i).id : null });
      L.DomUtil.setPosition(option, L.point(item.x - item.r - min.x, item.y - item.r - min.y));
      option.style.width = option.style.height = 2 * item.r + "px";
      options.appendChild(option);
    });
    list.textContent = "";
    list.appendChild(options);
    // The active marker stays itself or, once a cluster has split, becomes the marker nearest to it.
    setActive(active && (listedItem(itemKey(active)) || nearestItem(listed, map.latLngToLayerPoint([active.lat, active.lon]))));
  }

  function open(item) {
    gm.returnFocus = item.kind === "cluster" ? null : itemKey(item); // a cluster opens no popup: the focus stays here
    gm.activate(item);
  }
  // A click sent to an option: a screen reader's double-tap or a voice command ("click Tocorón"). Pointers
  // pass through the list (pointer-events: none) to the canvas, which finds the marker under them.
  list.addEventListener("click", function (e) {
    var option = e.target.closest('[role="option"]');
    var item = option ? listedItem(option.getAttribute("data-key")) : e.target === list ? active : null; // the list: its active one
    if (!item) return;
    e.stopPropagation(); // the map would take it for a click on empty ground and close the popup
    setActive(item);
    open(item);
  });
  list.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var next = null, direction = ARROWS[e.key];
    if (e.key === "Escape") { map.closeTooltip(gm.tooltip); return; } // and on to the map's own Escape (arrange.js)
    if (direction) next = active ? nearestItem(listed, active, direction) || active : listed[0];
    else if (e.key === "Home" || e.key === "End") next = listed[e.key === "Home" ? 0 : listed.length - 1];
    else if (e.key === "Enter" || e.key === " ") { if (active) open(active); } // Space never scrolls the page
    else return;
    e.preventDefault(); // no scrolling the page
    e.stopPropagation(); // nor panning the map, had it the focus before (Leaflet's keys listen on the document)
    if (next) setActive(next);
  });
  list.addEventListener("focus", function () { if (active) gm.showTooltip(active); else if (listed.length) setActive(listed[0]); });
  list.addEventListener("blur", function () { map.closeTooltip(gm.tooltip); });
  // The options keep their old places through a zoom: unringed until the next draw.
  map.on("zoomstart", function () { list.classList.add("gm-moving"); if (focused()) map.closeTooltip(gm.tooltip); });
  gm.listMarkers = listMarkers;
  gm.focusMarker = function (key) {
    var item = listedItem(key);
    if (item) setActive(item);
    list.focus({ preventScroll: true });
  };
}
