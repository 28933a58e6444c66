/* guard: the page's first script, before the packed ones. A file damaged in transit (cut short, or a
 * packed block altered) says so on the page, in its language, instead of drawing nothing: when the
 * loader or a block reader finds a block corrupt or missing, or the page's script never ran. */
var DAMAGED = /^geomap: the (packed )?block #/; // the loader's (inflate.js) errors

function showDamaged() {
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", showDamaged); return; } // no <main> yet
  if (document.querySelector(".gm-damaged")) return;
  var notice = document.createElement("p");
  notice.setAttribute("role", "alert");
  notice.className = "gm-damaged";
  notice.textContent = document.documentElement.lang === "es"
    ? "Este archivo del mapa está dañado y no puede mostrarse. Descárguelo de nuevo."
    : "This map file is damaged and cannot be shown. Download it again.";
  (document.querySelector("main") || document.body).prepend(notice);
}

addEventListener("error", function (e) { if (e.error && DAMAGED.test(e.error.message)) showDamaged(); });
addEventListener("load", function () { if (!window.geomap) showDamaged(); }); // cut short before it, or refused
