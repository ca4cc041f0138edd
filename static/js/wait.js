/* The waiting page: asks every 3 s whether the invigilator has admitted the candidate, and
   opens the exam when they have. (No meta refresh: a page that reloads itself under a screen
   reader's user, WCAG 2.2.1, is what axe's meta-refresh rule refuses.) Without the script,
   the page's own link does it. */
(function () {
  "use strict";
  var status = document.getElementById("wait-status");
  function check() {
    fetch("/api/v1/attempt/clock", { credentials: "same-origin", headers: { "X-Examhall-Page": "1" } })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/exam"; return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.admission !== "awaiting_approval") {
          if (status) status.textContent = "You have been admitted. Opening your exam\u2026";
          window.location.href = "/exam/start";
        }
      })
      .catch(function () { /* offline for now: ask again */ });
  }
  setInterval(check, 3000);
})();
