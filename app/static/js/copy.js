// Copy buttons: <button data-copy="input-id">. Progressive: the field stays selectable without JS.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.getElementById(button.getAttribute("data-copy"));
  input.select();
  (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.resolve(document.execCommand("copy")))
    .then(function () { button.textContent = "✓"; });
});
