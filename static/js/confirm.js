// Forms that delete, lock or write off ask first, on every page: the form's own data-confirm, and that of any
// chosen option or ticked radio inside it that is on show (the bulk bar hides the fields of the actions not chosen).
// One dialog for all of them, so that a write-off on the whole filter asks once, not twice.
(function () {
  "use strict";
  function questions(form) {
    var asked = [];
    if (form.dataset.confirm) { asked.push(form.dataset.confirm); }
    form.querySelectorAll("option[data-confirm], input[data-confirm]").forEach(function (el) {
      var chosen = el.tagName === "OPTION" ? el.selected : el.checked;
      if (chosen && !el.closest("[hidden]")) { asked.push(el.dataset.confirm); }
    });
    return asked;
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var asked = questions(form);
    if (asked.length && !window.confirm(asked.join("\n\n"))) { ev.preventDefault(); }
  });
})();
