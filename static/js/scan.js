// Organiser's scanner page: a USB scanner types the card's code into the focused field and
// presses Enter; on phones with BarcodeDetector a camera button scans too. The list of who
// is here is polled from a small JSON endpoint.
(function () {
  var form = document.getElementById("scan-form");
  var input = document.getElementById("code");
  var out = document.getElementById("scan-result");
  var list = document.getElementById("present");
  var count = document.getElementById("present-count");
  var busy = false;

  function show(text, ok) {
    out.textContent = text;
    out.className = "big " + (ok ? "scan-ok" : "scan-err");
  }

  function submit(code) {
    if (busy || !code) return;
    busy = true;
    var body = new FormData(form);
    body.set("code", code);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (res[0]) { show(res[1].message, true); poll(); }
        else { show(res[1].error ? res[1].error.message : "?", false); }
      })
      .catch(function () { show(form.dataset.offline || "…", false); })
      .then(function () { busy = false; input.value = ""; input.focus(); });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); submit(input.value.trim()); });

  function poll() {
    fetch(list.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        count.textContent = data.count;
        list.innerHTML = "";
        data.present.forEach(function (p) {
          var li = document.createElement("li");
          li.textContent = p.name + " ";
          var s = document.createElement("span");
          s.className = "muted small";
          s.textContent = p.since;
          li.appendChild(s);
          list.appendChild(li);
        });
      })
      .catch(function () {});
  }
  setInterval(poll, 5000);

  var camera = document.getElementById("camera");
  var video = document.getElementById("preview");
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    camera.hidden = false;
    camera.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream; video.hidden = false; video.play();
          var last = "";
          var timer = setInterval(function () {
            detector.detect(video).then(function (codes) {
              if (codes.length && codes[0].rawValue !== last) {
                last = codes[0].rawValue;
                submit(last);
                setTimeout(function () { last = ""; }, 3000);
              }
            }).catch(function () {});
          }, 400);
          camera.onclick = function () {
            clearInterval(timer);
            stream.getTracks().forEach(function (t) { t.stop(); });
            video.hidden = true;
          };
        })
        .catch(function () { camera.hidden = true; });
    });
  }
})();
