/* The live register: updates in place every 3 seconds from the session's JSON, never
   reloading, so a half-typed incident note, its category and its candidate are never lost.
   A row's actions are rebuilt when its status changes, unless the invigilator is using them.
   Filter and sort apply at once; without the script, the same form asks the server. */
(function () {
  "use strict";
  var table = document.getElementById("register");
  if (!table) return;
  var sessionId = table.dataset.session;
  var csrf = table.dataset.csrf;
  var closed = table.dataset.closed === "yes";  /* a closed room: only a void or an incident */
  var tbody = table.querySelector("tbody");
  var updated = document.getElementById("register-updated");
  var countsEl = document.getElementById("register-counts");
  var showEl = document.getElementById("show-status");
  var sortEl = document.getElementById("sort-by");
  var applyButton = document.getElementById("register-view-apply");
  var labels = { not_started: "Not started", awaiting_approval: "Waiting to be admitted", reading: "Reading instructions", in_progress: "Sitting", paused: "Paused",
                 on_break: "On a rest break", submitted: "Submitted", voided: "Voided" };
  var order = ["in_progress", "paused", "on_break", "awaiting_approval", "reading", "not_started", "submitted", "voided"];
  var rows = {};
  Array.prototype.forEach.call(tbody.querySelectorAll("tr"), function (row) { rows[row.dataset.candidate] = row; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function hiddenText(text) { return el("span", { "class": "visually-hidden", text: text }); }
  function clock(seconds) {
    seconds = Math.max(0, seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }
  function time(iso) { return iso ? new Date(iso).toISOString().substring(11, 19) + " UTC" : "\u2013"; }
  function post(action, label, cls) {
    return el("form", { method: "post", action: action, "class": "inline" }, [
      el("input", { type: "hidden", name: "csrf_token", value: csrf }),
      el("button", { type: "submit", "class": cls || "secondary" }, label)
    ]);
  }

  /* The same actions as templates/invigilator/row_actions.html, for the row's new status. */
  function actions(c) {
    var n = c.candidate_number, here = "/invigilate/sessions/" + sessionId + "/candidates/" + encodeURIComponent(n);
    var line = el("div", { "class": "actions-line" });
    if (closed) {
      /* nothing changes time or admission in a closed room */
    } else if (c.shown_status === "awaiting_approval") {
      line.appendChild(post(here + "/admit", ["Admit", hiddenText(" " + n)], "primary-action"));
    } else if (c.status === "in_progress") {
      line.appendChild(post(here + "/pause", ["Pause", hiddenText(" " + n)]));
      if (c.rest_breaks) line.appendChild(post(here + "/break", ["Rest break", hiddenText(" for " + n)]));
    } else if (c.status === "paused") {
      line.appendChild(post(here + (c.on_break ? "/break/end" : "/resume"), [c.on_break ? "End break" : "Resume", hiddenText(" " + n)]));
    }
    line.appendChild(el("a", { href: "?incident_for=" + encodeURIComponent(n) + "#incident", "class": "incident-link", "data-candidate": n },
      ["Note incident", hiddenText(" for " + n)]));
    var parts = [line];
    if (closed && c.status !== "voided") {
      parts.push(el("details", {}, [el("summary", {}, ["More", hiddenText(" for " + n)]),
        el("a", { href: "/invigilate/sessions/" + sessionId + "/confirm?action=void&candidate=" + encodeURIComponent(n) }, ["Void", hiddenText(" " + n + "'s attempt")])]));
    } else if (c.status !== "submitted" && c.status !== "voided") {
      var confirm = "/invigilate/sessions/" + sessionId + "/confirm";
      var form = el("form", { method: "get", action: confirm, "class": "add-time" }, [
        el("input", { type: "hidden", name: "action", value: "extra_time" }),
        el("input", { type: "hidden", name: "candidate", value: n }),
        el("label", { "for": "minutes-" + n, text: "Minutes to add" }),
        el("input", { type: "number", min: "1", max: "240", id: "minutes-" + n, name: "minutes", value: String(Math.floor(c.lost_seconds / 60) || 5), "class": "narrow" }),
        el("label", { "for": "reason-" + n, text: "Reason" }),
        el("input", { type: "text", id: "reason-" + n, name: "reason" }),
        el("button", { type: "submit" }, ["Add time", hiddenText(" for " + n)])
      ]);
      var more = el("details", {}, [el("summary", {}, ["More", hiddenText(" for " + n)]), form]);
      if (c.status === "in_progress" || c.status === "paused" || (c.status === "not_started" && c.device)) {
        more.appendChild(el("a", { href: confirm + "?action=readmit&candidate=" + encodeURIComponent(n) }, ["Re-admit on another computer", hiddenText(" (" + n + ")")]));
        more.appendChild(el("br"));
      }
      more.appendChild(el("a", { href: confirm + "?action=void&candidate=" + encodeURIComponent(n) }, ["Void", hiddenText(" " + n + "'s attempt")]));
      parts.push(more);
    }
    return parts;
  }
  /* Someone is using this row's controls: leave them be until they have finished. */
  function inUse(cell) {
    return cell.contains(document.activeElement) || !!cell.querySelector("details[open]");
  }
  function attention(c) {
    return c.disconnected || !!c.refused_sign_in_at || !!c.readmitted_at || c.status === "paused";
  }

  function update(c) {
    var row = rows[c.candidate_number];
    if (!row) return;
    var shown = c.shown_status || c.status;
    var status = row.querySelector(".status");
    status.className = "status status-" + shown;
    status.textContent = labels[shown] || shown;
    row.querySelector(".disconnected").hidden = !c.disconnected;
    row.querySelector(".refused").hidden = !c.refused_sign_in_at;
    row.querySelector(".refused-at").textContent = c.refused_sign_in_at ? time(c.refused_sign_in_at) : "";
    row.querySelector(".readmitted").hidden = !c.readmitted_at;
    row.querySelector(".readmitted-where").textContent = c.device ? "on the computer that was refused" : "on any computer";
    row.querySelector(".breaks").hidden = !c.rest_break_seconds;
    row.querySelector(".break-total").textContent = clock(c.rest_break_seconds || 0);
    row.querySelector(".col-answered").textContent = c.answered + " / " + c.total;
    row.querySelector(".col-remaining").textContent = clock(c.remaining_seconds);
    row.querySelector(".col-seen").textContent = time(c.last_seen_at);
    row.querySelector(".col-lost").textContent = c.lost_seconds ? clock(c.lost_seconds) : "\u2013";
    row.dataset.remaining = c.remaining_seconds;
    row.dataset.attention = attention(c) ? "yes" : "no";
    var key = shown;
    var cell = row.querySelector(".row-actions");
    if (row.dataset.actions !== key && !inUse(cell)) {
      cell.textContent = "";
      actions(c).forEach(function (p) { cell.appendChild(p); });
      row.dataset.actions = key;
    }
    row.dataset.status = shown;
  }

  function counts(candidates) {
    var by = {};
    candidates.forEach(function (c) { var s = c.shown_status || c.status; by[s] = (by[s] || 0) + 1; });
    countsEl.textContent = candidates.length + " candidates: " + order.filter(function (s) { return by[s]; }).map(function (s) {
      return by[s] + " " + labels[s].toLowerCase();
    }).join(", ");
  }

  /* Filter and sort in place: rows are moved or hidden, never rebuilt. */
  function arrange() {
    if (!showEl || !sortEl) return;
    var show = showEl.value, sort = sortEl.value;
    var list = Object.keys(rows).map(function (k) { return rows[k]; });
    list.forEach(function (row) {
      row.hidden = !(show === "all" || (show === "attention" ? row.dataset.attention === "yes" : row.dataset.status === show));
    });
    list.sort(function (a, b) {
      if (sort === "status") return order.indexOf(a.dataset.status) - order.indexOf(b.dataset.status) || (a.dataset.candidate < b.dataset.candidate ? -1 : 1);
      if (sort === "remaining") return Number(a.dataset.remaining) - Number(b.dataset.remaining);
      return a.dataset.candidate < b.dataset.candidate ? -1 : 1;
    });
    list.forEach(function (row) { tbody.appendChild(row); });
    var empty = document.getElementById("register-empty");
    if (empty) empty.hidden = list.some(function (row) { return !row.hidden; });
  }

  function refresh() {
    fetch("/api/v1/sessions/" + sessionId, { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { window.location.href = "/invigilate"; return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      document.getElementById("session-status").textContent = data.status.charAt(0).toUpperCase() + data.status.slice(1);
      data.candidates.forEach(update);
      counts(data.candidates);
      arrange();
      updated.textContent = "Updated " + new Date().toISOString().substring(11, 19) + " UTC";
    }).catch(function () {
      updated.textContent = "Cannot reach the server; the register may be out of date.";
    });
  }

  /* The whole register is here already: the view changes need no request. Rows hidden by a
     server-side filter are not on the page, so that case asks the server. */
  if (showEl && sortEl) {
    var complete = Object.keys(rows).length && !/[?&]status=(?!all)/.test(window.location.search);
    if (complete) {
      if (applyButton) applyButton.hidden = true;
      showEl.addEventListener("change", arrange);
      sortEl.addEventListener("change", arrange);
    }
  }
  /* "Note incident" on a row: choose that candidate in the incident form, keep what is typed. */
  table.addEventListener("click", function (event) {
    var link = event.target.closest("a.incident-link");
    if (!link) return;
    event.preventDefault();
    document.getElementById("incident-candidate").value = link.dataset.candidate;
    document.getElementById("note").focus();
  });
  setInterval(refresh, 3000);
})();
