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
