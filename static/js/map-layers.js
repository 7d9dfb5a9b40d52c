/* Layers other features add to the community map (cbpar/mapping/layers.py), e.g. care's
   service reach: each is an overlay in the layer control, off until the member turns it on,
   with a legend entry and, when it has one, a number to choose (e.g. a distance in km).
   Its data is JSON from the app: points (a household's place and a count) for roles that may
   see them, otherwise village figures, small counts given as "<5" or "hidden".
   Loaded before map.js, which announces the map with "cbpar:map-ready". Names are data, never
   markup: popups and tooltips are DOM nodes built with textContent. */
(function () {
  "use strict";

  var text = {};  // the page's words, read with the config when the map is ready

  function el(tag, content, attrs) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = content; }
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function figure(value) {
    if (value === "<5") { return text.suppressed || value; }
    if (value === "hidden") { return text.withheld || value; }
    return String(value);
  }

  function addLegend(spec) {
    var list = document.getElementById("legend-list");
    if (!list) { return; }
    var item = el("li", null, { "class": "map-layer-legend", "data-layer": spec.key });
    var swatch = el("span", null, { "class": "swatch" });
    swatch.style.background = spec.colour;
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(spec.label + (spec.legend ? ": " + spec.legend : "")));
    list.appendChild(item);
  }

  function setUp(map, control, spec) {
    var page = document.getElementById("map-page");
    var group = L.layerGroup();
    // Few markers: SVG, each one a node (the map's canvas is for many), above the households.
    if (!map.getPane("extraLayers")) { map.createPane("extraLayers").style.zIndex = 640; }
    var renderer = L.svg({ pane: "extraLayers" });
    var value = spec.param ? spec.param.value : null;
    var status = el("p", "", { "class": "map-layer-status", role: "status", "aria-live": "polite" });
    var request = 0;

    function url() {
      if (!spec.param) { return spec.url; }
      var sep = spec.url.indexOf("?") < 0 ? "?" : "&";
      return spec.url + sep + encodeURIComponent(spec.param.name) + "=" + encodeURIComponent(value);
    }

    function popupFor(title, line) {
      var box = el("div", null, { "class": "map-popup" });
      box.appendChild(el("strong", title));
      box.appendChild(el("p", line));
      return box;
    }

    function draw(data) {
      group.clearLayers();
      var drawn = 0;
      if (data.shape === "points") {
        (data.points || []).forEach(function (p) {
          var marker = L.circleMarker([p.lat, p.lon], {
            renderer: renderer, radius: 8 + 2 * Math.min(p.count, 4), color: "#fff", weight: 3,
            fillColor: spec.colour,
            fillOpacity: 0.95, className: "layer-" + spec.key + "-point"
          });
          marker.bindPopup(popupFor(p.label || spec.label, (spec.legend || spec.label) + ": " + p.count));
          group.addLayer(marker);
          drawn += 1;
        });
      } else {
        (data.villages || []).forEach(function (v) {
          var n = typeof v.count === "number" ? v.count : 0;
          if (v.count === 0 || v.lat === null || v.lon === null) { return; }
          var marker = L.circleMarker([v.lat, v.lon], {
            renderer: renderer, radius: 12 + Math.min(Math.sqrt(n), 12), color: spec.colour,
            weight: 3,
            fillColor: spec.colour, fillOpacity: 0.25, className: "layer-" + spec.key + "-village"
          });
          var words = figure(v.count);
          marker.bindPopup(popupFor(v.village, (spec.legend || spec.label) + ": " + words));
          marker.bindTooltip(el("span", v.village + ": " + words), { permanent: true, direction: "top" });
          group.addLayer(marker);
          drawn += 1;
        });
      }
      // The whole sentence (with the distance) on hover; on a phone, the number is enough.
      status.textContent = (text.total || "") + " " + figure(data.total);
      status.title = data.note || "";
      page.setAttribute("data-layer-" + spec.key, String(drawn));
      var shown = L.latLngBounds([]);
      group.eachLayer(function (marker) { shown.extend(marker.getLatLng()); });
      // Show where they are (the layer was just turned on, or its number changed).
      if (shown.isValid()) { map.fitBounds(shown, { padding: [50, 50], maxZoom: 14, animate: false }); }
    }

    function load() {
      var mine = ++request;
      page.setAttribute("data-layer-" + spec.key, "loading");
      status.textContent = text.loading_layer || "…";
      fetch(url(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (mine !== request) { return; }
          if (!answer.ok) {
            group.clearLayers();
            status.textContent = answer.body.error || text.load_error || "";
            page.setAttribute("data-layer-" + spec.key, "error");
            return;
          }
          draw(answer.body);
        })
        .catch(function (error) {
          console.error(error);
          status.textContent = text.load_error || "";
          page.setAttribute("data-layer-" + spec.key, "error");
        });
    }

    /* The number to choose (and the layer's status line), in a small control on the map. */
    var box = L.control({ position: "bottomleft" });
    box.onAdd = function () {
      var panel = el("div", null, { "class": "leaflet-bar map-layer-control", "data-layer": spec.key });
      panel.appendChild(el("strong", spec.label));
      if (spec.param) {
        var id = "map-layer-" + spec.key + "-" + spec.param.name;
        var form = el("form", null, { "class": "map-layer-form" });
        form.appendChild(el("label", spec.param.label, { "for": id }));
        var input = el("input", null, {
          id: id, type: "number", inputmode: "decimal", min: spec.param.min, max: spec.param.max,
          step: spec.param.step, value: spec.param.value, name: spec.param.name
        });
        form.appendChild(input);
        form.appendChild(el("button", text.show || "OK", { type: "submit", "class": "button map-layer-go" }));
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          value = input.value;
          load();
        });
        panel.appendChild(form);
      }
      panel.appendChild(status);
      L.DomEvent.disableClickPropagation(panel);
      L.DomEvent.disableScrollPropagation(panel);
      return panel;
    };

    control.addOverlay(group, spec.label);
    addLegend(spec);
    map.on("overlayadd", function (event) {
      if (event.layer !== group) { return; }
      box.addTo(map);
      load();
    });
    map.on("overlayremove", function (event) {
      if (event.layer !== group) { return; }
      box.remove();
      page.removeAttribute("data-layer-" + spec.key);
    });
  }

  document.addEventListener("cbpar:map-ready", function (event) {
    // The config comes after this script in the page: read it now, not when loaded.
    var node = document.getElementById("map-config");
    if (!node || !event.detail || !event.detail.control) { return; }
    var config = JSON.parse(node.textContent);
    text = config.text || {};
    (config.layers || []).forEach(function (spec) {
      setUp(event.detail.map, event.detail.control, spec);
    });
  });
})();
