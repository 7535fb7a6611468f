// htmx requests that fail (no connection, a timeout, a server error) say so in the page's
// [id=request-failed] message instead of doing nothing; the next request hides it again.
(function () {
  function box() { return document.getElementById("request-failed"); }
  function show() { var el = box(); if (el) el.hidden = false; }
  document.addEventListener("htmx:beforeRequest", function () { var el = box(); if (el) el.hidden = true; });
  document.addEventListener("htmx:sendError", show);
  document.addEventListener("htmx:timeout", show);
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status >= 500) { event.detail.shouldSwap = false; show(); }
  });
})();
