// Letter templates: <button data-insert="{{token}}" data-into="textarea-id"> puts the token at the
// cursor (replacing a selection) and tells htmx the text changed, so the preview follows. Without
// JavaScript the tokens stay listed beside the buttons, to be typed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-insert]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-into"));
  if (!field) return;
  var token = button.getAttribute("data-insert");
  var start = field.selectionStart, end = field.selectionEnd;
  if (typeof start !== "number") { start = end = field.value.length; }
  field.value = field.value.slice(0, start) + token + field.value.slice(end);
  field.focus();
  field.setSelectionRange(start + token.length, start + token.length);
  field.dispatchEvent(new Event("input", { bubbles: true }));
});
