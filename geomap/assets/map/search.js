/* search: find a facility by name or alias, accents and case folded; behind a button in a compact map. */
function searchBox(facilities, t, reveal) {
  var box = el("div", { "class": "gm-search leaflet-control", role: "search" });
  var id = "gm-search-input", row = el("div", { "class": "gm-search-row" });
  row.appendChild(el("label", { "for": id, "class": "gm-sr-only" }, t.search));
  var input = el("input", { id: id, type: "search", placeholder: t.search_placeholder, autocomplete: "off", "aria-controls": "gm-search-results" });
  var list = el("ul", { id: "gm-search-results", "class": "gm-search-results gm-fit", "aria-live": "polite" });
  var button = toggleButton("gm-search-toggle", id, t.search, magnifier());
  row.appendChild(input); row.appendChild(button);
  box.appendChild(row); box.appendChild(list);
  var setOpen = disclosure(box, button, function (open) { if (open) input.focus(); });
  var keys = null; // folded names and aliases, built on the first keystroke
  function update() {
    if (!keys) {
      keys = [];
      for (var k = 0; k < facilities.length; k++) {
        var g = facilities.get(k);
        keys.push(fold([g.name, g.other_name].concat(g.aliases || []).join(" | ")));
      }
    }
    list.textContent = "";
    var q = fold(input.value);
    if (!q) return;
    var hits = [];
    for (var i = 0; i < keys.length && hits.length < 8; i++) if (keys[i].indexOf(q) !== -1) hits.push(facilities.get(i));
    if (!hits.length) { list.appendChild(el("li", { "class": "gm-none" }, t.no_results)); return; }
    hits.forEach(function (f) {
      var li = el("li"), b = el("button", { type: "button", "data-id": f.id, dir: "auto" }, f.name);
      b.addEventListener("click", function (e) {
        setOpen(false); // a compact map's search closes: the popup takes its place
        var back = getComputedStyle(button).display === "none" ? input : button;
        reveal(f.index, false, e.detail === 0 ? back : null); // from the keyboard: into the popup and back
      });
      li.appendChild(b); list.appendChild(li);
    });
  }
  input.addEventListener("input", function () { whenParsed(update); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { var b = list.querySelector("button"); if (b) { e.preventDefault(); b.click(); } }
  });
  return box;
}

function magnifier() {
  var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
  svg.setAttribute("width", "18"); svg.setAttribute("height", "18"); svg.setAttribute("viewBox", "0 0 18 18");
  path.setAttribute("d", "M7.5 2a5.5 5.5 0 1 1 0 11a5.5 5.5 0 0 1 0-11zM11.5 11.5L16 16");
  path.setAttribute("fill", "none"); path.setAttribute("stroke", "currentColor"); path.setAttribute("stroke-width", "2");
  svg.appendChild(path);
  return svg;
}
