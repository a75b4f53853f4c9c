// An upload page (courier bills, returns, orders, settlement, outbound and pickup files): drag-and-drop onto the drop zone, a look at the
// file before it is uploaded (suggested courier and period, a period warning, what the server notes about the file, a
// preview with a column chooser), and, with
// data-submit="xhr", an XHR submit with an upload progress bar. What a page has is what its form holds: a page without
// a period box gets no period suggestion, one without data-submit posts normally. The texts come from the form's
// data- attributes. Without JavaScript the same form posts normally and the server refuses what it would have asked
// about here.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-dropzone]");
  var nameOut = form.querySelector("[data-file-name]");
  var progress = form.querySelector("[data-progress]");
  var button = form.querySelector("button[type=submit]");
  var courier = form.querySelector("[name=courier]");
  var period = form.querySelector("[name=period]");
  var inspecting = form.querySelector("[data-inspecting]");
  var periodCheck = form.querySelector("[data-period-check]");
  var periodMessage = form.querySelector("[data-period-message]");
  var confirmPeriod = form.querySelector("[name=confirm_period]");
  var confirmColumns = form.querySelector("[data-confirm-columns]");
  var preview = form.querySelector("[data-preview]");
  var notes = form.querySelector("[data-preview-notes]");
  var t = form.dataset;

  // What the clerk chose stays; only what they have not chosen is filled from the file.
  var chosen = { courier: t.courierChosen === "1", period: t.periodChosen === "1" };
  var inspected = 0;  // the number of the latest inspection: answers to older ones are dropped
  var timer = null;
  var inspectErrors = [];  // the fields the latest inspection put a message on: the next one takes them back

  // Choices of the preview belong to one file read as one kind: another file or kind forgets them.
  function forgetChosenColumns() {
    form.querySelectorAll("[name^=map_]").forEach(function (el) {
      if (el.dataset.fromPreview) { el.value = ""; if (el.type !== "hidden") delete el.dataset.fromPreview; }
    });
  }
  function showName() {
    var f = input.files && input.files[0];
    nameOut.textContent = f ? f.name + " · " + (f.size / 1048576).toFixed(1) + " MB" : "";
  }
  function fileChosen() {
    showName();
    // Columns picked in the preview name the previous file's headers; what the clerk typed stays.
    forgetChosenColumns();
    inspect();
  }
  input.addEventListener("change", fileChosen);
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; fileChosen(); }
  });

  function clearErrors(names) {
    (names || Object.keys(errorBoxes())).forEach(function (name) {
      var box = form.querySelector('[data-errors-for="' + name + '"]');
      if (!box) return;
      box.textContent = "";
      if (box.parentElement.classList.contains("field")) box.parentElement.classList.remove("has-error");
    });
  }
  function errorBoxes() {
    var boxes = {};
    form.querySelectorAll("[data-errors-for]").forEach(function (el) { boxes[el.getAttribute("data-errors-for")] = el; });
    return boxes;
  }
  function showErrors(errors) {
    clearErrors();
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector('[data-errors-for="' + name + '"]') || form.querySelector('[data-errors-for="__all__"]');
      errors[name].forEach(function (msg) { var p = document.createElement("p"); p.textContent = msg; box.appendChild(p); });
      if (box.parentElement.classList.contains("field")) box.parentElement.classList.add("has-error");
      var advanced = form.querySelector("details.advanced");
      if (name.indexOf("map_") === 0 && advanced) advanced.open = true;
    });
    if (errors.period && periodCheck && input.files && input.files.length) periodCheck.hidden = false;
  }

  // ------------------------------------------------------------------ the look at the file

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = text;
    return el;
  }
  function letter(index) {
    var name = "";
    for (var n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
    return name;
  }
  function note(field, text) {
    var out = form.querySelector('[data-suggested-for="' + field + '"]');
    if (!out) return;
    out.textContent = text || "";
    out.hidden = !text;
  }

  // The server finds the courier in the title rows or else in the file's name.
  function namedInTitle(data, s) {
    var names = [s.courier].concat((s.courier_name || "").split(/\s+/)).filter(Boolean);
    return (data.title || []).some(function (line) {
      return names.some(function (name) { return line.indexOf(name) !== -1; });
    });
  }

  // Fills what the clerk has not chosen; true when that changed what the file was checked against.
  function suggest(data) {
    var s = data.suggested || {};
    var changed = false;
    if (courier && !chosen.courier && s.courier && courier.querySelector('option[value="' + s.courier + '"]')) {
      changed = changed || courier.value !== s.courier;
      courier.value = s.courier;
      note("courier", namedInTitle(data, s) ? t.fromTitle : t.fromName);
    }
    if (period && !chosen.period && s.period) {
      changed = changed || period.value.trim() !== s.period;
      period.value = s.period;
      note("period", s.period_source === "dates" ? t.fromDates : t.fromTitle);
    }
    return changed;
  }

  function showPeriodCheck(check) {
    if (!periodCheck) return;
    periodMessage.textContent = check ? check.message : "";
    periodCheck.hidden = !check;
    if (!check) confirmPeriod.checked = false;
    clearErrors(["period"]);
  }

  function mapInput(name) { return form.querySelector('[name="map_' + name + '"]'); }

  function columnChooser(field, cells) {
    var wrap = element("div", "field" + (field.certain ? "" : " uncertain"));
    var id = "preview-" + field.name;
    var head = element("label", null, field.label);
    head.setAttribute("for", id);
    if (field.required) { var star = element("span", "req", "*"); star.setAttribute("aria-hidden", "true"); head.appendChild(star); }
    if (!field.certain) head.appendChild(element("span", "tag check", t.pleaseCheck));
    else if (field.remembered) head.appendChild(element("span", "tag remembered", t.remembered));
    var select = element("select");
    select.id = id;
    select.setAttribute("data-field", field.name);
    if (field.column === null || field.column === undefined) {
      var none = element("option", null, field.required ? t.chooseColumn : t.notInFile);
      none.value = "";
      select.appendChild(none);
    } else if (!field.required) {
      var absent = element("option", null, t.notInFile);
      absent.value = "";
      select.appendChild(absent);
    }
    cells.forEach(function (cell, i) {
      var option = element("option", null, letter(i) + " · " + (cell || "—"));
      option.value = String(i);
      select.appendChild(option);
    });
    if (field.column !== null && field.column !== undefined) select.value = String(field.column);
    select.addEventListener("change", function () {
      var target = mapInput(field.name);
      if (target) { target.value = select.value === "" ? "" : cells[Number(select.value)] || ""; target.dataset.fromPreview = "1"; }
      wrap.classList.remove("uncertain");
    });
    wrap.appendChild(head);
    wrap.appendChild(select);
    return wrap;
  }

  function showPreview(data) {
    var header = data.header || { cells: [] };
    var cells = header.cells || [];
    var title = preview.querySelector("[data-preview-title]");
    title.textContent = "";
    (data.title || []).forEach(function (line) { title.appendChild(element("p", "strong", line)); });

    var table = preview.querySelector("[data-preview-rows]");
    table.textContent = "";
    var thead = element("thead");
    var letters = element("tr", "letters");
    var names = element("tr");
    cells.forEach(function (cell, i) { letters.appendChild(element("th", null, letter(i))); names.appendChild(element("th", null, cell)); });
    thead.appendChild(letters);
    thead.appendChild(names);
    table.appendChild(thead);
    var body = element("tbody");
    (data.rows || []).slice(0, 10).forEach(function (row) {
      var tr = element("tr");
      row.forEach(function (value) { tr.appendChild(element("td", null, value)); });
      body.appendChild(tr);
    });
    table.appendChild(body);

    var fields = preview.querySelector("[data-preview-fields]");
    fields.textContent = "";
    (data.fields || []).forEach(function (field) {
      fields.appendChild(columnChooser(field, cells));
    });

    preview.querySelector("[data-preview-summary]").textContent = data.needs_confirmation ? t.someUncertain : t.allFound;
    preview.classList.toggle("needs-confirmation", !!data.needs_confirmation);
    preview.open = !!data.needs_confirmation;
    preview.hidden = false;
    confirmColumns.value = "1";
  }

  // What the server says about the file as a whole (the layout it recognised, what a choice on the page does for it).
  function showNotes(list) {
    if (!notes) return;
    notes.textContent = "";
    (list || []).forEach(function (text) { notes.appendChild(element("p", null, text)); });
    notes.hidden = !(list && list.length);
  }

  function forget() {
    showNotes(null);
    preview.hidden = true;
    confirmColumns.value = "";
    showPeriodCheck(null);
  }

  function inspect() {
    clearTimeout(timer);
    if (!t.inspectUrl || !input.files || !input.files.length) return;
    var number = ++inspected;
    var body = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", t.inspectUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.addEventListener("load", function () {
      if (number !== inspected) return;
      inspecting.hidden = true;
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300 && data) {
        clearErrors(["file", "__all__"].concat(inspectErrors));
        inspectErrors = [];
        var changed = suggest(data);
        var check = data.period_check;
        showPeriodCheck(check && period && check.chosen === period.value.trim() ? check : null);
        showPreview(data);
        showNotes(data.notes);
        // A problem found with the file and the page's choices together (an orders file without a platform).
        if (data.errors) {
          inspectErrors = Object.keys(data.errors);
          showErrors(data.errors);
        }
        // Checked against the default period or no courier: look again with the suggestions (and the courier's
        // remembered columns).
        if (changed) inspect();
      } else {
        forget();
        showErrors((data && data.errors) || { file: [t.inspectError] });
      }
    });
    xhr.addEventListener("error", function () {
      if (number !== inspected) return;
      inspecting.hidden = true;
      showErrors({ file: [t.inspectError] });
    });
    inspecting.hidden = false;
    xhr.send(body);
  }
  function inspectSoon() {
    clearTimeout(timer);
    timer = setTimeout(inspect, 400);
  }

  if (courier) courier.addEventListener("change", function () { chosen.courier = true; note("courier", ""); inspectSoon(); });
  if (period) period.addEventListener("input", function () { chosen.period = true; note("period", ""); inspectSoon(); });
  // A choice the file is read by (a returns file's kind): the columns are those of another table.
  form.querySelectorAll("[data-reinspect]").forEach(function (el) {
    el.addEventListener("change", function () { forgetChosenColumns(); inspectSoon(); });
  });
  // A choice the preview depends on but the columns do not (a platform: its remembered columns, what it does for the file).
  form.querySelectorAll("[data-inspect-on-change]").forEach(function (el) {
    el.addEventListener("change", inspectSoon);
  });
  form.querySelectorAll("[name^=map_]").forEach(function (el) {
    el.addEventListener("input", function () { delete el.dataset.fromPreview; });
  });

  // ------------------------------------------------------------------ the upload

  if (t.submit !== "xhr" || !progress) return;
  var bar = progress.querySelector(".bar > span");
  var label = progress.querySelector("[data-progress-label]");

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
      label.textContent = pct < 100 ? t.uploading + " " + pct + "%" : t.processing;
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (data && data.redirect) { window.location.assign(data.redirect); return; }
      done();
      showErrors((data && data.errors) || { __all__: [t.networkError] });
      if (data && data.code === "columns_uncertain" && !preview.hidden) preview.open = true;
    });
    xhr.addEventListener("error", function () { done(); showErrors({ __all__: [t.networkError] }); });
    button.disabled = true;
    progress.hidden = false;
    bar.style.width = "0";
    label.textContent = t.uploading;
    xhr.send(new FormData(form));
  });
})();
