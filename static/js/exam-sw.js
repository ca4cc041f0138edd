/* examhall's service worker for the candidate's exam pages (served as /exam/sw.js, scope
   /exam). It lets a reload, a reopened tab or a crashed browser come back while the network is
   down, and never takes the network's place while it answers.

   - The exam's CSS and script: cache-first, in a cache named by this file's version (the
     server stamps it from the files' contents, so a new release replaces them whole).
   - The exam's pages and the candidate's paper (GET /api/v1/attempt): the network decides
     (the pause, the submit, the clock and the sign-in are the server's); the copy kept here is
     served only when the network fails or stalls, marked as a copy so the page knows.
   - The pictures on the paper: cache-first (their address is their content's hash).
   - Answers never pass through a cache: the page's own outbox sends them.

   One candidate at a time: the pages and paper are kept in a cache named by the attempt,
   filled only from responses the server marked as that attempt's (X-Examhall-Offline), and
   every other attempt's cache is deleted when one is kept. The sign-in page and the page
   after submitting delete them all, so the next candidate on this computer finds nothing. */
"use strict";

var VERSION = "__VERSION__";
var STATIC = "examhall-static-" + VERSION;
var PREFIX = "examhall-attempt-";
var ASSETS = ["/static/css/base.css", "/static/css/exam.css", "/static/js/exam.js"];
var PAGE = /^\/exam\/(start|review|q\/\d+)$/;
var QUESTION = /^\/exam\/q\/\d+$/;
var MEDIA = /^\/exam\/media\/[0-9a-f]{64}$/;
var FORGET = /^\/exam(\/done)?$/;
var MEDIA_IN_PAGE = /\/exam\/media\/[0-9a-f]{64}/g;
var PAPER = "/api/v1/attempt";
var STALL_MS = 5000;  /* a network that neither answers nor fails: serve the copy meanwhile */
/* A copy older than any sitting (a browser closed without signing out, the candidate gone) is
   never served: it is deleted, whoever asks. */
var MAX_AGE_MS = 8 * 3600 * 1000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("examhall-static-") === 0 && k !== STATIC; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

/* ---------- the one attempt whose copies this computer holds ---------- */
function attemptCaches() {
  return caches.keys().then(function (keys) { return keys.filter(function (k) { return k.indexOf(PREFIX) === 0; }); });
}
function current() {
  return attemptCaches().then(function (names) { return names.length ? caches.open(names[0]) : null; })
    .then(function (cache) {
      if (!cache) return null;
      return cache.match(PAPER).then(function (paper) {
        var at = paper ? parseInt(paper.headers.get("X-Examhall-Offline-Copy") || "0", 10) : Date.now();
        if (Date.now() - at < MAX_AGE_MS) return cache;
        return forget().then(function () { return null; });
      });
    });
}
function hold(attempt) {
  var name = PREFIX + attempt;
  return attemptCaches().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== name; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return caches.open(name); });
}
function forget() {
  return attemptCaches().then(function (names) { return Promise.all(names.map(function (n) { return caches.delete(n); })); });
}

function copyHeaders(response, extra) {
  var headers = new Headers();
  response.headers.forEach(function (value, name) { if (name !== "content-length") headers.set(name, value); });
  Object.keys(extra || {}).forEach(function (name) { headers.set(name, extra[name]); });
  return headers;
}
function stamped(response) {
  return response.blob().then(function (body) {
    return new Response(body, { status: response.status, statusText: response.statusText,
                                headers: copyHeaders(response, { "X-Examhall-Cached-At": String(Date.now()) }) });
  });
}
/* A kept page, marked so the page knows it is a copy (its clock is then taken from what this
   computer last heard from the server, see exam.js). */
function marked(response) {
  var at = response.headers.get("X-Examhall-Cached-At") || "0";
  return response.text().then(function (html) {
    var meta = '<meta name="examhall-offline-copy" content="' + at.replace(/\D/g, "") + '">';
    return new Response(html.replace("<head>", "<head>" + meta), { status: 200, headers: copyHeaders(response) });
  });
}
function offlinePage() {
  var html = '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>No connection \u00b7 examhall</title><link rel="stylesheet" href="/static/css/base.css"></head>' +
    '<body><main id="main" class="wrap"><h1>This computer has lost its connection</h1>' +
    '<p class="lead">This page needs the connection to the exam server. Any answer you gave is kept on this computer and is sent when the connection returns.</p>' +
    '<p>Raise your hand and tell your invigilator. When the connection is back, <a href="">open this page again</a>.</p>' +
    '</main></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}

/* ---------- pages: the network first, the copy when it fails ---------- */
function keep(response, path) {
  var attempt = response.headers.get("X-Examhall-Offline");
  if (!response.ok || response.type !== "basic" || !attempt || !/^\d+$/.test(attempt)) return Promise.resolve();
  return hold(attempt).then(function (cache) {
    return stamped(response).then(function (copy) { return cache.put(path, copy); });
  });
}
function cachedPage(path) {
  return current().then(function (cache) {
    if (!cache) return null;
    return cache.match(path).then(function (hit) {
      if (hit) return hit;
      /* Any question page is the shell: the page's script draws the question asked for from
         the kept paper (a question with pictures is kept whole, see warm). */
      return cache.keys().then(function (requests) {
        var shell = requests.filter(function (r) { return QUESTION.test(new URL(r.url).pathname); })[0];
        return shell ? cache.match(shell) : null;
      });
    });
  });
}
function page(request, path) {
  var network = fetch(request).then(function (response) {
    if (FORGET.test(path) && response.ok) return forget().then(function () { return response; });
    if (!PAGE.test(path)) return response;
    return keep(response.clone(), path).then(function () { return response; }, function () { return response; });
  });
  if (!PAGE.test(path)) return network.catch(offlinePage);
  return cachedPage(path).then(function (cached) {
    if (!cached) return network.catch(offlinePage);
    return new Promise(function (resolve) {
      var stall = setTimeout(function () { resolve(marked(cached)); }, STALL_MS);
      network.then(function (response) { clearTimeout(stall); resolve(response); },
                   function () { clearTimeout(stall); resolve(marked(cached)); });
    });
  });
}

/* ---------- the paper, the pictures, the static files ---------- */
function paper(request) {
  return fetch(request).catch(function (error) {
    return current().then(function (cache) { return cache ? cache.match(PAPER) : null; })
      .then(function (hit) { if (hit) return hit; throw error; });
  });
}
function media(request, path) {
  return current().then(function (cache) {
    return (cache ? cache.match(path) : Promise.resolve(null)).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (cache && response.ok) return cache.put(path, response.clone()).then(function () { return response; });
        return response;
      });
    });
  });
}
function fromStatic(request) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (path.indexOf("/static/") === 0) event.respondWith(fromStatic(request));
  else if (MEDIA.test(path)) event.respondWith(media(request, path));
  else if (path === PAPER && !url.search) event.respondWith(paper(request));
  else if (request.mode === "navigate" && (PAGE.test(path) || FORGET.test(path))) event.respondWith(page(request, path));
  /* everything else (answers, flags, the clock, the event stream): straight to the network */
});

/* ---------- what the page asks: keep this paper and these pages; forget ---------- */
function warmMedia(cache, html) {
  var found = html.match(MEDIA_IN_PAGE) || [];
  return found.reduce(function (chain, src) {
    return chain.then(function () {
      return cache.match(src).then(function (hit) {
        if (hit) return null;
        return fetch(src, { credentials: "same-origin", headers: { "X-Examhall-Warm": "1" } }).then(function (r) { return r.ok ? cache.put(src, r) : null; });
      });
    });
  }, Promise.resolve());
}
function warm(cache, attempt, pages) {
  /* One at a time: gentle on the server while a room signs in. */
  return pages.filter(function (p) { return PAGE.test(p); }).reduce(function (chain, path) {
    return chain.then(function () {
      return cache.match(path).then(function (hit) {
        if (hit) return hit.text();
        return fetch(path, { credentials: "same-origin", redirect: "error", headers: { "X-Examhall-Warm": "1" } }).then(function (response) {
          if (!response.ok || response.headers.get("X-Examhall-Offline") !== attempt) return "";
          return stamped(response.clone()).then(function (copy) { return cache.put(path, copy); })
            .then(function () { return response.text(); });
        });
      }).then(function (html) { return warmMedia(cache, html); }).catch(function () { /* the next one */ });
    });
  }, Promise.resolve());
}
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") { event.waitUntil(forget()); return; }
  if (data.type !== "hold" || !/^\d+$/.test(String(data.attempt)) || typeof data.paper !== "string") return;
  var attempt = String(data.attempt);
  event.waitUntil(hold(attempt).then(function (cache) {
    var copy = new Response(data.paper, { headers: { "Content-Type": "application/json",
                                                     "X-Examhall-Offline-Copy": String(Date.now()) } });
    return cache.put(PAPER, copy).then(function () { return warm(cache, attempt, data.pages || []); });
  }));
});
