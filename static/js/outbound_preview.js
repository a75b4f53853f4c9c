// The outbound upload page, next to upload.js: upload.js looks at the chosen file (POST data-inspect-url) and shows its
// rows and column chooser; this script shows, from the same answer, the first rows as the import will store them
// (courier as its code, weights in grams, times as read), why the import would refuse any of them, and the headers it
// reads as each field. When a column is
// chosen, the file is looked at again with that choice so that the rows shown are the ones the import will store.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var box = form && form.querySelector("[data-outbound-preview]");
  if (!box || !window.FormData || !window.XMLHttpRequest) return;
  var url = form.dataset.inspectUrl;
  var preview = form.querySelector("[data-preview]");
  var t = box.dataset;
  var latest = 0;  // answers to an older look at the file are dropped, as upload.js drops them

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = text;
    return el;
  }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }

  function show(data) {
    var stored = data.stored || { columns: [], rows: [] };
    box.querySelector("[data-stored-caption]").textContent = fill(t.caption, { n: stored.rows.length });
    var table = box.querySelector("[data-stored-rows]");
    table.textContent = "";
    var head = element("tr");
    stored.columns.forEach(function (name) { head.appendChild(element("th", null, name)); });
    var thead = element("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = element("tbody");
    stored.rows.forEach(function (row) {
      var tr = element("tr");
      row.forEach(function (value) { tr.appendChild(element("td", null, value)); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    var refused = box.querySelector("[data-sample-rejected]");
    refused.textContent = "";
    (data.sample_rejected || []).forEach(function (r) {
      refused.appendChild(element("p", null, fill(t.refused, { line: r.line, reason: r.reason })));
    });
    refused.hidden = !(data.sample_rejected && data.sample_rejected.length);
    // Under each of upload.js's choosers (drawn from the same answer, after this listener): the headers read as the field.
    setTimeout(function () {
      (data.fields || []).forEach(function (field) {
        var select = preview.querySelector('[data-preview-fields] select[data-field="' + field.name + '"]');
        if (!select || !field.accepts || !field.accepts.length) return;
        var note = element("small", "muted", fill(t.accepts, { names: field.accepts.join("、") }));
        note.setAttribute("data-accepts", field.name);
        select.parentNode.appendChild(note);
      });
    }, 0);
  }

  // The same answer upload.js reads: listened to on every look at the file this page makes.
  var open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, target) {
    if (target === url) {
      var number = ++latest;
      this.addEventListener("load", function () {
        if (number !== latest) return;
        var data = null;
        try { data = JSON.parse(this.responseText); } catch (err) { data = null; }
        if (this.status >= 200 && this.status < 300 && data && data.stored) show(data);
      });
    }
    return open.apply(this, arguments);
  };

  // A column chosen in upload.js's chooser: read the rows again with it (upload.js set its map_ field already).
  preview.querySelector("[data-preview-fields]").addEventListener("change", function () {
    var input = form.querySelector("input[type=file]");
    if (!input.files || !input.files.length) return;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(new FormData(form));
  });
})();
