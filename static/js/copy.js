// Copy buttons: <button data-copy="element-id" data-copied="Copied">; shown only when the
// browser can copy, so without JavaScript the text simply stays there to write down.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
}());
