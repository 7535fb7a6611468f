// Check-in by camera: the browser's BarcodeDetector reads a ticket's QR code and submits the
// check-in form with it. Where the browser has no BarcodeDetector (or no camera) the button stays
// hidden and the code or NIM is typed instead. No scanner library; no inline script (CSP).
(function () {
  var stream = null, last = "", lastAt = 0;

  function parts() {
    var box = document.querySelector("[data-scanner]");
    return box && {box: box, button: box.querySelector("[data-scan-camera]"),
                   video: box.querySelector("[data-scan-video]"), message: box.querySelector("[data-scan-message]")};
  }

  function say(p, text) { p.message.textContent = text; p.message.hidden = !text; }

  function submit(code) {
    var form = document.getElementById("scan-form");
    if (!form) return;
    form.querySelector("input[name=code]").value = code;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function stop(p) {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    p.video.hidden = true;
    p.button.textContent = p.button.getAttribute("data-start-label");
  }

  function start(p) {
    var detector = new window.BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (s) {
      stream = s;
      p.video.srcObject = s;
      p.video.hidden = false;
      p.video.play();
      p.button.textContent = p.button.getAttribute("data-stop-label");
      var tick = function () {
        if (!stream) return;
        detector.detect(p.video).then(function (codes) {
          var now = Date.now();
          if (codes.length && (codes[0].rawValue !== last || now - lastAt > 4000)) {
            last = codes[0].rawValue; lastAt = now;
            submit(last);
          }
        }).catch(function () {}).then(function () { setTimeout(tick, 250); });
      };
      tick();
    }).catch(function () { say(p, p.box.getAttribute("data-not-supported")); stop(p); });
  }

  function init() {
    var p = parts();
    if (!p || p.button.getAttribute("data-ready")) return;
    p.button.setAttribute("data-ready", "1");
    p.button.setAttribute("data-start-label", p.button.textContent);
    p.button.setAttribute("data-stop-label", document.documentElement.lang === "en" ? "Stop camera" : "Matikan kamera");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    p.button.hidden = false;
    p.button.addEventListener("click", function () { if (stream) stop(p); else start(p); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
