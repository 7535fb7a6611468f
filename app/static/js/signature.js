// The informed-consent signature pad: draw with a finger or mouse; the drawing goes into the
// hidden "drawn" input as a PNG data URL. Without script the typed signature still works.
(function () {
  var canvas = document.getElementById("signature-canvas");
  var output = document.getElementById("signature-data");
  if (!canvas || !output) { return; }
  var pad = canvas.parentElement;
  var context = canvas.getContext("2d");
  var drawing = false;
  context.lineWidth = 2;
  context.lineCap = "round";
  function toggle() {
    var chosen = document.querySelector("input[name=signature_kind]:checked");
    pad.hidden = !(chosen && chosen.value === "drawn");
  }
  document.querySelectorAll("input[name=signature_kind]").forEach(function (radio) {
    radio.addEventListener("change", toggle);
  });
  toggle();
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    var p = point(event);
    context.beginPath();
    context.moveTo(p[0], p[1]);
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    context.lineTo(p[0], p[1]);
    context.stroke();
  });
  canvas.addEventListener("pointerup", function () {
    drawing = false;
    output.value = canvas.toDataURL("image/png");
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    output.value = "";
  });
})();
