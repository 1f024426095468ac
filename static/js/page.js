// Behaviour every page may use, declared in the markup with data- attributes, so that the
// Content-Security-Policy can forbid inline scripts and on*= handlers.
//   data-confirm="Question?"  on a button or link: ask first, do nothing on "Cancel"
//   data-print                on a button: print the page
//   data-back                 on a link: go back in history (the href is the fallback)
//   data-once                 on a submit button: disable it once its form is sent
(function () {
  "use strict";
  function targetOf(event) {
    return event.target instanceof Element ? event.target : null;
  }
  // In the capture phase, before any other handler: "Cancel" stops everything.
  document.addEventListener("click", function (event) {
    var target = targetOf(event);
    var asking = target && target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var target = targetOf(event);
    if (!target) { return; }
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    if (target.closest("[data-back]") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  // A second tap would be harmless (the form carries a one-time key); this only avoids the wait.
  document.querySelectorAll("form button[data-once]").forEach(function (button) {
    if (!button.form) { return; }
    button.form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
