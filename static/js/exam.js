/* examhall candidate page. Plain JavaScript, no libraries; without it the pages work as
   ordinary forms.

   Once a page has loaded, the whole paper is held here (GET /api/v1/attempt), so moving between
   questions, the navigator and the review page needs no network (history API). Answers and
   flags go to an outbox in localStorage, per attempt, and are sent in order when the network
   allows; a save refused because the exam is paused stays in the outbox and is sent after the
   resume. Room events (pause, resume, breaks, time added, close, re-admission, the clock's
   start) arrive over server-sent events. Strike-outs and the last place are kept in
   localStorage too, so a reload, a closed tab or a crashed browser loses nothing. */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var attemptId = (document.querySelector('meta[name="attempt-id"]') || {}).content || "x";
  var OUTBOX = "examhall.outbox." + attemptId;
  var SEQ = "examhall.seq." + attemptId;
  var STRUCK = "examhall.struck." + attemptId;
  var PLACE = "examhall.place." + attemptId;
  var WARNED = "examhall.warned." + attemptId;
  var RELOADED = "examhall.reloaded." + attemptId;
  var ACKED = "examhall.acked." + attemptId;      /* saves and flags the server acknowledged */
  var CLOCK = "examhall.clock." + attemptId;      /* what the server last said of the clock */
  var HIGHLIGHTS = "examhall.highlights." + attemptId;  /* per question: [start, end) in the stem's text */
  var READER = "examhall.line-reader";
  var OFFLINE_TEXT = "You are offline. Keep going: your answers are kept on this computer and will be sent when the connection returns.";

  var view = document.getElementById("exam-view");
  var timer = document.getElementById("timer");
  var networkEl = document.getElementById("network-status");
  var syncEl = document.getElementById("sync-state");
  var announcer = document.getElementById("announcer");
  var pausedBanner = document.getElementById("paused-banner");
  var breakForm = document.getElementById("break-form");
  var endBreakForm = document.getElementById("end-break-form");
  var paper = null;            /* GET /api/v1/attempt, with this computer's unsent changes */
  var status = timer ? timer.dataset.status : "submitted";
  var onBreak = pausedBanner ? !document.getElementById("end-break-form").hidden : false;
  var flushing = false;
  var heldByPause = false;     /* a save was refused for a pause: wait for the resume */
  var retryDelay = 1000;
  var offline = !navigator.onLine;
  /* Served by the service worker from its copy (the network failed): when it was kept. */
  var copyMeta = document.querySelector('meta[name="examhall-offline-copy"]');
  var copiedAt = copyMeta ? parseInt(copyMeta.content, 10) || 0 : null;

  /* ---------- storage ---------- */
  function load(key, fallback) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }
  function keep(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full: the live path still works */ }
  }
  function readOutbox() { return load(OUTBOX, []); }
  function writeOutbox(items) { keep(OUTBOX, items); updateSync(); }
  function nextSeq(serverSeq) {
    var seq = Math.max(load(SEQ, 0), serverSeq || 0) + 1;
    keep(SEQ, seq);
    return seq;
  }
  function struck() { return load(STRUCK, {}); }

  /* ---------- small DOM helpers (bank text always goes in as text, never as markup) ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (value === true) node.setAttribute(name, "");
      else node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function timeText(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toISOString().substring(11, 19) + " UTC";
  }
  function say(text) {
    var polite = document.getElementById("tool-announcer");
    if (!polite) {
      polite = el("div", { id: "tool-announcer", "class": "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
      document.body.appendChild(polite);
    }
    polite.textContent = "";
    setTimeout(function () { polite.textContent = text; }, 50);
  }

  /* ---------- the sync state: offline, waiting, all saved ---------- */
  /* Why the network banner shows what it shows ("offline", "busy", "refused"; "" otherwise): a
     retry that fails for the same reason leaves it be, so that a more particular message for
     that reason (you can submit once the connection returns) is not replaced by the general
     one a second later, nor the same words said again to a screen reader at every retry. */
  var networkCause = "";
  function showNetwork(text, cause) {
    if (!networkEl) return;
    networkCause = text ? (cause || "") : "";
    networkEl.textContent = text;
    networkEl.hidden = !text;
  }
  /* The banner for a cause, unless it already shows one for that cause. */
  function keepNetwork(text, cause) {
    if (!networkEl || networkEl.hidden || networkCause !== cause) showNetwork(text, cause);
  }
  function updateSync() {
    if (!syncEl) return;
    var waiting = readOutbox().length;
    syncEl.hidden = false;
    syncEl.classList.toggle("is-waiting", waiting > 0);
    if (!waiting) syncEl.textContent = "All answers saved";
    else if (heldByPause) syncEl.textContent = waiting + " waiting: sent when your exam resumes";
    else if (offline) syncEl.textContent = "Offline: " + waiting + " waiting to be sent";
    else syncEl.textContent = "Saving " + waiting + "\u2026";
  }
  /* Saves acknowledged on this page, by position: a paper fetched before one of them landed
     still shows it as saved. */
  var lastSaved = {};
  function setSaveStatus(position, text) {
    var form = document.getElementById("question-form");
    var statusEl = document.getElementById("save-status");
    if (form && statusEl && String(position) === form.dataset.position) statusEl.textContent = text;
  }
  function pendingText() {
    if (heldByPause) return "Kept on this computer: it will be saved when your exam resumes";
    return offline ? "Waiting to save: you are offline. Your answer is kept on this computer" : "Saving\u2026";
  }

  /* ---------- the outbox ---------- */
  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }
  function problemCode(response) {
    return response.json().then(function (p) { return String(p.type || "").split("/").pop(); }, function () { return ""; });
  }
  function send(item) {
    if (item.kind === "flag") return request("PUT", "/api/v1/attempt/flags/" + item.position, { flagged: item.flagged });
    return request("PUT", "/api/v1/attempt/answers/" + item.position, { option_id: item.option_id, seq: item.seq });
  }
  function drop(item) { writeOutbox(readOutbox().filter(function (x) { return x.key !== item.key; })); }
  function retryLater(text, saveText, cause) {
    flushing = false;
    keepNetwork(text, cause);
    updateSync();
    readOutbox().forEach(function (x) { if (x.kind === "answer") setSaveStatus(x.position, saveText); });
    setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }
  function signedOut(response) {
    return problemCode(response).then(function (code) {
      if (code === "signed-in-elsewhere") { writeOutbox([]); window.location.href = "/exam?moved=1"; }
      else window.location.href = "/exam";  /* the outbox is kept for the next sign-in here */
    });
  }
  function flush() {
    if (flushing || heldByPause) return;
    var items = readOutbox();
    updateSync();
    if (!items.length) return;
    flushing = true;
    var item = items[0];
    send(item).then(function (response) {
      if (response.status >= 500 || response.status === 429) {
        retryLater("The exam server is busy. Keep going: your answers are kept on this computer and will be sent in a moment.",
          "Waiting to save: the server is busy", "busy");
        return;
      }
      offline = false;
      if (response.ok) {
        return response.json().then(function (data) {
          flushing = false;
          drop(item);
          retryDelay = 1000;
          acknowledge(item, data);
          if (item.kind === "answer") {
            lastSaved[item.position] = { saved_at: data.saved_at, option_id: item.option_id };
            if (paper) {
              paper.items[item.position - 1].saved_at = data.saved_at;
              paper.items[item.position - 1].answer = item.option_id;
            }
            if (!readOutbox().some(function (x) { return x.kind === "answer" && x.position === item.position; })) setSaveStatus(item.position, "Saved " + timeText(data.saved_at));
          }
          if (!readOutbox().length) showNetwork(networkEl && !networkEl.hidden ? "Connection restored. All your answers are saved." : "");
          flush();
        });
      }
      flushing = false;
      if (response.status === 409) {
        return problemCode(response).then(function (code) {
          if (code === "attempt-paused") {
            /* Refused for a pause: keep it, and send it when the room event says resumed. */
            heldByPause = true;
            updateSync();
            setSaveStatus(item.position, pendingText());
            applyState({ status: "paused", on_break: onBreak });
            return;
          }
          writeOutbox([]);  /* submitted, voided or past the deadline: nothing more is taken */
          window.location.href = "/exam/done";
        });
      }
      if (response.status === 401) return signedOut(response);
      if (response.status === 403) {
        /* The session's token changed (signed in again in this browser): reload for the new
           one and send the same outbox. Once a minute at most: a second refusal waits. */
        var last = parseInt(sessionStorage.getItem(RELOADED) || "0", 10);
        if (Date.now() - last > 60000) {
          sessionStorage.setItem(RELOADED, String(Date.now()));
          window.location.reload();
          return;
        }
        retryLater("Your answers cannot be saved from this page. They are kept on this computer: tell your invigilator.",
          "Not saved yet: tell your invigilator", "refused");
        return;
      }
      drop(item);  /* any other 4xx will never succeed: keep the rest moving */
      flush();
    }).catch(function () {
      offline = true;
      retryLater(OFFLINE_TEXT, "Waiting to save: you are offline. Your answer is kept on this computer", "offline");
    });
  }
  function queueAnswer(position, optionId) {
    var item = paper ? paper.items[position - 1] : null;
    var form = document.getElementById("question-form");
    var serverSeq = item ? item.seq : parseInt((form && form.dataset.seq) || "0", 10) || 0;
    var seq = nextSeq(serverSeq);
    if (item) { item.answer = optionId; item.seq = seq; }
    var items = readOutbox().filter(function (x) { return !(x.kind === "answer" && x.position === position); });
    items.push({ kind: "answer", key: position + ":" + seq, position: position, option_id: optionId, seq: seq });
    writeOutbox(items);
    setSaveStatus(position, pendingText());
    markNavigator(position);
    flush();
  }
  function queueFlag(position, flagged) {
    if (paper) paper.items[position - 1].flagged = flagged;
    var items = readOutbox().filter(function (x) { return !(x.kind === "flag" && x.position === position); });
    items.push({ kind: "flag", key: "flag:" + position, position: position, flagged: flagged });
    writeOutbox(items);
    markNavigator(position);
    flush();
  }
  /* Acknowledged saves are remembered here too: a paper kept for offline use predates them. */
  function acknowledge(item, data) {
    var acked = load(ACKED, { a: {}, f: {} });
    if (item.kind === "flag") acked.f[item.position] = item.flagged;
    else acked.a[item.position] = { option_id: item.option_id, seq: item.seq, saved_at: data.saved_at };
    keep(ACKED, acked);
  }
  /* A kept copy of the paper takes what was acknowledged since; a fresh one makes those
     notes unneeded once it holds them. */
  function reconcileAcked(copy) {
    var acked = load(ACKED, { a: {}, f: {} });
    Object.keys(acked.a).forEach(function (position) {
      var q = paper.items[Number(position) - 1], mine = acked.a[position];
      if (!q) { delete acked.a[position]; return; }
      if (q.seq >= mine.seq) { if (!copy) delete acked.a[position]; return; }
      if (copy) { q.answer = mine.option_id; q.seq = mine.seq; q.saved_at = mine.saved_at; }
    });
    Object.keys(acked.f).forEach(function (position) {
      var q = paper.items[Number(position) - 1];
      if (!q) { delete acked.f[position]; return; }
      if (copy) q.flagged = acked.f[position];
      else if (q.flagged === acked.f[position]) delete acked.f[position];
    });
    keep(ACKED, acked);
  }
  /* What this computer has not yet sent wins over what the server last acknowledged. */
  function overlayOutbox() {
    readOutbox().forEach(function (x) {
      var item = paper.items[x.position - 1];
      if (!item) return;
      if (x.kind === "flag") item.flagged = x.flagged;
      else { item.answer = x.option_id; item.seq = Math.max(item.seq, x.seq); }
    });
  }

  /* ---------- rendering the paper ---------- */
  function isPending(position) {
    return readOutbox().some(function (x) { return x.kind === "answer" && x.position === position; });
  }
  function navItemState(q) {
    return { mark: (q.answer ? "\u2713" : "") + (q.flagged ? "\u2691" : ""),
             words: (q.answer ? "answered" : "not answered") + (q.flagged ? ", flagged" : "") };
  }
  function markNavigator(position) {
    if (!paper) return;
    var q = paper.items[position - 1];
    var link = document.querySelector('.nav-q[data-position="' + position + '"]');
    if (!link) return;
    var s = navItemState(q);
    link.classList.toggle("is-answered", !!q.answer);
    link.classList.toggle("is-flagged", !!q.flagged);
    link.querySelector(".nav-mark").textContent = s.mark;
    link.querySelector(".nav-state").textContent = s.words;
  }
  function navigatorEl(current) {
    var list = el("ol");
    paper.items.forEach(function (q) {
      var s = navItemState(q);
      list.appendChild(el("li", {}, [el("a", {
        href: "/exam/q/" + q.position, "class": "nav-q" + (q.answer ? " is-answered" : "") + (q.flagged ? " is-flagged" : ""),
        "data-position": q.position, "aria-current": q.position === current ? "page" : null
      }, [
        el("span", { "class": "nav-num", text: String(q.position) }),
        el("span", { "class": "nav-mark", "aria-hidden": "true", text: s.mark }),
        el("span", { "class": "visually-hidden nav-state", text: s.words })
      ])]));
    });
    return el("nav", { "class": "navigator", "aria-label": "Questions" }, [
      el("h2", { "class": "visually-hidden", text: "All questions" }),
      list,
      el("p", { "class": "nav-key" }, [
        el("span", { "aria-hidden": "true", text: "\u2713" }), " answered \u00b7 ",
        el("span", { "aria-hidden": "true", text: "\u2691" }), " flagged \u00b7 ",
        el("a", { href: "/exam/review", text: "Review all answers" })
      ])
    ]);
  }
  function hidden(name, value) { return el("input", { type: "hidden", name: name, value: value }); }
  function button(go, label, cls) {
    return el("button", { type: "submit", name: "go", value: go, "class": cls || null, text: label });
  }
  function renderQuestion(position) {
    var q = paper.items[position - 1];
    var total = paper.items.length;
    var marks = struck()[position] || [];
    var options = q.options.map(function (o, i) {
      var isStruck = marks.indexOf(o.id) >= 0;
      return el("div", { "class": "option" + (isStruck ? " is-struck" : "") }, [
        el("input", { type: "radio", id: "opt-" + o.id, name: "option", value: o.id, checked: q.answer === o.id }),
        el("label", { "for": "opt-" + o.id }, [
          el("span", { "class": "option-text", text: o.text }),
          el("span", { "class": "visually-hidden struck-note", text: isStruck ? " (struck out)" : "" })
        ]),
        el("button", { type: "button", "class": "strike secondary", "data-option": o.id, "aria-pressed": isStruck ? "true" : "false",
                       "aria-label": "Strike out option " + (i + 1) }, [
          el("span", { "aria-hidden": "true", text: "Strike out" })
        ])
      ]);
    });
    var saved = isPending(position) ? pendingText() : (q.answer && q.saved_at ? "Saved " + timeText(q.saved_at) : "");
    var form = el("form", { method: "post", action: "/exam/q/" + position, id: "question-form", "class": "question",
                            "data-position": position, "data-total": total }, [
      hidden("csrf_token", csrf),
      /* The form's default button, first in it: Enter in an answer or the flag goes forward
         (the first visible one is Previous); out of sight and of the tab order. */
      el("button", { type: "submit", name: "go", value: position < total ? "next" : "review", "class": "visually-hidden",
                     tabindex: "-1", "aria-hidden": "true", text: position < total ? "Next" : "Review answers" }),
      el("h1", { "class": "q-count", tabindex: "-1", text: "Question " + position + " of " + total }),
      el("fieldset", { "aria-describedby": "save-status" }, [el("legend", {}, [el("span", { "class": "stem", text: q.stem })])].concat(options)),
      el("p", { id: "save-status", "class": "save-status", role: "status", "aria-live": "polite", text: saved }),
      el("div", { "class": "flag" }, [
        el("input", { type: "checkbox", id: "flagged", name: "flagged", checked: !!q.flagged }),
        el("label", { "for": "flagged", text: "Flag this question to review later" })
      ]),
      el("div", { "class": "question-actions" }, [
        position > 1 ? button("previous", "Previous", "secondary") : null,
        position < total ? button("next", "Next") : null,
        button("review", "Review answers", "secondary")
      ])
    ]);
    replaceView("question", [form, navigatorEl(position)], "Question " + position + " of " + total);
  }
  function reviewList(questions) {
    if (!questions.length) return null;
    return el("ul", { "class": "review-list" }, questions.map(function (q) {
      return el("li", {}, [el("a", { href: "/exam/q/" + q.position, text: "Question " + q.position })]);
    }));
  }
  function renderReview() {
    var total = paper.items.length;
    var unanswered = paper.items.filter(function (q) { return !q.answer; });
    var flagged = paper.items.filter(function (q) { return q.flagged; });
    var answered = total - unanswered.length;
    replaceView("review", [
      el("h1", { tabindex: "-1", text: "Review your answers" }),
      el("p", { "class": "lead", text: "You have answered " + answered + " of " + total + " questions" + (flagged.length ? " and flagged " + flagged.length : "") + "." }),
      el("h2", { text: "Not answered" }),
      reviewList(unanswered) || el("p", { text: "None: every question has an answer." }),
      el("h2", { text: "Flagged for review" }),
      reviewList(flagged) || el("p", { text: "None." }),
      navigatorEl(0),
      el("p", {}, [el("a", { "class": "button", href: "/exam/submit", id: "finish-link", text: "Finish and submit" })])
    ], "Review your answers");
  }
  function replaceView(name, children, title) {
    view.textContent = "";
    view.className = name === "question" ? "exam-grid" : "";
    view.dataset.view = name;
    children.forEach(function (c) { if (c) view.appendChild(c); });
    document.title = title + " \u00b7 examhall";
    paintHighlights();
    var back = document.querySelectorAll('input[name="back"]');
    Array.prototype.forEach.call(back, function (input) { input.value = window.location.pathname; });
  }
  function route(path) {
    var match = /^\/exam\/q\/(\d+)$/.exec(path);
    if (match) {
      var n = parseInt(match[1], 10);
      /* A question with rich text or pictures is shown by the server's own page. */
      return n >= 1 && n <= paper.items.length && !paper.items[n - 1].rich ? { view: "question", position: n } : null;
    }
    return path === "/exam/review" ? { view: "review" } : null;
  }
  /* A selector for the control that has the focus, to find its twin in a redrawn view. */
  function focusKey() {
    var node = document.activeElement;
    if (!node || node === view || !view.contains(node)) return null;
    if (node.id) return "#" + CSS.escape(node.id);
    if (node.dataset.option) return 'button.strike[data-option="' + CSS.escape(node.dataset.option) + '"]';
    if (node.name && node.value) return node.tagName.toLowerCase() + '[name="' + CSS.escape(node.name) + '"][value="' + CSS.escape(node.value) + '"]';
    return null;
  }
  function show(path, how) {
    var where = route(path);
    if (!where) return false;
    if (how === "push") history.pushState({ exam: true }, "", path);
    else if (how === "replace") history.replaceState({ exam: true }, "", path);
    /* Redrawn in place (the paper arrived after the server's page, or the history moved):
       the candidate's focus stays on the same control, not thrown back to the page's top,
       so a keyboard or screen-reader user who was already choosing goes on choosing. */
    var focused = how === "none" ? focusKey() : null;
    if (where.view === "question") renderQuestion(where.position); else renderReview();
    keep(PLACE, path);
    if (how !== "none") {
      var heading = view.querySelector("h1");
      if (heading) heading.focus();
    } else if (focused) {
      var again = view.querySelector(focused);
      if (again) again.focus();
    }
    return true;
  }

  /* ---------- candidate tools: strike-out and the line reader ---------- */
  function toggleStrike(position, optionId, buttonEl) {
    var all = struck();
    var marks = all[position] || [];
    var on = marks.indexOf(optionId) < 0;
    all[position] = on ? marks.concat([optionId]) : marks.filter(function (x) { return x !== optionId; });
    keep(STRUCK, all);
    var option = buttonEl.closest(".option");
    option.classList.toggle("is-struck", on);
    option.querySelector(".struck-note").textContent = on ? " (struck out)" : "";
    buttonEl.setAttribute("aria-pressed", on ? "true" : "false");
    var text = option.querySelector(".option-text").textContent;
    say((on ? "Struck out: " : "Strike-out removed: ") + text + ". This is only a note for you; it is not an answer.");
  }

  var reader = { on: false, top: null, bottom: null, y: 200 };
  function placeReader(y) {
    if (!reader.on) return;
    var lineHeight = parseFloat(getComputedStyle(document.body).lineHeight) || 28;
    var band = lineHeight * 2;
    reader.y = Math.max(band / 2, Math.min(window.innerHeight - band / 2, y));
    reader.top.style.height = Math.max(0, reader.y - band / 2) + "px";
    reader.bottom.style.top = (reader.y + band / 2) + "px";
  }
  function setReader(on) {
    var toggle = document.getElementById("line-reader-toggle");
    reader.on = on;
    keep(READER, on);
    if (toggle) toggle.setAttribute("aria-pressed", on ? "true" : "false");
    if (on && !reader.top) {
      reader.top = el("div", { "class": "reading-mask reading-mask-top", "aria-hidden": "true" });
      reader.bottom = el("div", { "class": "reading-mask reading-mask-bottom", "aria-hidden": "true" });
      document.body.appendChild(reader.top);
      document.body.appendChild(reader.bottom);
    }
    if (reader.top) { reader.top.hidden = !on; reader.bottom.hidden = !on; }
    placeReader(reader.y);
  }
  function setUpTools() {
    var toggle = document.getElementById("line-reader-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      setReader(!reader.on);
      say(reader.on ? "Line reader on: it follows the pointer and the focus; Alt with the up and down arrows moves it." : "Line reader off.");
    });
    document.addEventListener("mousemove", function (e) { placeReader(e.clientY); });
    document.addEventListener("focusin", function (e) {
      if (!reader.on || !e.target.getBoundingClientRect) return;
      var r = e.target.getBoundingClientRect();
      placeReader(r.top + r.height / 2);
    });
    document.addEventListener("keydown", function (e) {
      if (!reader.on || !e.altKey || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
      e.preventDefault();
      var step = parseFloat(getComputedStyle(document.body).lineHeight) || 28;
      placeReader(reader.y + (e.key === "ArrowDown" ? step : -step));
    });
    window.addEventListener("resize", function () { placeReader(reader.y); });
    if (load(READER, false)) setReader(true);
  }

  /* ---------- the highlighter: the candidate's own marks in the stem, kept here only ---------- */
  var lastSelection = null;   /* the last words selected in the stem: a button press may clear the selection */
  function stemEl() { return document.querySelector("#question-form .stem"); }
  function offsetIn(root, node, offset) {
    var range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  /* A letter or digit, or an apostrophe between two of them (a quotation mark is not). */
  function inWord(text, i) {
    var c = text.charAt(i);
    if (/\w/.test(c)) return true;
    return (c === "'" || c === "\u2019") && /\w/.test(text.charAt(i - 1)) && /\w/.test(text.charAt(i + 1));
  }
  /* The part of the current selection inside the stem, as [start, end) of its text. */
  function stemSelection() {
    var stem = stemEl(), selection = window.getSelection();
    if (!stem || !selection || !selection.rangeCount || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!range.intersectsNode(stem)) return null;
    var whole = document.createRange();
    whole.selectNodeContents(stem);
    var start = range.compareBoundaryPoints(Range.START_TO_START, whole) <= 0 ? 0 : offsetIn(stem, range.startContainer, range.startOffset);
    var end = range.compareBoundaryPoints(Range.END_TO_END, whole) >= 0 ? stem.textContent.length : offsetIn(stem, range.endContainer, range.endOffset);
    var text = stem.textContent.substring(start, end);
    /* whole words only: a mark never splits a word ("centre's" and "don’t" are one word) */
    var all = stem.textContent;
    while (start > 0 && inWord(all, start - 1) && inWord(all, start)) start--;
    while (end < all.length && inWord(all, end - 1) && inWord(all, end)) end++;
    return /\S/.test(text) ? { position: currentPosition(), start: start, end: end } : null;
  }
  function merged(ranges) {
    var out = [];
    ranges.slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
      var last = out[out.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]); else out.push([r[0], r[1]]);
    });
    return out;
  }
  function without(ranges, cut) {
    var out = [];
    ranges.forEach(function (r) {
      if (r[1] <= cut[0] || r[0] >= cut[1]) { out.push(r); return; }
      if (r[0] < cut[0]) out.push([r[0], cut[0]]);
      if (r[1] > cut[1]) out.push([cut[1], r[1]]);
    });
    return out;
  }
  function highlightsHere() { return load(HIGHLIGHTS, {})[currentPosition()] || []; }
  /* Draw the marks: each stretch of text inside a <mark> (a "highlight" to screen readers). */
  function paintHighlights() {
    updateHighlightTools();
    var stem = stemEl();
    if (!stem) return;
    Array.prototype.forEach.call(stem.querySelectorAll("mark.hl"), function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
    });
    stem.normalize();
    var ranges = highlightsHere();
    if (!ranges.length) return;
    var walker = document.createTreeWalker(stem, NodeFilter.SHOW_TEXT), texts = [], at = 0, node;
    while ((node = walker.nextNode())) { texts.push({ node: node, start: at, end: at + node.length }); at += node.length; }
    texts.forEach(function (t) {
      var parts = ranges.filter(function (r) { return r[0] < t.end && r[1] > t.start; })
        .map(function (r) { return [Math.max(r[0], t.start) - t.start, Math.min(r[1], t.end) - t.start]; });
      for (var i = parts.length - 1; i >= 0; i--) {
        var piece = t.node, a = parts[i][0], b = parts[i][1];
        if (!/\S/.test(piece.data.substring(a, b))) continue;  /* never wrap the spaces between table cells */
        if (b < piece.length) piece.splitText(b);
        var middle = a > 0 ? piece.splitText(a) : piece;
        var mark = el("mark", { "class": "hl" });
        middle.parentNode.insertBefore(mark, middle);
        mark.appendChild(middle);
      }
    });
  }
  function updateHighlightTools() {
    var add = document.getElementById("highlight-button"), clear = document.getElementById("highlight-clear");
    if (!add) return;
    var here = !!stemEl() && !(view && view.hidden);
    add.hidden = !here;
    document.getElementById("highlight-hint").hidden = !here;
    clear.hidden = !here || !highlightsHere().length;
  }
  function toggleHighlight() {
    var chosen = stemSelection() || (lastSelection && lastSelection.position === currentPosition() ? lastSelection : null);
    if (!chosen) {
      say("Select words in the question first, then highlight them.");
      return;
    }
    var all = load(HIGHLIGHTS, {});
    var ranges = all[chosen.position] || [];
    var cut = [chosen.start, chosen.end];
    var covered = ranges.some(function (r) { return r[0] <= cut[0] && r[1] >= cut[1]; });
    all[chosen.position] = covered ? without(ranges, cut) : merged(ranges.concat([cut]));
    keep(HIGHLIGHTS, all);
    var text = stemEl().textContent.substring(cut[0], cut[1]).replace(/\s+/g, " ").trim();
    lastSelection = null;
    if (window.getSelection()) window.getSelection().removeAllRanges();
    paintHighlights();
    say((covered ? "Highlight removed: " : "Highlighted: ") + text + ". This is only a note for you; it is not an answer.");
  }
  function clearHighlights() {
    var all = load(HIGHLIGHTS, {});
    delete all[currentPosition()];
    keep(HIGHLIGHTS, all);
    paintHighlights();
    say("Highlights removed from this question.");
    var add = document.getElementById("highlight-button");
    if (add && !add.hidden) add.focus();
  }
  function setUpHighlighter() {
    var add = document.getElementById("highlight-button");
    if (!add) return;
    add.addEventListener("click", toggleHighlight);
    document.getElementById("highlight-clear").addEventListener("click", clearHighlights);
    document.addEventListener("selectionchange", function () {
      var chosen = stemSelection();
      if (chosen) lastSelection = chosen;
    });
    document.addEventListener("keydown", function (e) {
      if (e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && (e.key === "H" || e.key === "h" || e.code === "KeyH") && stemEl()) {
        e.preventDefault();
        toggleHighlight();
      }
    });
    paintHighlights();
  }

  /* ---------- events on the paper (delegated, so re-rendering keeps them) ---------- */
  function currentPosition() {
    var form = document.getElementById("question-form");
    return form ? parseInt(form.dataset.position, 10) : 0;
  }
  function setUpPaper() {
    view.addEventListener("change", function (event) {
      var target = event.target;
      var position = currentPosition();
      if (!position) return;
      if (target.name === "option") queueAnswer(position, target.value);
      if (target.name === "flagged") queueFlag(position, target.checked);
    });
    view.addEventListener("click", function (event) {
      var strike = event.target.closest("button.strike");
      if (strike) { toggleStrike(currentPosition(), strike.dataset.option, strike); return; }
      var link = event.target.closest("a[href]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var path = link.getAttribute("href");
      if (path === "/exam/submit" && (offline || readOutbox().length)) {
        event.preventDefault();
        showNetwork(offline ? "You are offline. You can submit once the connection returns; your answers are kept on this computer."
                            : "Some answers are still being saved. Wait for \u201cAll answers saved\u201d, then submit.",
                    offline ? "offline" : "saving");
        if (!offline) flush();
        return;
      }
      if (paper && route(path)) { event.preventDefault(); show(path, "push"); }
    });
    view.addEventListener("submit", function (event) {
      if (event.target.id !== "question-form" || !paper) return;
      event.preventDefault();  /* answers already travel through the outbox */
      var go = event.submitter ? event.submitter.value : "next";
      var position = currentPosition();
      var target = go === "review" ? "/exam/review"
        : "/exam/q/" + (go === "previous" ? Math.max(1, position - 1) : Math.min(paper.items.length, position + 1));
      if (!show(target, "push")) window.location.href = target;
    });
    window.addEventListener("popstate", function () {
      if (paper && !show(window.location.pathname, "none")) window.location.reload();
    });
  }
  /* Before the paper arrives (or if it cannot), the server's page still saves through the
     outbox; only moving on needs the network then. */
  function setUpServerForm() {
    var form = document.getElementById("question-form");
    if (!form) return;
    var position = parseInt(form.dataset.position, 10);
    readOutbox().forEach(function (x) {
      if (x.position !== position) return;
      if (x.kind === "flag") document.getElementById("flagged").checked = x.flagged;
      else {
        var radio = document.getElementById("opt-" + x.option_id);
        if (radio) radio.checked = true;
        setSaveStatus(position, pendingText());
      }
    });
  }
  /* The service worker keeps this paper, and the pages that cannot be drawn from it (those
     with pictures or tables) with their pictures, for a reload while offline. */
  function holdOffline(raw) {
    if (!navigator.serviceWorker || paper.status !== "in_progress") return;
    var pages = [];
    var here = window.location.pathname;
    if (/^\/exam\/(q\/\d+|review)$/.test(here)) pages.push(here);
    var plain = paper.items.filter(function (q) { return !q.rich; })[0];
    if (plain) pages.push("/exam/q/" + plain.position);  /* the shell for every plain question */
    paper.items.forEach(function (q) { if (q.rich) pages.push("/exam/q/" + q.position); });
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "hold", attempt: attemptId, paper: raw, pages: pages });
    }).catch(function () {});
  }
  function registerWorker() {
    if (!navigator.serviceWorker || !timer) return;
    navigator.serviceWorker.register("/exam/sw.js", { scope: "/exam" }).catch(function () { /* online only */ });
  }
  /* The server's own page (a question with pictures) shows what this computer knows. */
  function syncServerForm(path) {
    var form = document.getElementById("question-form");
    if (!form || route(path)) return;
    var position = parseInt(form.dataset.position, 10);
    var match = /^\/exam\/q\/(\d+)$/.exec(path);
    if (match && parseInt(match[1], 10) !== position) {
      /* The worker had only another page to offer for this one. */
      var n = parseInt(match[1], 10);
      replaceView("question", [
        el("div", { "class": "question" }, [
          el("h1", { "class": "q-count", tabindex: "-1", text: "Question " + n + " of " + paper.items.length }),
          el("p", { "class": "lead", text: "This question needs the connection: it opens when the connection returns. Your other questions are here, and your answers are kept on this computer." })
        ]),
        navigatorEl(n)
      ], "Question " + n + " of " + paper.items.length);
      return;
    }
    var q = paper.items[position - 1];
    if (!q) return;
    Array.prototype.forEach.call(form.querySelectorAll('input[name="option"]'), function (radio) { radio.checked = radio.value === q.answer; });
    var flagBox = document.getElementById("flagged");
    if (flagBox) flagBox.checked = !!q.flagged;
  }
  function loadPaper() {
    return fetch("/api/v1/attempt", { credentials: "same-origin" }).then(function (response) {
      if (response.status === 401) { signedOut(response); return null; }
      if (!response.ok) return null;
      var copy = !!response.headers.get("X-Examhall-Offline-Copy");
      return response.text().then(function (raw) { return { data: JSON.parse(raw), raw: raw, copy: copy }; });
    }).then(function (got) {
      if (!got) return;
      var data = got.data;
      paper = data;
      reconcileAcked(got.copy);
      if (!got.copy) holdOffline(got.raw);
      Object.keys(lastSaved).forEach(function (position) {
        /* acknowledged while this paper was on its way: the paper may predate it */
        var q = paper.items[Number(position) - 1], mine = lastSaved[position];
        if (q && (!q.saved_at || q.saved_at < mine.saved_at)) { q.answer = mine.option_id; q.saved_at = mine.saved_at; }
      });
      overlayOutbox();
      if (data.status === "not_started") return;
      var path = window.location.pathname;
      if (view.dataset.view === "instructions") {
        var place = load(PLACE, null);
        if (place && route(place)) show(place, "replace");
        return;
      }
      if (route(path)) show(path, "none");
      else syncServerForm(path);
    }).catch(function () { /* offline before the paper came: the server's page still works */ });
  }

  /* ---------- the clock and the room's state ---------- */
  var valueEl = document.getElementById("timer-value");
  var remaining = timer ? parseInt(timer.dataset.remaining, 10) : 0;
  var syncedAt = performance.now();
  function rememberClock() {
    keep(CLOCK, { remaining: remaining, status: status, on_break: onBreak, wall: Date.now() });
  }
  if (timer && copiedAt !== null) {
    /* A kept copy of the page: its clock is as old as the copy. What the server said last
       (here or on an earlier page) is newer, and the time since then has run. */
    var last = load(CLOCK, null);
    var base = last && last.wall > copiedAt ? last
      : { remaining: remaining, status: status, on_break: onBreak, wall: copiedAt };
    status = base.status;
    onBreak = !!base.on_break;
    remaining = base.remaining - (status === "in_progress" ? Math.max(0, (Date.now() - base.wall) / 1000) : 0);
    timer.dataset.status = status;
  } else if (timer) rememberClock();
  var warnings = timer && timer.dataset.warnings ? timer.dataset.warnings.split(",").map(Number) : [];
  var warned = load(WARNED, {});
  var submitting = false;
  var focusBeforePause = null;

  function format(s) {
    s = Math.max(0, Math.ceil(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
  }
  function left() {
    return status === "in_progress" ? remaining - (performance.now() - syncedAt) / 1000 : remaining;
  }
  /* Told once per threshold, in words that are true now: a page opened with 2:59 left hears
     "3 minutes left", never "5 minutes left". */
  function checkWarnings(s) {
    var crossed = warnings.filter(function (m) { return s <= m * 60 && !warned[m]; });
    if (!crossed.length || s <= 0) return;
    warnings.forEach(function (m) { if (s <= m * 60) warned[m] = true; });
    keep(WARNED, warned);
    var minutes = Math.max(1, Math.ceil(s / 60 - 0.05));
    announcer.textContent = minutes + (minutes === 1 ? " minute left." : " minutes left.");
    timer.classList.add("timer-warning");
  }
  /* This page's clock is a copy; the server's decides. At zero the page sends what it holds
     (the server takes saves in flight for a few seconds after the end) and asks the server,
     which submits the paper itself when its time is up ("timeout"), never the page: time added
     or a pause that this page did not hear of (its connection dropped) is time still to use. */
  function timeUp() {
    if (submitting) return;
    submitting = true;
    announcer.textContent = "Time is up. Your answers are being submitted.";
    /* No new answer after zero (the server's grace is for saves already on their way): the
       paper is inert while the server is asked, and comes back only if time is left. */
    if (view) view.inert = true;
    flush();
    setTimeout(confirmEnd, readOutbox().length ? 2500 : 500);
  }
  function confirmEnd() {
    checkClock().then(function () {
      if (status !== "in_progress") { submitting = false; return; }  /* ended, or paused */
      if (left() > 0) {
        submitting = false;
        if (view) view.inert = false;
        announcer.textContent = "";
        say("Your time is not up: the exam goes on. The clock shows the time you have left.");
        return;
      }
      setTimeout(confirmEnd, 3000);  /* the server ends it within its grace for saves */
    }).catch(function () { setTimeout(confirmEnd, 5000); });  /* offline: answers stay kept */
  }
  function tick() {
    if (!timer) return;
    var s = left();
    valueEl.textContent = format(s);
    if (status === "in_progress") {
      checkWarnings(s);
      if (s <= 0) timeUp();
    }
  }
  function setPaused(paused) {
    if (!pausedBanner) return;
    pausedBanner.hidden = !paused;
    document.getElementById("paused-title").textContent = onBreak ? "You are on a rest break" : "Your exam is paused";
    document.getElementById("paused-text").textContent = onBreak
      ? "Your time is not running and your paper is hidden until you return."
      : "Your invigilator has paused your exam. Your time is not running and your paper is hidden. Wait for the invigilator to resume it: any answer you gave is kept on this computer and saved then.";
    if (endBreakForm) endBreakForm.hidden = !(paused && onBreak);
    if (breakForm) breakForm.hidden = status !== "in_progress";
    if (view && view.dataset.view !== "instructions") view.hidden = paused || elsewhere;
    updateHighlightTools();
    if (paused && reader.on) setReader(false);
  }
  function applyState(data) {
    if (typeof data.remaining_seconds === "number") {
      remaining = data.remaining_seconds;
      syncedAt = performance.now();
    }
    var was = status, wasBreak = onBreak;
    status = data.status;
    onBreak = !!data.on_break;
    if (timer) { timer.dataset.status = status; rememberClock(); }
    if (status === "submitted") { window.location.href = "/exam/done"; return; }
    if (status === "voided") { window.location.reload(); return; }
    if (was !== status || wasBreak !== onBreak) {
      /* Where the keyboard was when the paper was hidden, to go back there (WCAG 2.4.3):
         hiding it drops the focus to the page's top. */
      if (status === "paused" && was !== "paused" && view && view.contains(document.activeElement)) {
        focusBeforePause = document.activeElement;
      }
      setPaused(status === "paused");
      if (status === "in_progress" && was === "paused") {
        heldByPause = false;
        say("Your exam has resumed. Your time is running.");
        if (paper && view && !view.querySelector("h1") && !show(load(PLACE, "/exam/q/1"), "replace")) window.location.reload();
        if (!paper && view && !view.querySelector("h1")) window.location.reload();
        var back = focusBeforePause && document.contains(focusBeforePause) ? focusBeforePause : (view && view.querySelector("h1"));
        focusBeforePause = null;
        if (back && (document.activeElement === document.body || !document.activeElement)) {
          if (back.tagName === "H1" && !back.hasAttribute("tabindex")) back.setAttribute("tabindex", "-1");
          back.focus();
        }
        flush();
      }
      if (status === "in_progress" && was === "not_started" && view && view.dataset.view === "instructions") {
        /* The reading time ran out (or Start was pressed elsewhere): the clock runs now. */
        if (!(paper && show("/exam/q/1", "push"))) window.location.href = "/exam/q/1";
      }
    }
    updateSync();
    tick();
  }
  function checkClock() {
    return fetch("/api/v1/attempt/clock", { credentials: "same-origin", headers: { "X-Examhall-Page": "1" } }).then(function (response) {
      if (response.status === 401) { signedOut(response); return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) { if (data) applyState(data); });
  }
  function listen() {
    if (!window.EventSource) { setInterval(function () { checkClock().catch(function () {}); }, 10000); return; }
    var source = new EventSource("/api/v1/attempt/events");
    source.addEventListener("state", function (e) { applyState(JSON.parse(e.data)); });
    source.addEventListener("moved", function () { source.close(); writeOutbox([]); window.location.href = "/exam?moved=1"; });
    source.addEventListener("open", function () { if (offline) { offline = false; flush(); } });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) return;  /* the browser reconnects itself */
      /* Refused (signed out, moved): find out why, then listen again. */
      checkClock().catch(function () {}).then(function () { setTimeout(listen, 5000); });
    });
  }

  function setUpBreakForms() {
    [[breakForm, "/api/v1/attempt/break"], [endBreakForm, "/api/v1/attempt/break/end"]].forEach(function (pair) {
      if (!pair[0]) return;
      pair[0].addEventListener("submit", function (event) {
        event.preventDefault();
        request("POST", pair[1]).then(function (response) {
          if (response.ok) return response.json().then(applyState);
          showNetwork("That was not done. Raise your hand and tell your invigilator.");
        }).catch(function () {
          showNetwork("A rest break needs the connection. Raise your hand and tell your invigilator.");
        });
      });
    });
  }

  /* ---------- one tab at a time ---------- */
  /* Two tabs of the same exam each showed their own clicks: the server held the last one
     sent, and the other tab showed a different answer as chosen. The newest tab is the one
     answered in; any other hides its paper and says so, with a way to take over. */
  var elsewhere = false;
  /* When this page was opened: of two tabs, the later opened is the one in use (two opened at
     the same moment, a restored session, must not both hide). */
  var openedAt = (performance.timeOrigin || Date.now()) + performance.now();
  var tabId = Math.random().toString(36).slice(2);
  var tabs = window.BroadcastChannel && view ? new BroadcastChannel("examhall.tab." + attemptId) : null;
  function usedElsewhere() {
    if (elsewhere) return;
    elsewhere = true;
    if (view) view.hidden = true;
    var box = el("div", { id: "other-tab", "class": "banner", role: "alert", tabindex: "-1" }, [
      el("h1", { text: "This exam is open in another tab or window" }),
      el("p", { text: "Answer it there: this one has hidden your paper so that the two never disagree. Your time keeps running." }),
      el("button", { type: "button", id: "use-this-tab", text: "Use this tab instead" })
    ]);
    view.parentNode.insertBefore(box, view);
    box.querySelector("button").addEventListener("click", function () {
      /* The reloaded page says it is the one in use; nothing is hidden elsewhere before it
         has loaded (offline without a kept copy, no tab would show the paper). */
      window.location.reload();
    });
    box.focus();
  }
  if (tabs) {
    tabs.onmessage = function (event) {
      var d = event.data;
      if (!d || d.kind !== "active" || d.tab === tabId) return;
      if (d.openedAt > openedAt) usedElsewhere();
      else if (!elsewhere) tabs.postMessage({ kind: "active", tab: tabId, openedAt: openedAt });  /* newer here */
    };
    tabs.postMessage({ kind: "active", tab: tabId, openedAt: openedAt });
    /* Back from the browser's back-forward cache: a page kept in memory, perhaps hidden by a
       tab since closed. Load it afresh: it then says it is the one in use. */
    window.addEventListener("pageshow", function (event) { if (event.persisted) window.location.reload(); });
  }

  /* ---------- start ---------- */
  window.addEventListener("online", function () { offline = false; retryDelay = 1000; flush(); });
  window.addEventListener("offline", function () {
    offline = true;
    keepNetwork(OFFLINE_TEXT, "offline");
    updateSync();
  });
  registerWorker();
  setUpServerForm();
  setUpTools();
  setUpHighlighter();
  setUpBreakForms();
  if (view) { setUpPaper(); loadPaper(); }
  if (view && /^\/exam\/(q\/\d+|review)$/.test(window.location.pathname)) keep(PLACE, window.location.pathname);
  flush();
  updateSync();
  if (!timer) return;
  var toggle = document.getElementById("timer-toggle");
  if (toggle) {
    toggle.hidden = false;
    var hide = load("examhall.timer-hidden", false);
    var apply = function () {
      valueEl.classList.toggle("visually-hidden", hide);
      toggle.textContent = hide ? "Show time" : "Hide time";
      toggle.setAttribute("aria-pressed", hide ? "true" : "false");
    };
    toggle.addEventListener("click", function () { hide = !hide; keep("examhall.timer-hidden", hide); apply(); });
    apply();
  }
  setPaused(status === "paused");
  tick();
  setInterval(tick, 1000);
  listen();
})();
