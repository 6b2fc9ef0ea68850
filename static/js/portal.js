// Small progressive enhancements on top of htmx. Every page works without this file.
(function () {
  "use strict";

  // The card an htmx request is about to replace, and its neighbours, so focus can land
  // somewhere sensible when the card comes back changed or goes away altogether.
  var pendingCard = null;
  // For each card, the action link ("Remove permissions", "Disconnect") that opened its form,
  // so Cancel or Save brings keyboard users back to where they started.
  var openers = {};

  function focusableTitle(card) {
    if (!card) {
      return null;
    }
    return card.querySelector(".app-card__title a") || card.querySelector(".app-card__title, h2");
  }

  function focusElement(element) {
    if (!element) {
      return false;
    }
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
    return document.activeElement === element;
  }

  function focusWasLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function nextCard(element, direction) {
    var sibling = element;
    while ((sibling = sibling[direction])) {
      if (sibling.matches(".app-card")) {
        return sibling;
      }
    }
    return null;
  }

  function restoreCardFocus() {
    var pending = pendingCard;
    pendingCard = null;
    if (!pending || !focusWasLost()) {
      return;
    }
    var card = document.getElementById(pending.id);
    if (card) {
      // The same card came back (saved, cancelled): return to the action that opened it.
      var opener = null;
      var href = openers[pending.id];
      card.querySelectorAll(".app-card__actions a[href]").forEach(function (link) {
        if (link.getAttribute("href") === href) {
          opener = link;
        }
      });
      focusElement(opener || focusableTitle(card));
      return;
    }
    // The card is gone (disconnected): continue with the next app, else the previous one,
    // else the list's own summary, rather than dropping focus back to the top of the page.
    var neighbour = [pending.next, pending.previous].filter(function (candidate) {
      return candidate && candidate.isConnected;
    })[0];
    if (neighbour) {
      focusElement(focusableTitle(neighbour));
      return;
    }
    focusElement(document.getElementById("app-list-count") || document.querySelector("h1"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var card = elt instanceof Element && elt.closest(".app-card__actions") && elt.closest(".app-card");
    if (card && card.id) {
      openers[card.id] = elt.getAttribute("href");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target instanceof Element && target.matches(".app-card") && event.detail.shouldSwap) {
      pendingCard = {
        id: target.id,
        next: nextCard(target, "nextElementSibling"),
        previous: nextCard(target, "previousElementSibling"),
      };
    }
  });

  // After htmx swaps new content in, move keyboard focus to the element the server marked,
  // so people using a keyboard or screen reader continue from what just changed instead of
  // being left on a button that no longer exists.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (root instanceof Element && root.isConnected) {
      var target = root.matches("[data-focus-after-swap]")
        ? root
        : root.querySelector("[data-focus-after-swap]");
      if (target) {
        focusElement(target);
      }
    }
    restoreCardFocus();
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
