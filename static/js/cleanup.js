// Disconnecting several apps: Cancel closes the confirmation in place, keeping the ticked rows.
// Without this file Cancel is a plain link back to the list, which works as well.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("[data-cleanup-cancel]");
    var panel = link && link.closest("#app-list #cleanup-panel");
    if (!panel) {
      return;
    }
    event.preventDefault();
    panel.replaceChildren();
    // Back to the button that opened it, so keyboard users continue where they were.
    var button = document.getElementById("cleanup-submit");
    if (button) {
      button.focus();
    }
  });
})();
