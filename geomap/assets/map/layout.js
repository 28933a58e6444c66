/* layout: the controls in their corners, a view clear of them. */

function control(position, build) {
  var C = L.Control.extend({
    onAdd: function () {
      var div = build();
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }
  });
  return new C({ position: position });
}

// The controls, in the order that stacks each corner.
function controls(gm, statusCounts, scale) {
  var map = gm.map, data = gm.data, t = gm.t, timeline = data.timeline;
  control("topleft", function () { return headline(data, t); }).addTo(map);
  map.zoomControl.remove(); // Leaflet's own is English-only; the full-screen button joins the new one
  map.zoomControl = L.control.zoom({ position: "topleft", zoomInTitle: t.zoom_in, zoomOutTitle: t.zoom_out }).addTo(map);
  control("topright", function () { return searchBox(gm.facilities, t, gm.reveal); }).addTo(map);
  control("bottomleft", function () { return legend(data, t, statusCounts, toggle.bind(null, gm), scale); }).addTo(map);
  L.control.scale({ position: "bottomright", imperial: t.lang === "en" }).addTo(map); // miles for English readers only
  // Bottom right, above the scale (added after it): at the top it would cover the headline on narrow screens.
  if (timeline && !data.options.static) control("bottomright", function () { return timeControl(timeline.dates, data.as_of, t, timeView(gm)); }).addTo(map);
  if (L.Control.FullScreen) new L.Control.FullScreen({ position: "topleft", title: t.fullscreen, titleCancel: t.fullscreen_exit }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>');
}

// Keep markers clear of the headline (top) and the legend (bottom left), within reason on small screens.
function fitPadding(map) {
  var size = map.getSize(), box = map.getContainer().getBoundingClientRect();
  function edge(selector, side) {
    var node = map.getContainer().querySelector(selector);
    if (!node) return 0;
    var r = node.getBoundingClientRect();
    return side === "bottom" ? r.bottom - box.top : r.right - box.left;
  }
  var top = Math.min(edge(".gm-headline", "bottom"), size.y * 0.35);
  var left = Math.min(edge(".gm-legend", "right"), size.x * 0.35);
  return { paddingTopLeft: [left + 8, top + 8], paddingBottomRight: [16, 16], maxZoom: 12 };
}
