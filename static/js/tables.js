// On narrow screens list tables stack their cells; label each cell with its column's heading.
(function () {
  document.querySelectorAll("table.list").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (i > 0 && heads[i] && !cell.hasAttribute("data-label") && cell.colSpan === 1) {
          cell.setAttribute("data-label", heads[i]);
        }
      });
    });
  });
})();
