// First-run hints on the overview: <aside class="hint" data-hint="project:key"> with a hidden
// <button class="hint-dismiss">. With JavaScript the button shows, and a dismissed hint stays
// hidden on this browser (localStorage). Without it, or without storage, the hint stays.
(function () {
  "use strict";
  var KEY = "cbpar.dismissedHints";
  var storage;
  try {
    storage = window.localStorage;
    storage.getItem(KEY);
  } catch (e) {
    return; // storage refused (private mode, policy): keep the hints and no button
  }
  function dismissed() {
    try { return JSON.parse(storage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  Array.prototype.forEach.call(document.querySelectorAll("aside.hint[data-hint]"), function (hint) {
    var id = hint.getAttribute("data-hint");
    if (dismissed().indexOf(id) !== -1) {
      hint.hidden = true;
      return;
    }
    var button = hint.querySelector("button.hint-dismiss");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var list = dismissed();
      if (list.indexOf(id) === -1) { list.push(id); }
      try { storage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* full: hide for now */ }
      hint.hidden = true;
      // Keep keyboard users in place: focus moves to the page's heading area.
      var main = document.getElementById("main");
      if (main) { main.focus(); }
    });
  });
}());
