// The bank statement upload page, next to upload.js: upload.js looks at the chosen file (POST data-inspect-url) and
// shows a sheet's rows and column chooser; this script shows, from the same answer, what only a statement has — its
// format, accounts, period, stated balances and the first lines as they will be imported — for every format (MT940,
// CAMT.053 and OFX have no columns to choose, so the sheet part is hidden for them). When a column is chosen, the file
// is looked at again with that choice so that the lines shown are the ones the import will read.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var box = form && form.querySelector("[data-bank-preview]");
  if (!box || !window.FormData || !window.XMLHttpRequest) return;
  var url = form.dataset.inspectUrl;
  var preview = form.querySelector("[data-preview]");
  var sheetOnly = preview.querySelector("[data-sheet-only]");
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
  function table(el, heads, rows) {
    el.textContent = "";
    var head = element("tr");
    heads.forEach(function (h) { head.appendChild(element("th", h.num ? "num" : null, h.text)); });
    var thead = element("thead");
    thead.appendChild(head);
    el.appendChild(thead);
    var body = element("tbody");
    rows.forEach(function (row) {
      var tr = element("tr");
      row.forEach(function (value, i) {
        var td = element("td", heads[i].num ? "num" : null, value === null || value === undefined ? "" : value);
        if (heads[i].num && typeof value === "string" && value.charAt(0) === "-") td.classList.add("bad");
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    el.appendChild(body);
  }

  function show(data) {
    var statements = data.statements || [];
    var lines = data.lines || [];
    var several = statements.length > 1;
    // A statement format is named in the summary line; a sheet's summary is upload.js's word on its columns.
    var facts = data.sheet ? [data.format_label] : [];
    if (data.rejected) facts.push(fill(t.refused, { n: data.rejected }));
    var format = box.querySelector("[data-bank-format]");
    format.textContent = facts.join(" · ");
    format.hidden = !facts.length;
    box.querySelector("[data-bank-needs-account]").hidden = !data.needs_account;
    box.querySelector("[data-bank-already]").hidden = !data.already_imported;
    table(box.querySelector("[data-bank-statements]"),
          [{ text: t.hAccount }, { text: t.hPeriod }, { text: t.hOpening, num: true }, { text: t.hClosing, num: true },
           { text: t.hLines, num: true }],
          statements.map(function (s) {
            var period = s.opened_on && s.closed_on && s.opened_on !== s.closed_on ? s.opened_on + " – " + s.closed_on : (s.opened_on || "");
            return [s.account, period, s.opening_balance, s.closing_balance, String(s.lines)];
          }));
    box.querySelector("[data-bank-lines-caption]").textContent = fill(t.caption, { shown: lines.length, total: data.line_count });
    var heads = [{ text: t.hDate }, { text: t.hAmount, num: true }, { text: t.hCounterparty }, { text: t.hDescription },
                 { text: t.hRef }, { text: t.hBalance, num: true }];
    if (several) heads.unshift({ text: t.hAccount });
    table(box.querySelector("[data-bank-lines]"), heads, lines.map(function (l) {
      var row = [l.booked_on, l.amount, l.counterparty_name, l.description, l.ref, l.balance];
      if (several) row.unshift(l.account);
      return row;
    }));
    sheetOnly.hidden = !data.sheet;
    // upload.js fills the preview after this answer's other listeners: what a statement shows is set after it.
    setTimeout(function () {
      if (!data.sheet) preview.querySelector("[data-preview-summary]").textContent = data.format_label;
      preview.open = true;
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
        if (this.status >= 200 && this.status < 300 && data && data.format_label) show(data);
      });
    }
    return open.apply(this, arguments);
  };

  // Another account: upload.js forgets the columns chosen and looks at the file again with the account's remembered
  // ones. Until that answer is shown, an import must not take the columns as confirmed.
  var account = form.querySelector("[name=account]");
  var confirmColumns = form.querySelector("[data-confirm-columns]");
  if (account) account.addEventListener("change", function () { confirmColumns.value = ""; });

  // A column chosen in upload.js's chooser: read the lines again with it (upload.js set its map_ field already).
  preview.querySelector("[data-preview-fields]").addEventListener("change", function () {
    var input = form.querySelector("input[type=file]");
    if (!input.files || !input.files.length) return;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(new FormData(form));
  });
})();
