/* search: find a facility by name or alias, accents and case folded. */
function searchBox(facilities, t, reveal) {
  var box = el("div", { "class": "gm-search leaflet-control", role: "search" });
  var id = "gm-search-input";
  box.appendChild(el("label", { "for": id, "class": "gm-sr-only" }, t.search));
  var input = el("input", { id: id, type: "search", placeholder: t.search_placeholder, autocomplete: "off", "aria-controls": "gm-search-results" });
  var list = el("ul", { id: "gm-search-results", "class": "gm-search-results", "aria-live": "polite" });
  box.appendChild(input); box.appendChild(list);
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
      b.addEventListener("click", function () { reveal(f.index); });
      li.appendChild(b); list.appendChild(li);
    });
  }
  input.addEventListener("input", function () { whenParsed(update); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { var b = list.querySelector("button"); if (b) { e.preventDefault(); b.click(); } }
  });
  return box;
}
