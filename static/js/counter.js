// Love supermarket counter: keep the scan field focused, read the card with the camera
// where the browser can (BarcodeDetector), and keep the basket's totals live.
// Everything here is an enhancement: the forms work without it.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // --- refusals: an optional beep, switched on per computer -------------------------
  var SOUND_KEY = "counter-sound";
  var soundOn = function () {
    try { return window.localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  };
  var soundToggle = document.getElementById("sound-toggle");
  if (soundToggle) {
    soundToggle.checked = soundOn();
    soundToggle.addEventListener("change", function () {
      try { window.localStorage.setItem(SOUND_KEY, soundToggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }
  var beep = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 220;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.35);
    } catch (e) { /* no audio: the colour and the icon still say it */ }
  };
  if (document.querySelector("[data-sound=refusal]") && soundOn()) beep();

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
    var cameraNote = document.getElementById("camera-note");
    var stream = null;
    var stopCamera = function () {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      camera.hidden = true;
    };
    // Where the camera cannot be read, say so and hand over to the photo of the card.
    var fallBack = function () {
      stopCamera();
      cameraBtn.hidden = true;
      if (cameraNote) cameraNote.hidden = false;
      var photoInput = document.getElementById("photo");
      if (photoInput) photoInput.focus();
    };
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && cameraBtn) {
      cameraBtn.hidden = false;
      cameraBtn.addEventListener("click", function () {
        Promise.all([
          makeReader(cameraBtn),
          navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        ]).then(function (both) {
          var read = both[0];
          stream = both[1];
          video.srcObject = stream;
          camera.hidden = false;
          return video.play().then(function () {
            var tick = function () {
              if (!stream) return;
              read(video).then(function (text) {
                if (text) {
                  code.value = text;
                  stopCamera();
                  scanForm.submit();
                } else {
                  setTimeout(tick, 150);
                }
              }).catch(function () { setTimeout(tick, 300); });
            };
            tick();
          });
        }).catch(fallBack);
      });
      stopBtn.addEventListener("click", stopCamera);
    }
  }

  // A QR reader for video frames: the browser's own (BarcodeDetector) where there is one,
  // else ZXing compiled to WebAssembly, loaded only now (static/vendor, from npm).
  function makeReader(button) {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function (frame) {
        return detector.detect(frame).then(function (codes) {
          return codes.length ? codes[0].rawValue : "";
        });
      });
    }
    return loadScript(button.getAttribute("data-reader-js")).then(function () {
      var zxing = window.ZXingWASM;
      var wasm = button.getAttribute("data-reader-wasm");
      return zxing.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? wasm : prefix + path; }
        },
        fireImmediately: true
      }).then(function () {
        var canvas = document.createElement("canvas");
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        return function (frame) {
          var w = frame.videoWidth, h = frame.videoHeight;
          if (!w || !h) return Promise.resolve("");
          var scale = Math.min(1, 800 / Math.max(w, h));
          canvas.width = Math.round(w * scale);
          canvas.height = Math.round(h * scale);
          ctx.drawImage(frame, 0, 0, canvas.width, canvas.height);
          var pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
          return zxing.readBarcodes(pixels, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 })
            .then(function (found) { return found.length && found[0].isValid ? found[0].text : ""; });
        };
      });
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (!src) { reject(new Error("no reader")); return; }
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
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
  var picked = document.getElementById("picked");
  var emptyText = document.getElementById("empty-basket-text");
  var showPicked = function () {
    if (!picked) return;
    picked.textContent = "";
    items.forEach(function (li) {
      var qty = parseInt(li.querySelector("input").value, 10) || 0;
      if (!qty) return;
      var span = document.createElement("span");
      span.className = "picked-item";
      span.textContent = li.getAttribute("data-name") + " × " + qty;
      picked.appendChild(span);
    });
    if (!picked.childNodes.length && emptyText) {
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = emptyText.content.textContent;
      picked.appendChild(none);
    }
  };
  var recompute = function () {
    var total = 0;
    items.forEach(function (li) {
      var input = li.querySelector("input");
      var qty = parseInt(input.value, 10) || 0;
      total += qty * parseInt(li.getAttribute("data-price"), 10);
      li.classList.toggle("picked", qty > 0);
    });
    showPicked();
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
  // --- finding a product: a barcode scanner (types the code, then Enter), or typing ---
  var finder = document.getElementById("barcode");
  var finderStatus = document.getElementById("barcode-status");
  var tabs = Array.prototype.slice.call(document.querySelectorAll("#category-tabs [data-category]"));
  var category = "";
  var filter = function () {
    var text = finder ? finder.value.trim().toLowerCase() : "";
    items.forEach(function (li) {
      var byText = !text || li.getAttribute("data-name").toLowerCase().indexOf(text) >= 0 ||
        li.getAttribute("data-barcode") === text;
      var byCategory = !category || li.getAttribute("data-category") === category;
      li.hidden = !(byText && byCategory);
    });
  };
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      category = tab.getAttribute("data-category");
      tabs.forEach(function (t) {
        t.classList.toggle("active", t === tab);
        t.setAttribute("aria-pressed", t === tab ? "true" : "false");
      });
      filter();
    });
  });
  // A USB scanner sits at a counter PC (a fine pointer); on a phone, focusing the field
  // would only pop up the keyboard over the goods.
  var atCounterPc = window.matchMedia && window.matchMedia("(pointer: fine)").matches;
  if (finder && atCounterPc) {
    // A scanner types wherever the focus is: bring it back to the product field after a tap.
    finder.focus();
    document.addEventListener("click", function () {
      setTimeout(function () {
        var active = document.activeElement;
        if (!active || (active.tagName !== "INPUT" && active.tagName !== "TEXTAREA")) finder.focus();
      }, 0);
    });
  }
  if (finder) {
    finder.addEventListener("input", filter);
    finder.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var text = finder.value.trim();
      if (!text) return;
      var hit = items.filter(function (li) { return li.getAttribute("data-barcode") === text; })[0];
      if (!hit) {
        var shown = items.filter(function (li) { return !li.hidden; });
        if (shown.length === 1) hit = shown[0];
      }
      if (hit) {
        var input = hit.querySelector("input");
        var before = parseInt(input.value, 10) || 0;
        setQty(hit, before + 1);
        var after = parseInt(input.value, 10) || 0;
        finderStatus.textContent = after > before
          ? hit.getAttribute("data-name") + " × " + after
          : (finder.getAttribute("data-none-left") || "") + " " + hit.getAttribute("data-name");
        finderStatus.className = after > before ? "hint" : "hint error";
      } else {
        finderStatus.textContent = (finder.getAttribute("data-unknown") || "?") + " " + text;
        finderStatus.className = "hint error";
      }
      finder.value = "";
      filter();
    });
  }

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
