// Coding a passage. The text block holds the stored source text exactly, cut into spans that
// carry their offsets (data-start, data-end) in Unicode code points, as the server counts
// them. A selection made with the mouse or a finger, or with the keyboard in the focused text
// block (arrows move, Shift+arrows extend, Up/Down move ten characters, Home/End), becomes
// the form's start and end. JavaScript strings count UTF-16 units, so a character outside
// the Basic Multilingual Plane (an emoji, a rare Chinese character) is two units but one code
// point: every conversion below counts surrogate pairs as one. Without JavaScript, the form's
// two numbers are typed by hand.
(function () {
  "use strict";
  var text = document.getElementById("qda-text");
  var form = document.getElementById("qda-form");
  if (!text || !form) { return; }
  var startInput = form.querySelector("[name=start]");
  var endInput = form.querySelector("[name=end]");
  var shown = document.getElementById("qda-selection");
  var script = document.querySelector("script[data-selected]");
  var template = script ? script.getAttribute("data-selected") : "{text} ({start}-{end})";
  var spans = Array.prototype.slice.call(text.querySelectorAll("span[data-start]"));
  var length = Number(text.getAttribute("data-length"));
  var keyboardButton = document.getElementById("qda-keyboard");
  var anchor = 0;
  var caret = 0;

  function isHigh(code) { return code >= 0xD800 && code <= 0xDBFF; }
  function isLow(code) { return code >= 0xDC00 && code <= 0xDFFF; }

  // Code points in the first `units` UTF-16 units of s.
  function codePoints(s, units) {
    var n = 0;
    for (var i = 0; i < units && i < s.length; i += 1) {
      if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) { i += 1; }
      n += 1;
    }
    return n;
  }

  // The UTF-16 index of code point `cp` in s.
  function unitIndex(s, cp) {
    var i = 0;
    for (var n = 0; n < cp && i < s.length; n += 1) {
      if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) { i += 1; }
      i += 1;
    }
    return i;
  }

  function spanOf(node) {
    while (node && node !== text) {
      if (node.nodeType === 1 && node.hasAttribute("data-start")) { return node; }
      node = node.parentNode;
    }
    return null;
  }

  function startOf(span) { return Number(span.getAttribute("data-start")); }
  function endOf(span) { return Number(span.getAttribute("data-end")); }

  // A DOM boundary point inside the text block -> an offset in code points.
  function toOffset(node, offset) {
    if (node.nodeType === 3) {
      var span = spanOf(node);
      return span ? startOf(span) + codePoints(node.data, offset) : null;
    }
    if (node === text) {
      var child = text.children[offset];
      return child ? startOf(child) : length;
    }
    var owner = spanOf(node);
    if (!owner) { return null; }
    return offset === 0 ? startOf(owner) : endOf(owner);
  }

  // An offset in code points -> a DOM boundary point (text node, UTF-16 offset).
  function toBoundary(cp) {
    for (var i = 0; i < spans.length; i += 1) {
      var span = spans[i];
      if (cp < endOf(span) || i === spans.length - 1) {
        var node = span.firstChild;
        return [node, unitIndex(node.data, cp - startOf(span))];
      }
    }
    return [text, 0];
  }

  function passage(start, end) {
    return Array.from(text.textContent).slice(start, end).join("");
  }

  function show(start, end) {
    if (start === null || end === null || start >= end) {
      shown.textContent = shown.getAttribute("data-none");
      return;
    }
    var words = passage(start, end);
    if (Array.from(words).length > 120) { words = Array.from(words).slice(0, 120).join("") + "…"; }
    shown.textContent = template.replace("{text}", words).replace("{start}", String(start))
      .replace("{end}", String(end));
  }

  function fill(start, end) {
    startInput.value = String(start);
    endInput.value = String(end);
    show(start, end);
  }

  // The browser's selection (mouse, touch, or ours from the keyboard) -> the form.
  function fromSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return; }
    var range = selection.getRangeAt(0);
    if (!range.intersectsNode(text)) { return; }
    var start = text.contains(range.startContainer) ? toOffset(range.startContainer, range.startOffset) : 0;
    var end = text.contains(range.endContainer) ? toOffset(range.endContainer, range.endOffset) : length;
    if (start === null || end === null || start >= end) { return; }
    fill(start, end);
  }

  function select(from, to) {
    var a = toBoundary(from);
    var b = toBoundary(to);
    window.getSelection().setBaseAndExtent(a[0], a[1], b[0], b[1]);
    var low = Math.min(from, to);
    var high = Math.max(from, to);
    if (low < high) { fill(low, high); } else { show(null, null); }
  }

  document.addEventListener("selectionchange", fromSelection);

  text.addEventListener("keydown", function (event) {
    var key = String(event.key).toLowerCase();
    var step = { arrowright: 1, arrowleft: -1, arrowdown: 10, arrowup: -10 }[key];
    var target = null;
    if (step !== undefined) { target = caret + step; }
    else if (key === "home") { target = 0; }
    else if (key === "end") { target = length; }
    else if (key === "enter") {
      var first = form.querySelector("input[name=codes]");
      if (first) { first.focus(); event.preventDefault(); }
      return;
    } else { return; }
    event.preventDefault();
    caret = Math.max(0, Math.min(length, target));
    if (!event.shiftKey) { anchor = caret; }
    select(anchor, caret);
  });

  text.addEventListener("focus", function () { text.classList.add("qda-keyboard-on"); });
  text.addEventListener("blur", function () { text.classList.remove("qda-keyboard-on"); });

  if (keyboardButton) {
    keyboardButton.hidden = false;
    keyboardButton.addEventListener("click", function () {
      anchor = caret = 0;
      text.focus();
      select(0, 0);
    });
  }

  // Numbers typed by hand show the passage they select.
  function fromInputs() {
    var start = Number(startInput.value);
    var end = Number(endInput.value);
    if (startInput.value !== "" && endInput.value !== "" && start >= 0 && end <= length && start < end) {
      show(start, end);
    }
  }
  startInput.addEventListener("input", fromInputs);
  endInput.addEventListener("input", fromInputs);
}());
