// Polls the run's status every second and reloads the page once the worker has finished.
(function () {
  "use strict";
  var box = document.querySelector("[data-run-status]");
  if (!box) return;
  var bar = box.querySelector(".bar > span");
  var barBox = box.querySelector(".bar");
  var phase = box.querySelector("[data-phase]");
  var percent = box.querySelector("[data-percent]");

  function poll() {
    fetch(box.getAttribute("data-run-status"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return setTimeout(poll, 3000);
        bar.style.width = s.percent + "%";
        barBox.setAttribute("aria-valuenow", s.percent);
        phase.textContent = s.phase_label;
        percent.textContent = s.percent + "%";
        if (s.finished) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      // A login page instead of JSON (session expired) or a network blip: try again, more slowly.
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
