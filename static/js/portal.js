// Small progressive enhancements on top of htmx. Every page works without this file.
(function () {
  "use strict";

  // After htmx swaps new content in, move keyboard focus to the element the server marked,
  // so people using a keyboard or screen reader continue from what just changed instead of
  // being left on a button that no longer exists.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!(root instanceof Element) || !root.isConnected) {
      return;
    }
    var target = root.matches("[data-focus-after-swap]")
      ? root
      : root.querySelector("[data-focus-after-swap]");
    if (!target) {
      return;
    }
    if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });

  // Tell assistive technology which region is being refreshed while a request runs.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target instanceof Element) {
      target.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target instanceof Element && target.isConnected) {
      target.setAttribute("aria-busy", "false");
    }
  });
})();
