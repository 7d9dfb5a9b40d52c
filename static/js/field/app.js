/* The field app's page: its forms save to the outbox (js/field/outbox.js) instead of posting,
   the count of records waiting is always shown, and the outbox is sent when the network
   returns ("online"), when the page opens with a network, and on "Sync now". The service
   worker (/sw.js) is registered here and asked to keep this page and its lists for offline
   use; the lists (villages, households, children, programmes) fill the forms' choices and
   the offline map. */
(function (global) {
  "use strict";

  var root = document.getElementById("field-app");
  var configNode = document.getElementById("field-config");
  if (!root || !configNode || !global.cbparOutbox) { return; }
  var config = JSON.parse(configNode.textContent);
  var text = config.text, urls = config.urls, slug = config.slug;
  var outbox = global.cbparOutbox;
  var data = { villages: [], facilities: [], households: [], children: [], programmes: [] };
  var syncing = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = content; }
    if (className) { node.className = className; }
    return node;
  }
  function say(message) { $("field-message").textContent = message || ""; }

  /* --- sections ------------------------------------------------------------------------- */

  var sections = Array.prototype.slice.call(root.querySelectorAll("[data-section]"));
  function showSection() {
    var id = (location.hash || "#household").slice(1);
    if (!sections.some(function (s) { return s.id === id; })) { id = "household"; }
    sections.forEach(function (s) { s.hidden = s.id !== id; });
    if (id === "map") { drawMap(); }
  }
  global.addEventListener("hashchange", showSection);

  /* --- the outbox on the page ----------------------------------------------------------- */

  function statusText(record) {
    return record.status === "refused" ? text.refused
      : record.status === "conflict" ? text.conflict : text.waiting;
  }

  function refresh() {
    return outbox.list(slug).then(function (records) {
      $("outbox-count").textContent = String(records.length);
      root.dataset.waiting = String(records.length);
      var list = $("outbox-list");
      list.textContent = "";
      records.forEach(function (record) {
        var item = el("li", null, "outbox-item status-" + record.status);
        item.appendChild(el("strong", (text[record.kind] || record.kind) + " "));
        item.appendChild(el("span", record.label || ""));
        if (record.files && record.files.length) {
          item.appendChild(el("span", " · " + record.files.length + " " + text.files));
        }
        item.appendChild(el("span", " · " + statusText(record), "help"));
        if (record.message) { item.appendChild(el("p", record.message, "error")); }
        if (record.status === "conflict" && record.server) {
          var both = el("details");
          both.appendChild(el("summary", text.conflict));
          both.appendChild(el("pre", JSON.stringify(record.body, null, 1)));
          both.appendChild(el("pre", JSON.stringify(record.server, null, 1)));
          item.appendChild(both);
        }
        if (record.status !== "created") {
          var edit = el("button", text.edit, "secondary");
          edit.type = "button";
          edit.addEventListener("click", function () { editRecord(record); });
          item.appendChild(edit);
        }
        var remove = el("button", text.remove, "secondary danger-outline");
        remove.type = "button";
        remove.addEventListener("click", function () {
          if (global.confirm(text.removeQuestion)) { outbox.remove(record.client_id).then(refresh); }
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
      if (!document.getElementById("map").hidden) { drawMap(records); }
      return records;
    });
  }

  function network() {
    $("network-state").textContent = navigator.onLine ? "" : text.offline;
  }

  function sync() {
    if (syncing) { return syncing; }
    if (!navigator.onLine) { network(); return Promise.resolve(null); }
    say(text.sending);
    root.dataset.syncing = "1";
    var shown = 0;
    var progress = function (result) {  // the count as it falls, redrawn at most every second
      var now = Date.now();
      if (now - shown < 1000) { return; }
      shown = now;
      outbox.count(slug).then(function (n) { $("outbox-count").textContent = String(n); });
    };
    syncing = outbox.sync(slug, { tokenUrl: urls.token, apiBase: urls.api, progress: progress })
      .then(function (result) {
        return refresh().then(function (left) {
          if (result.stopped === "login") { say(text.loginAgain); }
          else if (result.stopped) { say(text.offline); }
          else if (!left.length) { say(text.sent); }
          else { say(""); }
          if (result.sent) { loadData(); }
          return result;
        });
      })
      .catch(function (error) { say(String(error)); })
      .then(function (result) { syncing = null; delete root.dataset.syncing; return result; });
    return syncing;
  }
  global.cbparFieldApp = { sync: sync, refresh: refresh };

  /* --- the lists kept for offline use ------------------------------------------------------ */

  function option(value, label) { var o = el("option", label); o.value = value; return o; }

  function fillLists() {
    var codes = $("household-codes");
    codes.textContent = "";
    data.households.forEach(function (h) { codes.appendChild(option(h.code, h.code)); });
    var code = root.querySelector("#interview-household_code");
    if (code) { code.setAttribute("list", "household-codes"); }
    var children = root.querySelector("[data-children]");
    children.textContent = "";
    children.appendChild(option("", "—"));
    data.children.forEach(function (c) { children.appendChild(option(String(c.id), c.code + " (" + c.household_code + ")")); });
    var programmes = root.querySelector("[data-programmes]");
    programmes.textContent = "";
    programmes.appendChild(option("", "—"));
    data.programmes.forEach(function (p) { programmes.appendChild(option(String(p.id), p.name)); });
    prefill();
  }

  function loadData() {
    return fetch(urls.data, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (body) {
        data = body;
        global.cbparFieldData = body;
        fillLists();
        if (!$("map").hidden) { drawMap(); }
      })
      .catch(function () { network(); });
  }

  function drawMap(records) {
    var draw = function (rows) {
      var unsent = rows.filter(function (r) { return r.point; }).map(function (r) { return r.point; });
      global.cbparFieldMap.draw($("field-map"), data, unsent);
    };
    if (records) { draw(records); } else { outbox.list(slug).then(draw); }
  }

  function attendanceFor(programmeId) {
    var box = root.querySelector("[data-attendance]");
    box.textContent = "";
    var programme = data.programmes.filter(function (p) { return String(p.id) === programmeId; })[0];
    var byId = {};
    data.children.forEach(function (c) { byId[c.id] = c; });
    if (!programme || !programme.enrolled.length) { box.appendChild(el("p", text.noChildren, "help")); return; }
    programme.enrolled.forEach(function (childId) {
      var child = byId[childId];
      var label = el("label", null, "check");
      var box2 = el("input");
      box2.type = "checkbox";
      box2.name = "att-" + childId;
      box2.value = String(childId);
      label.appendChild(box2);
      label.appendChild(document.createTextNode(" " + (child ? child.code : childId)));
      box.appendChild(label);
    });
  }
  root.querySelector("[data-programmes]").addEventListener("change", function (event) {
    attendanceFor(event.target.value);
  });

  function prefill() {
    var params = new URLSearchParams(location.search);
    if (params.get("household")) {
      var code = root.querySelector("#interview-household_code");
      var kind = root.querySelector("#interview-kind");
      if (code && !code.value) { code.value = params.get("household"); }
      if (kind) { kind.value = "family"; }
    }
    if (params.get("child")) {
      var child = root.querySelector("[data-children]");
      if (child) { child.value = params.get("child"); }
    }
  }

  /* --- forms -> outbox ----------------------------------------------------------------- */

  function collect(form) {
    var prefix = form.dataset.prefix + "-", values = {}, raw = {}, attendance = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "file") { return; }
      if (field.name.indexOf("att-") === 0) {
        attendance.push({ child_id: Number(field.value), status: field.checked ? "present" : "absent" });
        return;
      }
      if (field.name.indexOf(prefix) !== 0) { return; }
      var name = field.name.slice(prefix.length);
      if (field.type === "checkbox") { raw[name] = field.checked; values[name] = field.checked; return; }
      raw[name] = field.value;
      if (field.value !== "") { values[name] = field.value; }
    });
    return { values: values, raw: raw, attendance: attendance };
  }

  function villageName(id) {
    var v = data.villages.filter(function (x) { return String(x.id) === String(id); })[0];
    return v ? v.name : "";
  }

  function build(kind, got) {
    var v = got.values, record = { project: slug, kind: kind, form: got.raw };
    if (v.lat && v.lon) { record.point = [Number(v.lat), Number(v.lon)]; }
    if (kind === "household") {
      record.url = urls.households;
      record.body = v;
      record.label = [villageName(v.village_id), v.field_ref].filter(Boolean).join(" ");
    } else if (kind === "facility") {
      record.url = urls.facilities;
      record.body = v;
      record.label = v.name || "";
    } else if (kind === "interview") {
      record.url = urls.interviews;
      record.body = v;
      record.label = [v.held_on, v.household_code, v.interviewee_role].filter(Boolean).join(" ");
    } else if (kind === "contact") {
      var childId = v.child_id;
      delete v.child_id;
      if (v.with_whom !== undefined) { v["with"] = v.with_whom; delete v.with_whom; }
      record.url = urls.api + "/children/" + childId + "/contacts";
      record.body = v;
      var child = data.children.filter(function (c) { return String(c.id) === String(childId); })[0];
      record.label = [child ? child.code : childId, v.on].join(" ");
    } else if (kind === "session") {
      record.url = urls.api + "/programmes/" + v.programme_id + "/sessions";
      record.body = { starts_at: new Date(v.starts_at).toISOString(), attendance: got.attendance };
      if (v.topic) { record.body.topic = v.topic; }
      record.label = v.starts_at.replace("T", " ");
      record.point = null;
    }
    return record;
  }

  function filesOf(form) {
    var files = (form.recordings || []).slice();
    var input = form.querySelector("[data-files]");
    if (input) {
      Array.prototype.forEach.call(input.files, function (file) {
        files.push({ name: file.name, type: file.type, blob: file });
      });
    }
    return files;
  }

  function restore(form, raw) {
    var prefix = form.dataset.prefix + "-";
    Object.keys(raw || {}).forEach(function (name) {
      var field = form.elements.namedItem(prefix + name);
      if (!field) { return; }
      if (field.type === "checkbox") { field.checked = !!raw[name]; } else { field.value = raw[name]; }
    });
  }

  function editRecord(record) {
    location.hash = "#" + record.kind;
    var form = root.querySelector('form[data-kind="' + record.kind + '"]');
    restore(form, record.form);
    form.dataset.editing = record.client_id;
    form.scrollIntoView();
  }

  Array.prototype.forEach.call(root.querySelectorAll("form[data-kind]"), function (form) {
    global.cbparRecorder.attach(form, text);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var record = build(form.dataset.kind, collect(form));
      var files = filesOf(form);
      var editing = form.dataset.editing;
      var saving;
      if (editing) {
        saving = outbox.get(editing).then(function (old) {
          record.client_id = editing;
          record.created_at = old ? old.created_at : undefined;
          record.files = (old ? old.files : []).concat(files);
          return outbox.add(record);
        });
      } else {
        record.files = files;
        saving = outbox.add(record);
      }
      saving.then(function () {
        delete form.dataset.editing;
        form.reset();
        form.recordings = [];
        Array.prototype.forEach.call(form.querySelectorAll("[data-locate-status],[data-record-status]"),
          function (node) { node.textContent = ""; });
        say(text.saved);
        return refresh();
      }).then(function () { if (navigator.onLine) { sync(); } });
    });
  });

  /* --- start ----------------------------------------------------------------------------- */

  function keepForOffline() {
    // The mark js/field/logout-guard.js looks for: this browser keeps field data to clear.
    try { window.localStorage.setItem("cbpar-field", "1"); } catch (error) { /* private mode */ }
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var manifest = document.querySelector('link[rel="manifest"]');
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { root.dataset.offlineReady = "1"; };
      registration.active.postMessage({
        type: "CACHE_URLS",
        urls: [location.pathname, urls.data].concat(manifest ? [manifest.getAttribute("href")] : [])
      }, [channel.port2]);
    }).catch(function () { /* no service worker (not HTTPS): the page still works online */ });
  }

  global.addEventListener("online", function () { network(); sync(); });
  global.addEventListener("offline", network);
  $("sync-now").addEventListener("click", function () { sync(); });
  showSection();
  network();
  loadData().then(function () { return refresh(); }).then(function (records) {
    root.dataset.ready = "1";
    if (records && records.length && navigator.onLine) { sync(); }
  });
  keepForOffline();
})(window);
