// The bank statement upload page, next to upload.js: upload.js looks at the chosen file (POST data-inspect-url) and
// shows a sheet's rows and column chooser; this script shows, from the same answer, what only a statement has — its
// format, accounts, period, stated balances and the first lines as they will be imported — for every format (MT940,
// CAMT.053 and OFX have no columns to choose, so the sheet part is hidden for them). static/js/preview_extra.js listens
// to the answers and looks at the file again when a column is chosen.
(function () {
  "use strict";
  var extra = window.uploadPreviewExtra({ box: "[data-bank-preview]", accepts: function (data) { return !!data.format_label; }, show: show });
  if (!extra) return;
  var form = extra.form, box = extra.box, preview = extra.preview, t = extra.t;
  var element = window.uploadPreviewExtra.element, fill = window.uploadPreviewExtra.fill;
  var sheetOnly = preview.querySelector("[data-sheet-only]");
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

  // Another account: upload.js forgets the columns chosen and looks at the file again with the account's remembered
  // ones. Until that answer is shown, an import must not take the columns as confirmed.
  var account = form.querySelector("[name=account]");
  var confirmColumns = form.querySelector("[data-confirm-columns]");
  if (account) account.addEventListener("change", function () { confirmColumns.value = ""; });
})();
