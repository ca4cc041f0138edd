/* The live register: refreshes every 5 seconds from the session's JSON without reloading. */
(function () {
  "use strict";
  var table = document.getElementById("register");
  if (!table) return;
  var sessionId = table.dataset.session;
  var updated = document.getElementById("register-updated");
  var labels = { not_started: "Not started", in_progress: "Sitting", paused: "Paused", submitted: "Submitted", voided: "Voided" };
  var known = {};
  Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
    known[row.dataset.candidate] = row.querySelector(".status").className;
  });

  function clock(seconds) {
    seconds = Math.max(0, seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }
  function time(iso) {
    return iso ? new Date(iso).toISOString().substring(11, 19) + " UTC" : "\u2013";
  }

  function refresh() {
    fetch("/api/v1/sessions/" + sessionId, { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { window.location.href = "/invigilate"; return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      var statusChanged = false;
      document.getElementById("session-status").textContent = data.status.charAt(0).toUpperCase() + data.status.slice(1);
      data.candidates.forEach(function (c) {
        var row = table.querySelector('tr[data-candidate="' + c.candidate_number + '"]');
        if (!row) return;
        var status = row.querySelector(".status");
        var cls = "status status-" + c.status;
        if (known[c.candidate_number] !== cls) statusChanged = true;
        status.className = cls;
        status.textContent = labels[c.status] || c.status;
        row.querySelector(".disconnected").hidden = !c.disconnected;
        row.querySelector(".refused").hidden = !c.refused_sign_in_at;
        row.querySelector(".refused-at").textContent = c.refused_sign_in_at ? time(c.refused_sign_in_at) : "";
        row.querySelector(".readmitted").hidden = !c.readmitted_at;
        row.querySelector(".col-answered").textContent = c.answered + " / " + c.total;
        row.querySelector(".col-remaining").textContent = clock(c.remaining_seconds);
        row.querySelector(".col-seen").textContent = time(c.last_seen_at);
        row.querySelector(".col-lost").textContent = c.lost_seconds ? clock(c.lost_seconds) : "\u2013";
      });
      updated.textContent = "Updated " + new Date().toLocaleTimeString("en-GB");
      /* The actions offered depend on status: reload when one changes, unless a form is in use. */
      if (statusChanged && !table.contains(document.activeElement)) window.location.reload();
    }).catch(function () {
      updated.textContent = "Cannot reach the server; the register may be out of date.";
    });
  }
  setInterval(refresh, 5000);
})();
