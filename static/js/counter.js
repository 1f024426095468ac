// Love supermarket counter: keep the scan field focused, read the card with the camera
// where the browser can (BarcodeDetector), and keep the basket's totals live.
// Everything here is an enhancement: the forms work without it.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // --- scanning -------------------------------------------------------------------
  var code = document.getElementById("code");
  var scanForm = document.getElementById("scan-form");
  if (code && scanForm) {
    var refocus = function () {
      var active = document.activeElement;
      if (!active || active === document.body) code.focus();
    };
    code.focus();
    window.addEventListener("focus", refocus);
    document.addEventListener("click", function () { setTimeout(refocus, 0); });

    var cameraBtn = document.getElementById("camera-btn");
    var camera = document.getElementById("camera");
    var video = document.getElementById("camera-video");
    var stopBtn = document.getElementById("camera-stop");
    var stream = null;
    var stopCamera = function () {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      camera.hidden = true;
    };
    if ("BarcodeDetector" in window && navigator.mediaDevices && cameraBtn) {
      cameraBtn.hidden = false;
      cameraBtn.addEventListener("click", function () {
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
          .then(function (s) {
            stream = s;
            video.srcObject = s;
            camera.hidden = false;
            return video.play();
          })
          .then(function () {
            var tick = function () {
              if (!stream) return;
              detector.detect(video).then(function (codes) {
                if (codes.length && codes[0].rawValue) {
                  code.value = codes[0].rawValue;
                  stopCamera();
                  scanForm.submit();
                } else {
                  setTimeout(tick, 150);
                }
              }).catch(function () { setTimeout(tick, 300); });
            };
            tick();
          })
          .catch(function () { stopCamera(); cameraBtn.hidden = true; });
      });
      stopBtn.addEventListener("click", stopCamera);
    }
  }
  var photo = document.getElementById("photo");
  if (photo) {
    var photoSubmit = document.getElementById("photo-submit");
    if (photoSubmit) photoSubmit.hidden = true;
    photo.addEventListener("change", function () {
      if (photo.files && photo.files.length) photo.form.submit();
    });
  }

  // --- the basket -----------------------------------------------------------------
  var basket = document.getElementById("basket");
  if (!basket) return;
  var household = document.getElementById("household");
  var balance = parseInt(household.getAttribute("data-balance"), 10) || 0;
  var monthLeftRaw = household.getAttribute("data-points-left");
  var monthLeft = monthLeftRaw === "" ? null : parseInt(monthLeftRaw, 10);
  var totalEl = document.getElementById("total");
  var leftEl = document.getElementById("left");
  var missingEl = document.getElementById("missing");
  var missingN = document.getElementById("missing-n");
  var confirmBtn = document.getElementById("confirm-btn");
  var updateBtn = document.getElementById("update-btn");
  if (updateBtn) updateBtn.hidden = true;

  var items = Array.prototype.slice.call(basket.querySelectorAll("li.product"));
  var recompute = function () {
    var total = 0;
    items.forEach(function (li) {
      var input = li.querySelector("input");
      var qty = parseInt(input.value, 10) || 0;
      total += qty * parseInt(li.getAttribute("data-price"), 10);
      li.classList.toggle("picked", qty > 0);
    });
    var cap = monthLeft === null ? balance : Math.min(balance, monthLeft);
    totalEl.textContent = total;
    leftEl.textContent = balance - total;
    missingEl.hidden = total <= cap;
    missingN.textContent = total - cap;
    confirmBtn.disabled = total === 0 || total > cap;
  };
  var setQty = function (li, qty) {
    var max = parseInt(li.getAttribute("data-max"), 10) || 0;
    var input = li.querySelector("input");
    input.value = Math.max(0, Math.min(max, qty));
    recompute();
  };
  items.forEach(function (li) {
    var input = li.querySelector("input");
    var current = function () { return parseInt(input.value, 10) || 0; };
    li.querySelector(".product-tap").addEventListener("click", function () { setQty(li, current() + 1); });
    li.querySelector(".qty-plus").addEventListener("click", function () { setQty(li, current() + 1); });
    li.querySelector(".qty-minus").addEventListener("click", function () { setQty(li, current() - 1); });
    input.addEventListener("input", function () { setQty(li, current()); });
  });
  basket.addEventListener("keydown", function (event) {
    // Enter in a quantity box must not confirm the basket by accident.
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });
  var sent = false;
  basket.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    confirmBtn.setAttribute("aria-busy", "true");
  });
  recompute();
})();
