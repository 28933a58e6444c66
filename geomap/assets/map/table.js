/* table: every facility in a screen-reader table, each with a button to show it on the map. */
function screenReaderTable(facilities, t, reveal) {
  var table = el("table", { "class": "gm-sr-only", id: "gm-table" });
  table.appendChild(el("caption", null, t.table_caption));
  var head = el("tr");
  [t.name, t.status, t.detainees, t.location, t.sources].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
  var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
  var body = el("tbody");
  table.appendChild(body);
  var i = 0;
  // In slices of ~10 ms, so the map stays responsive while a big table is built.
  function chunk() {
    var until = performance.now() + 10, frag = document.createDocumentFragment();
    for (; i < facilities.length && (i % 64 || performance.now() < until); i++) {
      var f = facilities.get(i), tr = el("tr");
      var th = el("th", { scope: "row" }), b = el("button", { type: "button", "class": "gm-table-show", dir: "auto" }, f.name);
      b.setAttribute("aria-label", t.show_on_map + ": " + f.name);
      b.addEventListener("click", reveal.bind(null, i, false, b)); // the popup takes the focus: the table hides
      th.appendChild(b); tr.appendChild(th);
      tr.appendChild(el("td", null, (t.status_names[f.status] || f.status) + (f.status_date ? " (" + t.since + " " + f.status_date + ")" : "")));
      tr.appendChild(el("td", null, countText(f, t)));
      tr.appendChild(el("td", null, t.precision_names[f.precision] || f.precision));
      var td = el("td");
      (f.count_source ? [f.count_source] : []).concat(f.status_source ? [f.status_source] : []).forEach(function (u) { td.appendChild(link(u)); td.appendChild(document.createTextNode(" ")); });
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    body.appendChild(frag);
    if (i < facilities.length) setTimeout(chunk, 0);
    else table.setAttribute("data-complete", "true");
  }
  chunk();
  return table;
}
