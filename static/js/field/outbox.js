/* The field app's outbox: records typed on the phone wait in IndexedDB (through idb, vendored)
   until the server has them. Each record has a client id (a UUID made here), so sending it
   twice creates it once (the API's client_id). Files (a recording, photos) wait with their
   record as Blobs and are uploaded once the record exists on the server.

   window.cbparOutbox:
     add(record) / put(record)   keep a record ({project, kind, url, body, form, files, label})
     list(project), count(project), get(clientId), remove(clientId)
     sync(project, options)      send what waits, oldest first; -> {sent, refused, stopped}
     clearAll()                  empty the outbox (tests, and the log-out guard's check)
   A record refused by the server (400) stays, with the server's message, for editing; a 409
   keeps the server's version beside the phone's; a network failure or a lost log-in stops the
   sync and keeps everything. Nothing is deleted before the server has answered that it has it. */
(function (global) {
  "use strict";

  var DB_NAME = "cbpar-field", STORE = "outbox", VERSION = 1;
  var opening = null;

  function database() {
    if (!opening) {
      opening = global.idb.openDB(DB_NAME, VERSION, {
        upgrade: function (db) {
          var store = db.createObjectStore(STORE, { keyPath: "client_id" });
          store.createIndex("project", "project");
        }
      });
    }
    return opening;
  }

  function uuid() {
    if (global.crypto && typeof global.crypto.randomUUID === "function") {
      return global.crypto.randomUUID();
    }
    var bytes = global.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); });
    return [hex.slice(0, 4), hex.slice(4, 6), hex.slice(6, 8), hex.slice(8, 10), hex.slice(10)]
      .map(function (part) { return part.join(""); }).join("-");
  }

  function put(record) {
    return database().then(function (db) { return db.put(STORE, record); });
  }

  function add(record) {
    record.client_id = record.client_id || uuid();
    record.created_at = record.created_at || new Date().toISOString();
    record.status = "waiting";
    record.files = (record.files || []).map(function (file) {
      return { id: file.id || uuid(), name: file.name, type: file.type, blob: file.blob };
    });
    return put(record).then(function () { return record; });
  }

  function list(project) {
    return database().then(function (db) {
      return db.getAllFromIndex(STORE, "project", project);
    }).then(function (rows) {
      return rows.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }

  function count(project) {
    return database().then(function (db) { return db.countFromIndex(STORE, "project", project); });
  }

  function get(clientId) {
    return database().then(function (db) { return db.get(STORE, clientId); });
  }

  function remove(clientId) {
    return database().then(function (db) { return db.delete(STORE, clientId); });
  }

  function clearAll() {
    return database().then(function (db) { return db.clear(STORE); });
  }

  /* --- sending -------------------------------------------------------------------------- */

  function Stop(reason, message) { this.reason = reason; this.message = message; }

  function readJSON(response) {
    return response.json().catch(function () { return {}; });
  }

  function freshToken(tokenUrl) {
    return fetch(tokenUrl, { credentials: "same-origin", cache: "no-store",
                             headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.redirected || response.status === 403) {
          throw new Stop("login");
        }
        if (!response.ok) { throw new Stop("server", String(response.status)); }
        return response.json();
      }, function () { throw new Stop("offline"); })
      .then(function (body) { return body.csrf_token; });
  }

  function send(url, init) {
    return fetch(url, init).catch(function () { throw new Stop("offline"); }).then(function (response) {
      if (response.status === 401 || response.redirected) { throw new Stop("login"); }
      if (response.status === 403) { throw new Stop("forbidden"); }
      if (response.status >= 500) { throw new Stop("server", String(response.status)); }
      return readJSON(response).then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function sendRecord(record, token, apiBase) {
    var body = Object.assign({}, record.body, { client_id: record.client_id });
    return send(record.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (answer.status === 200 || answer.status === 201) {
        if (!record.files.length) {  // done: the server has it
          return remove(record.client_id).then(function () { return true; });
        }
        record.server_id = answer.body.id;
        record.status = "created";
        record.message = "";
        return put(record).then(function () { return sendFiles(record, token, apiBase); });
      }
      record.status = answer.status === 409 ? "conflict" : "refused";
      record.message = answer.body.message || String(answer.status);
      record.errors = answer.body.errors || null;
      record.server = answer.body.current || null;
      return put(record).then(function () { return false; });
    });
  }

  /* The records that take recordings and photos, and their API collection: the files are
     sent one by one after the record itself is created (each once, by its own client_id). */
  var FILE_OWNERS = { interview: "interviews", contact: "contacts" };

  function sendFiles(record, token, apiBase) {
    if (!record.files.length) { return remove(record.client_id).then(function () { return true; }); }
    var owner = FILE_OWNERS[record.kind];
    if (!owner) {
      record.status = "refused";
      record.message = "files";
      return put(record).then(function () { return false; });
    }
    var file = record.files[0];
    var form = new FormData();
    form.append("file", file.blob, file.name || "recording");
    form.append("client_id", file.id);
    return send(apiBase + "/" + owner + "/" + record.server_id + "/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      body: form
    }).then(function (answer) {
      if (answer.status === 200 || answer.status === 201) {
        record.files.shift();
        return put(record).then(function () { return sendFiles(record, token, apiBase); });
      }
      record.status = "refused";
      record.message = (file.name ? file.name + ": " : "") + (answer.body.message || answer.status);
      return put(record).then(function () { return false; });
    });
  }

  /* Send every waiting record of the project, oldest first, one at a time (a household made
     offline exists before the interview that names it). */
  function sync(project, options) {
    var result = { sent: 0, refused: 0, stopped: null };
    return freshToken(options.tokenUrl).then(function (token) {
      return list(project).then(function (records) {
        var chain = Promise.resolve();
        records.forEach(function (record) {
          chain = chain.then(function () {
            if (record.status === "conflict") { return; }  // waits for the worker's choice
            var step = record.status === "created"
              ? sendFiles(record, token, options.apiBase)
              : sendRecord(record, token, options.apiBase);
            return step.then(function (done) {
              if (done) { result.sent += 1; } else { result.refused += 1; }
              if (options.progress) { options.progress(result); }
            });
          });
        });
        return chain;
      });
    }).catch(function (error) {
      if (error instanceof Stop) { result.stopped = error.reason; return; }
      throw error;
    }).then(function () { return result; });
  }

  global.cbparOutbox = {
    DB_NAME: DB_NAME,
    uuid: uuid,
    add: add,
    put: put,
    list: list,
    count: count,
    get: get,
    remove: remove,
    clearAll: clearAll,
    sync: sync
  };
})(window);
