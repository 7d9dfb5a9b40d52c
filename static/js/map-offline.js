/* The map when its basemap cannot load (no network, a blocked tile server, CBPAR_TILES=none):
   a readable map drawn from the project's own records instead of dots on grey. Each village
   as its outline (or a circle round its centre) with its name as a permanent label, each
   facility's name beside it, and the legend on the map; the metric scale bar is always there
   (cbpar/mapping/basemap.py). It fetches villages and facilities itself, so it depends on
   nothing in map.js but the "cbpar:map-ready" event, which hands over the layer control.
   Names are data, never markup: every label is a DOM node built with textContent. */
(function () {
  "use strict";

  var WAIT_MS = 8000;  // no tile by then: the tile server is out of reach (or as good as)
  // Many facilities (a county has hundreds): their names show only once zoomed in, and only
  // the labels inside the view are laid out, so a phone is never blocked by the layout.
  var MANY_FACILITIES = 60, FACILITY_NAMES_ZOOM = 13;
  var AREA = { color: "#2f6f4f", weight: 2, dashArray: "6 4", fillColor: "#2f6f4f", fillOpacity: 0.07 };

  var page = document.getElementById("map-page");
  var configNode = document.getElementById("map-config");
  if (!page || !configNode || !window.L) { return; }
  var map = window[page.dataset.map];
  var offline = JSON.parse(configNode.textContent).offline;
  if (!map || !offline) { return; }
  var text = offline.text;
  var areas = L.layerGroup(), names = L.layerGroup(), placed = [];
  var facilityNames = L.layerGroup(), facilityCount = 0;
  var control = null, started = false, offered = false;

  function el(tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = content; }
    if (className) { node.className = className; }
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(url + ": " + response.status); }
        return response.json();
      });
  }

  function kindOf(geometry) { return String(geometry.type).toLowerCase(); }

  function pointOf(geometry) {
    return geometry && kindOf(geometry) === "point"
      ? L.latLng(geometry.coordinates[1], geometry.coordinates[0]) : null;
  }

  /* A name as a permanent label at `at` (an invisible point: clicks reach the marker below). */
  function label(at, name, className, options) {
    var anchor = L.circleMarker(at, {
      radius: 1, opacity: 0, fillOpacity: 0, interactive: false, pane: "offlineAreas"
    });
    anchor.bindTooltip(el("span", name), L.extend({
      permanent: true, interactive: false, className: "map-label " + className
    }, options));
    placed.push({ anchor: anchor, direction: options.direction, offset: options.offset, aimed: "" });
    return anchor;
  }

  function aim(item, tooltip, direction, offset) {
    var key = direction + offset;
    if (item.aimed === key) { return; }
    item.aimed = key;
    tooltip.options.direction = direction;
    tooltip.options.offset = offset;
    tooltip.update();
  }

  function overflow(box, frame) {
    return Math.max(0, frame.left - box.left) + Math.max(0, box.right - frame.right);
  }

  /* A label that would run off the map's edge (a narrow phone) turns to the side with room. */
  function keepInside(item, tooltip, node, frame) {
    var lift = item.direction === "top" ? -12 : 0;
    var choices = [[item.direction, item.offset], ["right", [8, lift]], ["left", [-8, lift]]];
    var best = null;
    for (var i = 0; i < choices.length; i += 1) {
      aim(item, tooltip, choices[i][0], choices[i][1]);
      var cut = overflow(node.getBoundingClientRect(), frame);
      if (!best || cut < best.cut) { best = { cut: cut, choice: choices[i] }; }
      if (cut === 0) { break; }
    }
    aim(item, tooltip, best.choice[0], best.choice[1]);
    return node.getBoundingClientRect();
  }

  /* Where labels would overlap, the first placed wins (villages, then facilities): the others
     hide until zooming in gives them room. */
  function declutter() {
    var taken = [];
    var frame = map.getContainer().getBoundingClientRect();
    var view = map.getBounds().pad(0.1);
    showFacilityNames();
    placed.forEach(function (item) {
      if (!view.contains(item.anchor.getLatLng()) || !map.hasLayer(item.anchor)) { return; }
      var tooltip = item.anchor.getTooltip();
      var node = tooltip && tooltip.getElement();
      if (!node) { return; }
      node.style.visibility = "";
      var box = keepInside(item, tooltip, node, frame);
      var clash = taken.some(function (other) {
        return box.left < other.right && box.right > other.left &&
          box.top < other.bottom && box.bottom > other.top;
      });
      if (clash) { node.style.visibility = "hidden"; } else { taken.push(box); }
    });
  }

  /* A village without an outline gets a circle: a third of the way to the nearest other
     village, between 400 m and 2 km, so neighbouring circles do not overlap. */
  function radiusFor(at, centres) {
    var nearest = Infinity;
    centres.forEach(function (other) {
      var metres = map.distance(at, other);
      if (metres > 1) { nearest = Math.min(nearest, metres); }
    });
    return Math.max(400, Math.min(2000, nearest / 3));
  }

  function drawVillages(data) {
    var features = (data.features || []).filter(function (f) { return f.geometry; });
    var centres = features.map(function (f) { return pointOf(f.geometry); }).filter(Boolean);
    features.forEach(function (feature) {
      var name = (feature.properties || {}).name;
      var type = kindOf(feature.geometry);
      var area = null;
      if (type === "polygon" || type === "multipolygon") {
        area = L.geoJSON(feature.geometry, { style: AREA, pane: "offlineAreas", interactive: false });
      } else if (type === "point") {
        var at = pointOf(feature.geometry);
        area = L.circle(at, L.extend({
          radius: radiusFor(at, centres), pane: "offlineAreas", interactive: false
        }, AREA));
      }
      if (!area) { return; }
      areas.addLayer(area);
      // The name just above the village's northern edge, clear of the facilities in it.
      var bounds = area.getBounds ? area.getBounds() : null;
      var top = bounds && bounds.isValid()
        ? L.latLng(bounds.getNorth(), bounds.getCenter().lng) : area.getLatLng();
      names.addLayer(label(top, name, "village-label", { direction: "top", offset: [0, -2] }));
    });
  }

  function drawFacilities(data) {
    (data.features || []).forEach(function (feature) {
      var at = pointOf(feature.geometry);
      if (!at) { return; }
      facilityCount += 1;
      facilityNames.addLayer(label(at, (feature.properties || {}).name, "facility-label", {
        direction: "right", offset: [8, 0]
      }));
    });
    names.addLayer(facilityNames);
  }

  function showFacilityNames() {
    var wanted = facilityCount <= MANY_FACILITIES || map.getZoom() >= FACILITY_NAMES_ZOOM;
    if (wanted && !names.hasLayer(facilityNames)) { names.addLayer(facilityNames); }
    if (!wanted && names.hasLayer(facilityNames)) { names.removeLayer(facilityNames); }
  }

  /* The page's legend, copied onto the map (and kept in step: map.js adds facility kinds). */
  function addLegend() {
    var source = document.getElementById("legend-list");
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var box = el("details", null, "map-legend-control");
      box.id = "map-legend-control";
      box.open = window.innerWidth >= 700;
      box.appendChild(el("summary", text.legend));
      box.appendChild(el("p", text.note, "map-offline-note"));
      var list = el("ul", null, "plain legend-list");
      box.appendChild(list);
      var area = el("li");
      area.appendChild(el("span", null, "swatch swatch-village-area"));
      area.appendChild(document.createTextNode(text.village));
      function copy() {
        list.textContent = "";
        list.appendChild(area);
        Array.prototype.forEach.call(source ? source.children : [], function (item) {
          var twin = item.cloneNode(true);
          twin.removeAttribute("id");
          list.appendChild(twin);
        });
      }
      copy();
      if (source && window.MutationObserver) {
        new MutationObserver(copy).observe(source, { childList: true });
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  function offerToggle() {
    if (started && control && !offered) {
      offered = true;
      control.addOverlay(names, text.names);
    }
  }

  function start(reason) {
    if (started) { return; }
    started = true;
    page.dataset.basemap = "offline-" + reason;
    map.getContainer().classList.add("map-offline");
    // Under households and facilities, above the (empty) tiles.
    map.createPane("offlineAreas").style.zIndex = 350;
    areas.addTo(map);
    names.addTo(map);
    map.on("moveend", declutter);
    names.on("add", function () { window.setTimeout(declutter, 0); });  // switched back on
    addLegend();
    offerToggle();
    var facilities = offline.facilitiesUrl ? getJSON(offline.facilitiesUrl) : { features: [] };
    // Villages first: their names win where labels would overlap.
    Promise.all([getJSON(offline.villagesUrl), facilities]).then(function (data) {
      drawVillages(data[0]);
      drawFacilities(data[1]);
      declutter();
      page.dataset.offlineReady = "true";
    }, function (error) {
      console.warn(error);
      page.dataset.offlineReady = "error";
    });
  }

  document.addEventListener("cbpar:map-ready", function (event) {
    if (event.detail && event.detail.map === map) {
      control = event.detail.control || null;
      offerToggle();
    }
  });

  var tiles = null;
  map.eachLayer(function (layer) { if (layer instanceof L.TileLayer) { tiles = layer; } });
  if (!tiles) {
    start("none");
  } else if (navigator.onLine === false) {
    start("network");
  } else {
    var loaded = 0, failed = 0;
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      failed += 1;
      if (failed > loaded) { start("tiles"); }
    });
    window.setTimeout(function () { if (!loaded) { start("tiles"); } }, WAIT_MS);
    window.addEventListener("offline", function () { start("network"); });
  }
})();
