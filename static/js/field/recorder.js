/* Record sound in the page (MediaRecorder), online or offline: the recording is kept as a
   Blob with the form and goes into the outbox with its record. */
(function (global) {
  "use strict";

  function attach(form, texts) {
    var start = form.querySelector("[data-record]"), stop = form.querySelector("[data-stop]");
    var status = form.querySelector("[data-record-status]");
    if (!start) { return; }
    form.recordings = [];
    if (!global.MediaRecorder || !navigator.mediaDevices) { start.hidden = true; return; }
    var recorder = null, chunks = [];

    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (event) { if (event.data.size) { chunks.push(event.data); } };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          var type = recorder.mimeType || "audio/webm";
          var ext = type.indexOf("mp4") >= 0 ? "m4a" : type.indexOf("ogg") >= 0 ? "ogg" : "webm";
          var blob = new Blob(chunks, { type: type });
          form.recordings.push({ name: "recording-" + new Date().toISOString().slice(0, 19).replace(/:/g, "") + "." + ext,
                                 type: type, blob: blob });
          status.textContent = texts.recorded + " (" + form.recordings.length + ")";
          start.hidden = false; stop.hidden = true;
        };
        recorder.start();
        status.textContent = texts.recording;
        start.hidden = true; stop.hidden = false;
      }, function () { status.textContent = texts.noMicrophone; });
    });
    stop.addEventListener("click", function () { if (recorder && recorder.state !== "inactive") { recorder.stop(); } });
  }

  global.cbparRecorder = { attach: attach };
})(window);
