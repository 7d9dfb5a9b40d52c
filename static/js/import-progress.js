// Import with progress: the import button posts the form to the streaming "run" address and the
// page shows each progress line (NDJSON), then opens the summary. Without fetch streams, or if
// the server does not answer with progress lines, the form is sent the ordinary way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-run]");
  var canStream =
    window.fetch && window.FormData && window.TextDecoder && window.ReadableStream &&
    window.Response && "body" in window.Response.prototype;
  if (!form || !canStream) return;
  var box = document.getElementById(form.getAttribute("data-import-progress"));
  var alertBox = document.querySelector("[data-import-error]");
  if (!box || !alertBox) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-import-text]");
  var lang = document.documentElement.lang || undefined;
  var running = false;
  var clicked = null;

  function number(n) {
    try {
      return Number(n).toLocaleString(lang);
    } catch (e) {
      return String(n);
    }
  }

  function setButtons(disabled) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
      button.disabled = disabled;
    });
  }

  function show(event) {
    var template = box.getAttribute(event.phase === "writing" ? "data-writing" : "data-checking");
    bar.max = Math.max(event.total, 1);
    bar.value = Math.min(event.done, bar.max);
    text.textContent = template
      .replace("{done}", number(event.done))
      .replace("{total}", number(event.total));
  }

  function fail(message) {
    running = false;
    box.hidden = true;
    setButtons(false);
    alertBox.textContent = message;
  }

  function sendOrdinarily() {
    // Nothing ran (log-in or form expired, no access...): the ordinary submit shows why.
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "action";
    field.value = "commit";
    form.appendChild(field);
    form.submit();
  }

  function run() {
    var finished = false;
    running = true;
    alertBox.textContent = "";
    bar.removeAttribute("value"); // indeterminate until the first line
    text.textContent = box.getAttribute("data-starting");
    box.hidden = false;
    var body = new FormData(form);
    setButtons(true);

    function handle(line) {
      if (!line.trim()) return;
      var event = JSON.parse(line);
      if (event.error) {
        finished = true;
        fail(event.error);
      } else if (event.done === true) {
        finished = true;
        bar.value = bar.max;
        window.location.assign(event.report_url);
      } else {
        show(event);
      }
    }

    fetch(form.getAttribute("data-import-run"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/x-ndjson" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/x-ndjson") !== 0 || !response.body) {
          sendOrdinarily();
          return null;
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              handle(buffer + decoder.decode());
              if (!finished) fail(box.getAttribute("data-lost"));
              return null;
            }
            buffer += decoder.decode(chunk.value, { stream: true });
            var lines = buffer.split("\n");
            buffer = lines.pop();
            lines.forEach(handle);
            return finished ? null : pump();
          });
        }
        return pump();
      })
      .catch(function () {
        if (!finished) fail(box.getAttribute("data-lost"));
      });
  }

  form.addEventListener("click", function (event) {
    clicked = event.target.closest ? event.target.closest("button") : null;
  });
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter || clicked;
    if (!submitter || submitter.name !== "action" || submitter.value !== "commit") return;
    event.preventDefault();
    if (!running) run();
  });
})();
