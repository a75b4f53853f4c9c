// Re-reads a block of the page every data-refresh-seconds from data-refresh-url (a page for today that stays open all day).
(function () {
  document.querySelectorAll("[data-refresh-url]").forEach(function (box) {
    var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(box.getAttribute("data-refresh-url"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }, seconds * 1000);
  });
})();
