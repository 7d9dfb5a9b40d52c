// New vote round: the approval limit only matters for the approval method, so it is shown only
// then. Without JavaScript the field stays, with a hint that the other methods ignore it.
(function () {
  "use strict";
  var method = document.getElementById("method");
  var limit = document.getElementById("approval-limit-field");
  if (!method || !limit) { return; }
  function sync() { limit.hidden = method.value !== "approval"; }
  method.addEventListener("change", sync);
  sync();
}());
