// Link pickers (templates/_macros/link_picker.html): a search box over a <select> grouped by
// kind of record. Typing keeps the options whose name (or kind) contains every typed word,
// in Chinese or English, ignoring case and full-width forms, and counts what each group keeps.
// Options are taken out of the select rather than hidden, which phones' pickers would ignore.
// Without JavaScript the plain grouped select works as it is. The words come from the page.
(function () {
  "use strict";

  function fold(text) {
    var folded = String(text || "");
    if (folded.normalize) { folded = folded.normalize("NFKC"); }
    return folded.toLowerCase().replace(/\s+/g, " ").trim();
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function setup(box) {
    if (box.getAttribute("data-ready")) { return; }
    var select = box.querySelector("select");
    var count = box.querySelector(".picker-count");
    if (!select) { return; }
    box.setAttribute("data-ready", "1");

    // The whole list, kept aside: [{element, label, options: [{element, text}]}].
    var groups = [];
    var total = 0;
    Array.prototype.forEach.call(select.children, function (child) {
      if (child.tagName === "OPTGROUP") {
        var label = child.getAttribute("data-group") || child.label;
        var options = Array.prototype.map.call(child.querySelectorAll("option"), function (option) {
          return { element: option, text: fold(option.textContent + " " + label) };
        });
        total += options.length;
        groups.push({ element: child, label: label, options: options });
      } else if (child.tagName === "OPTION") {
        total += 1;
        groups.push({ element: null, label: "", options: [{ element: child, text: fold(child.textContent) }] });
      }
    });

    var search = document.createElement("input");
    search.type = "search";
    search.id = select.id + "-search";
    search.className = "picker-search";
    search.setAttribute("autocomplete", "off");
    search.setAttribute("placeholder", box.getAttribute("data-placeholder") || "");
    search.setAttribute("aria-controls", select.id);
    if (count && count.id) { search.setAttribute("aria-describedby", count.id); }
    var searchLabel = document.createElement("label");
    searchLabel.htmlFor = search.id;
    searchLabel.textContent = box.getAttribute("data-search-label") || "";
    select.parentNode.insertBefore(searchLabel, select);
    select.parentNode.insertBefore(search, select);

    function apply() {
      var words = fold(search.value).split(" ").filter(Boolean);
      var chosen = select.value;
      var shown = 0;
      while (select.firstChild) { select.removeChild(select.firstChild); }
      groups.forEach(function (group) {
        var kept = group.options.filter(function (option) {
          return words.every(function (word) { return option.text.indexOf(word) !== -1; });
        });
        if (!kept.length) { return; }
        shown += kept.length;
        var parent = select;
        if (group.element) {
          group.element.label = words.length
            ? fill(box.getAttribute("data-group-count"), { group: group.label, shown: kept.length, total: group.options.length })
            : group.label + " (" + group.options.length + ")";
          while (group.element.firstChild) { group.element.removeChild(group.element.firstChild); }
          select.appendChild(group.element);
          parent = group.element;
        }
        kept.forEach(function (option) {
          option.element.selected = option.element.value === chosen;
          parent.appendChild(option.element);
        });
      });
      if (count) {
        var key = !words.length ? "data-count-all" : (shown ? "data-count-some" : "data-count-none");
        count.textContent = fill(box.getAttribute(key), { shown: shown, total: total });
      }
    }

    search.addEventListener("input", apply);
    // Enter goes to the list (the first match is chosen there) instead of sending the form.
    search.addEventListener("keydown", function (event) {
      if (/^enter$/i.test(event.key)) {
        event.preventDefault();
        select.focus();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-link-picker]"), setup);
}());
