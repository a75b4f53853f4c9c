// Bill upload: drag-and-drop onto the drop zone, and an XHR submit with an upload progress bar.
// Without JavaScript the same form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-dropzone]");
  var nameOut = form.querySelector("[data-file-name]");
  var progress = form.querySelector("[data-progress]");
  var bar = progress.querySelector(".bar > span");
  var label = progress.querySelector("[data-progress-label]");
  var button = form.querySelector("button[type=submit]");

  function showName() {
    var f = input.files && input.files[0];
    nameOut.textContent = f ? f.name + " · " + (f.size / 1048576).toFixed(1) + " MB" : "";
  }
  input.addEventListener("change", showName);
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; showName(); }
  });

  function showErrors(errors) {
    form.querySelectorAll("[data-errors-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector('[data-errors-for="' + name + '"]') || form.querySelector('[data-errors-for="__all__"]');
      errors[name].forEach(function (msg) { var p = document.createElement("p"); p.textContent = msg; box.appendChild(p); });
      if (box.parentElement.classList.contains("field")) box.parentElement.classList.add("has-error");
      if (name.indexOf("map_") === 0) form.querySelector("details.advanced").open = true;
    });
  }
  function done() { button.disabled = false; progress.hidden = true; }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (ev) {
      if (!ev.lengthComputable) return;
      var pct = Math.round((ev.loaded / ev.total) * 100);
      bar.style.width = pct + "%";
      label.textContent = pct < 100 ? form.dataset.uploading + " " + pct + "%" : form.dataset.processing;
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (data && data.redirect) { window.location.assign(data.redirect); return; }
      done();
      showErrors((data && data.errors) || { __all__: [form.dataset.networkError] });
    });
    xhr.addEventListener("error", function () { done(); showErrors({ __all__: [form.dataset.networkError] }); });
    button.disabled = true;
    progress.hidden = false;
    bar.style.width = "0";
    label.textContent = form.dataset.uploading;
    xhr.send(new FormData(form));
  });
})();
