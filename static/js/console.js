// The console's small enhancements (loaded from this file: the policy allows no inline script).
// A long form (scheduling builds every paper; an upload checks every row) shows that it is
// working, and cannot be sent twice.
(function () {
  "use strict";
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var box = form.querySelector(".progress");
      var button = form.querySelector("button[type=submit]");
      if (box) {
        box.hidden = false;
        box.querySelector(".progress-text").textContent = form.getAttribute("data-progress");
      }
      if (button) {
        // Disabled after this event, so that the button's own value is still sent.
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });
  document.querySelectorAll(".candidates-choice").forEach(function (set) {
    var button = set.querySelector(".select-all");
    if (!button) return;
    var boxes = set.querySelectorAll("input[type=checkbox]");
    var label = function () {
      var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
      button.textContent = all ? "Clear all" : "Select all";
      return all;
    };
    button.hidden = false;
    label();
    button.addEventListener("click", function () {
      var all = label();
      boxes.forEach(function (b) { b.checked = !all; });
      label();
    });
    boxes.forEach(function (b) { b.addEventListener("change", label); });
  });
})();

// The idle timeout (console_idle_minutes): the server ends a sign-in after that long without a
// request, and after its whole length in any case. Using the page (a key, a click, typing in a
// form) counts: it renews the sign-in at most once a minute, so a long form being filled in is
// never lost to the timeout. Before it warns, and before it says the sign-in has ended, the
// page asks the server how long is left (GET /console/session, which renews nothing: another
// tab may have used the sign-in meanwhile). Two minutes before the end a dialog says so and
// offers to stay signed in (WCAG 2.2.1, Timing Adjustable). Only the server's "no sign-in" (a
// 401, or a redirect to the sign-in page) ends it here: a busy or unreachable server does not.
(function () {
  "use strict";
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var idle = Number(dialog.getAttribute("data-idle-seconds")) * 1000;
  var csrf = dialog.getAttribute("data-csrf");
  var WARN = 120 * 1000;
  var RENEW_AFTER = 60 * 1000;
  var ASK_EVERY = 30 * 1000;
  // When the sign-in ends if nothing more is done, by this page's reckoning. This page's own
  // request renewed it, or one up to a minute before it did.
  var endsAt = Date.now() + idle - RENEW_AFTER;
  var renewedAt = Date.now() - RENEW_AFTER;
  var askedAt = 0;
  var ended = false;
  var stay = dialog.querySelector(".session-stay");
  var close = dialog.querySelector(".session-close");
  close.addEventListener("click", function () { dialog.close(); });

  function end() {
    ended = true;
    dialog.querySelector("#session-warning-text").hidden = true;
    dialog.querySelector(".session-ended-text").hidden = false;
    dialog.setAttribute("aria-describedby", "session-ended-text");
    dialog.querySelector("#session-warning-title").textContent = "You have been signed out";
    stay.hidden = true;
    var link = dialog.querySelector(".session-sign-in");
    link.href = "/console/sign-in?next=" + encodeURIComponent(location.pathname + location.search);
    link.hidden = false;
    close.hidden = false;
    if (!dialog.open) dialog.showModal();
    link.focus();
  }
  function gone(response) {
    return response.status === 401 || response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
  }

  function renew() {
    if (ended) return Promise.resolve();
    var body = new URLSearchParams({ csrf_token: csrf });
    var sent = Date.now();
    return fetch("/console/alive", { method: "POST", body: body, redirect: "manual", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) {
          renewedAt = sent;
          endsAt = sent + idle;
          if (dialog.open) dialog.close();
        } else if (gone(response)) {
          end();
        }  // busy (503), refused (403: a newer sign-in in another tab) or the like: next time
      })
      .catch(function () { /* offline: try again with the next activity */ });
  }

  function ask() {
    askedAt = Date.now();
    return fetch("/console/session", { redirect: "manual", credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (gone(response)) { end(); return; }
        if (!response.ok) return;
        return response.json().then(function (data) {
          /* From its arrival: the server counted just before; a few milliseconds late at most. */
          endsAt = Date.now() + data.seconds_left * 1000;
          if (endsAt - Date.now() > WARN && dialog.open) dialog.close();
        });
      })
      .catch(function () { /* unreachable: keep this page's reckoning */ });
  }

  function activity() {
    if (!ended && !dialog.open && Date.now() - renewedAt > RENEW_AFTER) renew();
  }
  ["keydown", "pointerdown", "input"].forEach(function (name) {
    document.addEventListener(name, activity, { capture: true, passive: true });
  });
  stay.addEventListener("click", renew);
  dialog.addEventListener("cancel", function (event) {  // Escape: stay, or close once ended
    if (ended) return;
    event.preventDefault();
    renew();
  });

  window.setInterval(function () {
    if (ended) return;
    var left = endsAt - Date.now();
    if (left > WARN) return;
    if (Date.now() - askedAt > (left <= 0 ? 5000 : ASK_EVERY)) {
      ask().then(function () {
        if (ended) return;
        var now = endsAt - Date.now();
        if (now <= WARN && now > 0 && !dialog.open) { dialog.showModal(); stay.focus(); }
      });
    }
  }, 5000);
})();
