// Copy buttons: <button data-copy="input-id" [data-copied="Tersalin"]>. Progressive: the field stays selectable without JS.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.getElementById(button.getAttribute("data-copy"));
  input.select();
  (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.resolve(document.execCommand("copy")))
    .then(function () {  // a word, not a check mark some phone fonts lack
      button.textContent = button.getAttribute("data-copied") || (document.documentElement.lang === "en" ? "Copied" : "Tersalin");
    });
});
