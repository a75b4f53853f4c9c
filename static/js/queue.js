// The review queue: money totals loaded after the list, ticking rows, and the bulk bar's action fields
// (its confirmations are confirm.js's, as on every page).
(function () {
  "use strict";
  var panel = document.getElementById("queue-totals");
  if (panel && panel.dataset.url) {
    fetch(panel.dataset.url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { panel.innerHTML = html; })
      .catch(function () { panel.innerHTML = ""; });
  }
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var ticks = form.querySelectorAll("input.tick");
  var counter = document.getElementById("ticked-count");
  function count() {
    var n = 0;
    ticks.forEach(function (t) { if (t.checked) { n += 1; } });
    if (counter) { counter.textContent = n; }
  }
  var all = document.getElementById("tick-all");
  if (all) {
    all.addEventListener("change", function () {
      ticks.forEach(function (t) { t.checked = all.checked; });
      count();
    });
  }
  ticks.forEach(function (t) { t.addEventListener("change", count); });
  var action = document.getElementById("bulk-action");
  function showFields() {
    form.querySelectorAll("[data-for]").forEach(function (el) { el.hidden = el.dataset.for !== action.value; });
  }
  if (action) { action.addEventListener("change", showFields); showFields(); }
})();
