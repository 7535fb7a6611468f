// A confirmation (<details class="confirm">) opened near the bottom of the screen shows its
// question and button: the page scrolls just enough to bring the opened box into view. Without
// script the box opens as before and the page can be scrolled by hand.
document.addEventListener("toggle", function (event) {
  var box = event.target;
  if (box.open && box.matches && box.matches("details.confirm")) {
    box.scrollIntoView({block: "nearest", behavior: "smooth"});
  }
}, true);  // toggle does not bubble: listen while it goes down
