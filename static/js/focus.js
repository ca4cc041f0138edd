/* Every page: one that opens with what went wrong (an error summary that can take the focus,
   tabindex="-1") puts the focus there, as GOV.UK's pattern does, so that a keyboard or
   screen-reader user starts at the problem, not at the top of the page. Otherwise one that
   opens with the outcome of what was just done (a success banner, data-once) puts the focus
   there, so that it is heard, and drops the query that showed it (?done=..., ?remarked=...),
   so that a reload or a bookmark does not say it again. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) {
    summary.focus();
    return;
  }
  var preview = document.querySelector("[data-preview][tabindex]");  // what an action would do
  if (preview) {
    preview.focus();
    return;
  }
  var done = document.querySelector("[data-once][tabindex]");
  if (!done) return;
  done.focus();
  var url = new URL(window.location.href);
  ["done", "remarked", "ended"].forEach(function (name) { url.searchParams.delete(name); });
  if (url.href !== window.location.href) window.history.replaceState(null, "", url.href);
})();
