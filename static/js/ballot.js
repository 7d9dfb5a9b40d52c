// Ranked ballot: reorder needs by dragging or with Up/Down buttons (keyboard); the rank
// selects stay the source of truth, so the form posts the same fields with or without JS.
(function () {
  "use strict";
  var list = document.getElementById("ballot-list");
  if (!list) { return; }
  var status = document.getElementById("ballot-status");
  Array.prototype.forEach.call(document.querySelectorAll("#ballot-form .js-only"), function (el) {
    el.hidden = false;
  });
  var count = document.getElementById("ballot-count");
  var rankRest = document.getElementById("rank-rest");
  var upLabel = list.getAttribute("data-up") || "▲";  // the words come from the page (translated)
  var downLabel = list.getAttribute("data-down") || "▼";

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".ballot-item")); }
  function select(item) { return item.querySelector("select"); }
  function title(item) { return item.querySelector(".ballot-title").textContent; }

  // Ranked items keep list order and get 1..k; unranked ones go below them.
  function renumber() {
    var rank = 0;
    items().forEach(function (item) {
      var s = select(item);
      if (s.value !== "") { rank += 1; s.value = String(rank); }
    });
    items().forEach(function (item) {
      if (select(item).value === "") { list.appendChild(item); }
    });
    showCount(rank);
  }

  // "Ranked 3 of 5" at all times, so a half-ranked ballot never looks complete.
  function showCount(ranked) {
    var total = items().length;
    if (count) {
      count.textContent = (count.getAttribute("data-template") || "{k} / {n}")
        .replace("{k}", String(ranked)).replace("{n}", String(total));
    }
    if (rankRest) { rankRest.hidden = ranked === total; }
    items().forEach(function (item) {
      item.classList.toggle("unranked", select(item).value === "");
    });
  }

  function announce(item) {
    var s = select(item);
    if (status) {
      status.textContent = title(item) + ": " + (s.value === "" ? s.options[0].textContent : s.value);
    }
  }

  function markRanked(item) {
    var s = select(item);
    if (s.value === "") { s.value = String(items().length); }
  }

  // Everything above a ranked item is ranked too, so the order on screen is the ballot.
  function rankAbove(item) {
    var all = items();
    for (var i = 0; i <= all.indexOf(item); i += 1) { markRanked(all[i]); }
  }

  function move(item, delta) {
    var all = items();
    var index = all.indexOf(item);
    var target = all[index + delta];
    if (!target) { return; }
    if (delta < 0) { list.insertBefore(item, target); } else { list.insertBefore(target, item); }
    rankAbove(item);
    renumber();
    announce(item);
  }

  items().forEach(function (item) {
    var box = document.createElement("span");
    box.className = "ballot-move";
    [[upLabel, -1, "▲"], [downLabel, 1, "▼"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[2];
      button.setAttribute("aria-label", spec[0] + ": " + title(item));
      button.className = spec[1] < 0 ? "move-up" : "move-down";
      button.addEventListener("click", function () {
        move(item, spec[1]);
        button.focus();
      });
      box.appendChild(button);
    });
    item.insertBefore(box, item.firstChild);
    item.setAttribute("draggable", "true");

    item.addEventListener("dragstart", function (event) {
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.getAttribute("data-need"));
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      items().forEach(function (i) { i.classList.remove("drop-target"); });
    });
    item.addEventListener("dragover", function (event) {
      event.preventDefault();
      item.classList.add("drop-target");
    });
    item.addEventListener("dragleave", function () { item.classList.remove("drop-target"); });
    item.addEventListener("drop", function (event) {
      event.preventDefault();
      item.classList.remove("drop-target");
      var id = event.dataTransfer.getData("text/plain");
      var dragged = list.querySelector('.ballot-item[data-need="' + id + '"]');
      if (!dragged || dragged === item) { return; }
      var all = items();
      if (all.indexOf(dragged) < all.indexOf(item)) {
        list.insertBefore(dragged, item.nextSibling);
      } else {
        list.insertBefore(dragged, item);
      }
      rankAbove(dragged);
      renumber();
      announce(dragged);
    });

    select(item).addEventListener("change", function () {
      var s = select(item);
      if (s.value !== "") {
        // Put the item at the chosen place among the ranked ones.
        var wanted = parseInt(s.value, 10);
        var ranked = items().filter(function (i) { return i !== item && select(i).value !== ""; });
        var before = ranked[wanted - 1];
        if (before) { list.insertBefore(item, before); } else if (ranked.length) {
          list.insertBefore(item, ranked[ranked.length - 1].nextSibling);
        } else { list.insertBefore(item, list.firstChild); }
      }
      renumber();
      announce(item);
    });
  });
  if (rankRest) {
    rankRest.addEventListener("click", function () {
      items().forEach(markRanked);
      renumber();
      if (status && count) { status.textContent = count.textContent; }
    });
  }
  renumber();
}());
