/* Before logging out of a browser that used the field app (it leaves the localStorage mark
   "cbpar-field"): if its outbox (IndexedDB "cbpar-field") holds records that were never sent,
   ask first, since logging out deletes them from this browser; then ask the server to clear
   the phone (the answer's Clear-Site-Data header empties the caches, IndexedDB and the service
   worker). Any other browser logs out at once, as before: nothing to warn about or clear. */
(function () {
  "use strict";

  var DB_NAME = "cbpar-field", STORE = "outbox", MARK = "cbpar-field";

  function usedFieldApp() {
    try { return window.localStorage.getItem(MARK) === "1"; } catch (error) { return false; }
  }

  function waiting() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(0); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {  // the same schema as js/field/outbox.js
        request.result.createObjectStore(STORE, { keyPath: "client_id" }).createIndex("project", "project");
      };
      request.onerror = function () { resolve(0); };
      request.onsuccess = function () {
        var db = request.result;
        try {
          var count = db.transaction(STORE, "readonly").objectStore(STORE).count();
          count.onsuccess = function () { db.close(); resolve(count.result); };
          count.onerror = function () { db.close(); resolve(0); };
        } catch (error) { db.close(); resolve(0); }
      };
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-logout]") || form.dataset.checked) { return; }
    if (!usedFieldApp()) { return; }
    event.preventDefault();
    waiting().then(function (count) {
      var question = (form.dataset.logout || "").replace("%(num)s", String(count));
      if (count && !window.confirm(question)) { return; }
      form.dataset.checked = "1";
      var clear = document.createElement("input");
      clear.type = "hidden";
      clear.name = "clear_device";
      clear.value = "1";
      form.appendChild(clear);
      form.submit();
    });
  });
})();
