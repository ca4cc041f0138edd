/* examhall candidate page: autosave with an offline outbox, the server's clock, paused state.
   Plain JavaScript, no libraries. Without it the pages still work as ordinary forms. */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var form = document.getElementById("question-form");
  var attemptId = (document.querySelector('meta[name="attempt-id"]') || {}).content || "x";
  var OUTBOX = "examhall.outbox." + attemptId;
  var SEQ = "examhall.seq." + attemptId;
  var RELOADED = "examhall.reloaded." + attemptId;
  var statusEl = document.getElementById("save-status");
  var networkEl = document.getElementById("network-status");
  var announcer = document.getElementById("announcer");
  var flushing = false;
  var retryDelay = 1000;

  function readOutbox() {
    try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function writeOutbox(items) {
    try { localStorage.setItem(OUTBOX, JSON.stringify(items)); } catch (e) { /* storage full: keep trying live */ }
  }
  function nextSeq(serverSeq) {
    var local = parseInt(localStorage.getItem(SEQ) || "0", 10);
    var seq = Math.max(local, serverSeq || 0) + 1;
    localStorage.setItem(SEQ, String(seq));
    return seq;
  }
  function timeText(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function showNetwork(text) {
    if (!networkEl) return;
    networkEl.textContent = text;
    networkEl.hidden = !text;
  }
  function setStatus(text) { if (statusEl) statusEl.textContent = text; }

  function markNavigator(position, answered, flagged) {
    var link = document.querySelector('.nav-q[data-position="' + position + '"]');
    if (!link) return;
    if (answered !== null) link.classList.toggle("is-answered", answered);
    if (flagged !== null) link.classList.toggle("is-flagged", flagged);
    var isAnswered = link.classList.contains("is-answered");
    var isFlagged = link.classList.contains("is-flagged");
    link.querySelector(".nav-mark").textContent = (isAnswered ? "\u2713" : "") + (isFlagged ? "\u2691" : "");
    link.querySelector(".nav-state").textContent = (isAnswered ? "answered" : "not answered") + (isFlagged ? ", flagged" : "");
  }

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  /* Send queued answers and flags in order. A network failure, a busy server (5xx) or a
     throttle (429) keeps the item and retries with backoff: nothing the candidate chose is
     dropped for a passing fault. */
  function send(item) {
    if (item.kind === "flag") return request("PUT", "/api/v1/attempt/flags/" + item.position, { flagged: item.flagged });
    return request("PUT", "/api/v1/attempt/answers/" + item.position, { option_id: item.option_id, seq: item.seq });
  }
  function retryLater(status, text) {
    flushing = false;
    showNetwork(text);
    setStatus(status);
    setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }
  function flush() {
    if (flushing) return;
    var items = readOutbox();
    if (!items.length) return;
    flushing = true;
    var item = items[0];
    send(item)
      .then(function (response) {
        if (response.status >= 500 || response.status === 429) {
          retryLater("Waiting to save: the server is busy",
            "The exam server is busy. Keep going: your answers are kept on this computer and will be sent in a moment.");
          return;
        }
        flushing = false;
        if (response.ok) {
          return response.json().then(function (data) {
            writeOutbox(readOutbox().filter(function (x) { return x.key !== item.key; }));
            retryDelay = 1000;
            if (item.kind !== "flag" && form && String(item.position) === form.dataset.position) setStatus("Saved " + timeText(data.saved_at));
            if (!readOutbox().length) showNetwork(networkEl && !networkEl.hidden ? "Connection restored. All your answers are saved." : "");
            flush();
          });
        }
        if (response.status === 409 || response.status === 401) {
          writeOutbox([]);  /* paused, submitted or signed out: the page will say which */
          window.location.reload();
          return;
        }
        if (response.status === 403) {
          /* The session's token changed (signed in again in this browser): reload for the new
             one and send the same outbox. Once only: a second refusal waits for a person. */
          var last = parseInt(sessionStorage.getItem(RELOADED) || "0", 10);
          if (Date.now() - last > 60000) {
            sessionStorage.setItem(RELOADED, String(Date.now()));
            window.location.reload();
            return;
          }
          retryLater("Not saved yet: tell your invigilator",
            "Your answers cannot be saved from this page. They are kept on this computer: tell your invigilator.");
          return;
        }
        /* Any other 4xx will never succeed: drop it, keep the rest moving. */
        writeOutbox(readOutbox().filter(function (x) { return x.key !== item.key; }));
        flush();
      })
      .catch(function () {
        retryLater("Waiting to save: you are offline",
          "You are offline. Keep going: your answers are kept on this computer and will be sent when the connection returns.");
      });
  }

  function queueAnswer(position, optionId) {
    var items = readOutbox().filter(function (x) { return x.kind === "flag" || x.position !== position; });
    var seq = nextSeq(form ? parseInt(form.dataset.seq, 10) : 0);
    items.push({ kind: "answer", key: position + ":" + seq, position: position, option_id: optionId, seq: seq });
    writeOutbox(items);
    setStatus("Saving\u2026");
    markNavigator(position, true, null);
    flush();
  }

  if (form) {
    var position = parseInt(form.dataset.position, 10);
    /* A queued answer for this question wins over what the server last acknowledged. */
    readOutbox().forEach(function (item) {
      if (item.kind === "flag") {
        if (item.position === position) document.getElementById("flagged").checked = item.flagged;
        markNavigator(item.position, null, item.flagged);
        return;
      }
      if (item.position === position) {
        var radio = document.getElementById("opt-" + item.option_id);
        if (radio) radio.checked = true;
        setStatus("Waiting to save");
      }
      markNavigator(item.position, true, null);
    });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.name === "option") queueAnswer(position, target.value);
      if (target.name === "flagged") {
        markNavigator(position, null, target.checked);
        var queued = readOutbox().filter(function (x) { return !(x.kind === "flag" && x.position === position); });
        queued.push({ kind: "flag", key: "flag:" + position, position: position, flagged: target.checked });
        writeOutbox(queued);
        flush();
      }
    });
    /* With the script running, buttons navigate: answers already travel through the outbox. */
    form.addEventListener("submit", function (event) {
      var go = event.submitter ? event.submitter.value : "next";
      event.preventDefault();
      var total = parseInt(form.dataset.total, 10);
      if (go === "review") window.location.href = "/exam/review";
      else if (go === "previous") window.location.href = "/exam/q/" + Math.max(1, position - 1);
      else window.location.href = "/exam/q/" + Math.min(total, position + 1);
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    showNetwork("You are offline. Keep going: your answers are kept on this computer and will be sent when the connection returns.");
  });
  flush();

  /* The clock: the server decides; the page counts down between checks. */
  var timer = document.getElementById("timer");
  if (!timer) return;
  var valueEl = document.getElementById("timer-value");
  var toggle = document.getElementById("timer-toggle");
  var paused = document.getElementById("paused-banner");
  var remaining = parseInt(timer.dataset.remaining, 10);
  var status = timer.dataset.status;
  var syncedAt = performance.now();
  var warned = JSON.parse(sessionStorage.getItem("examhall.warned." + attemptId) || "{}");
  var submitting = false;

  function format(s) {
    s = Math.max(0, Math.ceil(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)), ss = String(sec).padStart(2, "0");
    return (h ? h + ":" : "") + mm + ":" + ss;
  }
  function left() {
    return status === "in_progress" ? remaining - (performance.now() - syncedAt) / 1000 : remaining;
  }
  function setDisabled(disabled) {
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio], input[type=checkbox]"), function (el) {
      el.disabled = disabled;
    });
  }
  function warn(minutes) {
    if (warned[minutes]) return;
    warned[minutes] = true;
    sessionStorage.setItem("examhall.warned." + attemptId, JSON.stringify(warned));
    announcer.textContent = minutes + " minutes left.";
    timer.classList.add("timer-warning");
  }
  function timeUp() {
    if (submitting) return;
    submitting = true;
    announcer.textContent = "Time is up. Your answers are being submitted.";
    request("POST", "/api/v1/attempt/submit").then(function () {
      window.location.href = "/exam/done";
    }).catch(function () { submitting = false; });
  }
  function tick() {
    var s = left();
    valueEl.textContent = format(s);
    if (status === "in_progress") {
      if (s <= 600 && s > 300) warn(10);
      if (s <= 300 && s > 0) warn(5);
      if (s <= 0) timeUp();
    }
  }
  function sync() {
    /* The header says this is the exam page itself: it keeps the paper on this computer. */
    fetch("/api/v1/attempt/clock", { credentials: "same-origin", headers: { "X-Examhall-Page": "1" } }).then(function (response) {
      if (response.status === 401) { window.location.href = "/exam"; return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      if (data.status === "submitted") { window.location.href = "/exam/done"; return; }
      remaining = data.remaining_seconds;
      syncedAt = performance.now();
      if (data.status !== status) {
        status = data.status;
        paused.hidden = status !== "paused";
        setDisabled(status === "paused");
        if (status === "in_progress") flush();
      }
      tick();
    }).catch(function () { /* offline: keep counting from the last reading */ });
  }

  if (toggle) {
    toggle.hidden = false;
    var hidden = localStorage.getItem("examhall.timer-hidden") === "1";
    var apply = function () {
      valueEl.classList.toggle("visually-hidden", hidden);
      toggle.textContent = hidden ? "Show time" : "Hide time";
      toggle.setAttribute("aria-pressed", hidden ? "true" : "false");
    };
    toggle.addEventListener("click", function () {
      hidden = !hidden;
      localStorage.setItem("examhall.timer-hidden", hidden ? "1" : "0");
      apply();
    });
    apply();
  }
  setDisabled(status === "paused");
  tick();
  setInterval(tick, 1000);
  setInterval(sync, 10000);
})();
