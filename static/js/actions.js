// Small page behaviours without inline script (the CSP forbids it):
// - <button data-print> prints the page;
// - a submit button or form with data-confirm="question" asks first, and submits only on OK.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], [data-confirm]") : null;
    if (!target) return;
    if (target.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
      return;
    }
    if (target.tagName === "BUTTON" || target.tagName === "INPUT") {
      if (!window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
    }
  });
})();
