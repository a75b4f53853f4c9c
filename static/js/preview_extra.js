// What a page adds to upload.js's preview, written once: upload.js looks at the chosen file (POST data-inspect-url)
// and draws its rows and column chooser; a page's own script shows, from the same answer, what only its kind of file
// has. This listens to every look at the file the page makes (answers to an older look are dropped, as upload.js drops
// them), hands each good answer to the page's `show`, and looks at the file again when a column is chosen in upload.js's
// chooser (upload.js has set its map_ field already), so that the rows shown are the ones the import will read.
window.uploadPreviewExtra = function (options) {
  "use strict";
  var form = document.getElementById("upload-form");
  var box = form && form.querySelector(options.box);
  if (!box || !window.FormData || !window.XMLHttpRequest) return null;
  var url = form.dataset.inspectUrl;
  var preview = form.querySelector("[data-preview]");
  var latest = 0;

  var open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, target) {
    if (target === url) {
      var number = ++latest;
      this.addEventListener("load", function () {
        if (number !== latest) return;
        var data = null;
        try { data = JSON.parse(this.responseText); } catch (err) { data = null; }
        if (this.status >= 200 && this.status < 300 && data && options.accepts(data)) options.show(data);
      });
    }
    return open.apply(this, arguments);
  };

  preview.querySelector("[data-preview-fields]").addEventListener("change", function () {
    var input = form.querySelector("input[type=file]");
    if (!input.files || !input.files.length) return;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(new FormData(form));
  });
  return { form: form, box: box, preview: preview, t: box.dataset };
};

window.uploadPreviewExtra.element = function (tag, className, text) {
  var el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined && text !== null) el.textContent = text;
  return el;
};

// A catalogue message's %(name)s placeholders filled in.
window.uploadPreviewExtra.fill = function (text, values) {
  return text.replace(/%\((\w+)\)s/g, function (all, name) { return name in values ? String(values[name]) : all; });
};
