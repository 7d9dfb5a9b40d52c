// Live preview while writing Markdown: the server renders and sanitizes; the page works without it.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function setup(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview"));
    if (!target || !target.getAttribute("data-preview-url")) return;
    var form = textarea.form;
    var tokenField = form && form.querySelector("input[name=csrf_token]");
    var pane = target.closest("[data-preview-pane]");
    var timer = null;
    var sent = 0;

    function render() {
      var body = new FormData();
      body.append("body", textarea.value);
      if (tokenField) body.append("csrf_token", tokenField.value);
      var mine = ++sent;
      fetch(target.getAttribute("data-preview-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenField ? tokenField.value : "" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          // The HTML was sanitized by the server (nh3), like every rendered memo.
          if (data && mine === sent) target.innerHTML = data.html;
        })
        .catch(function () { /* offline: the preview just waits */ });
    }

    if (pane) {
      pane.hidden = false;
      pane.parentElement.classList.add("has-preview");
    }
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, DELAY_MS);
    });
    render();
  }

  document.querySelectorAll("textarea[data-preview]").forEach(setup);
})();
