// Refresh a rotating event QR code at each 30-second boundary (server time decides the window).
(function () {
  var box = document.getElementById("qr");
  if (!box || !box.dataset.src) return;
  var src = box.dataset.src;
  function refresh() {
    fetch(src + "?t=" + Date.now(), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (svg) { box.innerHTML = svg; })
      .catch(function () { /* keep the old code; the grace window covers one miss */ });
  }
  var first = (parseInt(box.dataset.seconds, 10) || 30) * 1000 + 300;
  setTimeout(function () { refresh(); setInterval(refresh, 30000); }, first);
})();
