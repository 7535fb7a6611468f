// htmx feedback (loaded by base.html; no inline script under the CSP). While a request runs its
// target says so (aria-busy, dimmed by app.css; hx-indicator elements show). A request that fails
// says why next to where it was made and swaps nothing: an error page never lands in a table cell,
// and the region keeps its id for the next request. 422 answers are forms re-rendered with their
// errors and are swapped as usual. The sentences come from the script tag (data-*), translated.
(function () {
  "use strict";
  var script = document.currentScript;
  var words = {
    offline: script.getAttribute("data-send-error") || "The server could not be reached.",
    status: script.getAttribute("data-status-error") || "The request failed ({status})."
  };

  function place(detail) {
    return detail.target || detail.elt;
  }

  function say(detail, message) {
    var box = document.getElementById("htmx-failure");
    if (!box) {
      box = document.createElement("p");
      box.id = "htmx-failure";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
    }
    box.textContent = message;
    var anchor = place(detail);
    if (anchor && anchor.parentNode && anchor !== document.body) {
      anchor.parentNode.insertBefore(box, anchor);
    } else {
      (document.getElementById("main") || document.body).prepend(box);
    }
  }

  function clear() {
    var box = document.getElementById("htmx-failure");
    if (box) box.remove();
  }

  function serverMessage(xhr) {
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var found = doc.querySelector(".error-page .error") || doc.querySelector(".error");
      return found && found.textContent.trim();
    } catch (e) {
      return null;
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = place(event.detail);
    if (target && target.setAttribute) target.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var target = place(event.detail);
    if (target && target.removeAttribute) target.removeAttribute("aria-busy");
    var xhr = event.detail.xhr;
    if (event.detail.successful && xhr && xhr.status > 0 && (xhr.status < 400 || xhr.status === 422)) clear();
  });

  document.addEventListener("htmx:sendError", function (event) {
    say(event.detail, words.offline);
  });

  function failed(event) {
    var status = event.detail.xhr.status;
    if (status < 400 || status === 422) return false;
    event.detail.shouldSwap = false;
    say(event.detail, serverMessage(event.detail.xhr) || words.status.replace("{status}", String(status)));
    return true;
  }

  // base.html's htmx-config swaps every status, so failures arrive here…
  document.addEventListener("htmx:beforeSwap", failed);
  // …and here too, should that config ever mark them as errors.
  document.addEventListener("htmx:responseError", function (event) {
    if (!document.getElementById("htmx-failure")) failed(event);
  });
})();
