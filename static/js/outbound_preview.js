// The outbound upload page, next to upload.js: upload.js looks at the chosen file (POST data-inspect-url) and shows its
// rows and column chooser; this script shows, from the same answer, the first rows as the import will store them
// (courier as its code, weights in grams, times as read), why the import would refuse any of them, and the headers it
// reads as each field (static/js/preview_extra.js listens to the answers and looks at the file again when a column is
// chosen).
(function () {
  "use strict";
  var extra = window.uploadPreviewExtra({ box: "[data-outbound-preview]", accepts: function (data) { return !!data.stored; }, show: show });
  if (!extra) return;
  var box = extra.box, preview = extra.preview, t = extra.t;
  var element = window.uploadPreviewExtra.element, fill = window.uploadPreviewExtra.fill;

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
})();
