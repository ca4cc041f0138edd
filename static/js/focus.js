/* Every page: one that opens with what went wrong (an error summary that can take the focus,
   tabindex="-1") puts the focus there, as GOV.UK's pattern does, so that a keyboard or
   screen-reader user starts at the problem, not at the top of the page. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) summary.focus();
})();
