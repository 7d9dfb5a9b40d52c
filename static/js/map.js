/* The community map: loads households, facilities and village totals from the JSON API and
   draws them on the folium-built Leaflet map. No data is embedded in the page. Village totals
   and facilities come first (small); households come as compact columns and are drawn in
   batches, so a slow phone shows something at once and stays responsive.
   Names are data, never markup: every popup and tooltip is a DOM node built with textContent
   (Leaflet parses a string given to bindPopup/bindTooltip as HTML). */
(function () {
  "use strict";

  /* Facility colours live in map.css (.kind-<kind>), so the legend and the markers agree. */
  var LB_COLOUR = "#c2410c", NO_LB_COLOUR = "#2f6f4f", UNKNOWN_COLOUR = "#475569";

  var page = document.getElementById("map-page");
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var map = window[page.dataset.map];
  var text = config.text;
  var statusBox = document.getElementById("map-status");
  var legend = document.getElementById("legend-list");
  var bounds = L.latLngBounds([]);
  // Facilities stay in front of household clusters (the marker pane is at z-index 600).
  map.createPane("facilities").style.zIndex = 650;
  var control = L.control.layers(null, null, { collapsed: window.innerWidth < 700 }).addTo(map);
  // Hook for map-offline.js (the basemap drawn from the project's data when tiles fail).
  document.dispatchEvent(new CustomEvent("cbpar:map-ready", { detail: { map: map, control: control } }));

  function say(message) { statusBox.textContent = message || ""; }

  function el(tag, textContent, attrs) {
    var node = document.createElement(tag);
    if (textContent !== undefined && textContent !== null) { node.textContent = textContent; }
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  /* A count as words: "<5" and "hidden" are small numbers suppressed for roles that see
     village totals only (cbpar/privacy.py). */
  function figure(value) {
    if (value === "<5") { return text.suppressed; }
    if (value === "hidden") { return text.withheld; }
    return value;
  }

  function count(value) { return typeof value === "number" ? value : 0; }

  function popupFor(title, rows, link) {
    var box = el("div", null, { "class": "map-popup" });
    box.appendChild(el("strong", title));
    var list = el("dl");
    rows.forEach(function (row) {
      if (row[1] === undefined || row[1] === null || row[1] === "") { return; }
      list.appendChild(el("dt", row[0]));
      list.appendChild(el("dd", String(row[1])));
    });
    box.appendChild(list);
    if (link) { box.appendChild(el("a", text.open_record, { href: link })); }
    return box;
  }

  function recordUrl(template, id) {
    return template && id !== undefined && id !== null ? template.replace("{id}", encodeURIComponent(id)) : null;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(url + ": " + response.status); }
        return response.json();
      });
  }

  function addLegend(className, label) {
    var item = el("li");
    var swatch = el("span", null, { "class": "swatch " + className });
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(label));
    legend.appendChild(item);
  }

  function latLngOf(feature) {
    var c = feature.geometry && feature.geometry.coordinates;
    return c ? L.latLng(c[1], c[0]) : null;
  }

  function drawFacilities(data) {
    var byKind = {};
    (data.features || []).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var p = feature.properties || {};
      var kind = p.kind || "other";
      if (!byKind[kind]) { byKind[kind] = L.layerGroup(); }
      var icon = L.divIcon({
        className: "facility-icon kind-" + kind + (p.status !== "operating" ? " not-operating" : ""),
        html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -9]
      });
      var marker = L.marker(at, {
        icon: icon, title: p.name, keyboard: true, riseOnHover: true, pane: "facilities"
      });
      marker.bindPopup(popupFor(p.name, [
        [text.facilities, config.kinds[kind] || kind],
        [text.status, config.statuses[p.status] || p.status],
        [text.capacity, p.capacity],
        [text.opened_on, p.opened_on]
      ], recordUrl(config.facilityUrl, feature.id)));
      byKind[kind].addLayer(marker);
      bounds.extend(at);
    });
    Object.keys(config.kinds).forEach(function (kind) {
      if (!byKind[kind]) { return; }
      byKind[kind].addTo(map);
      control.addOverlay(byKind[kind], config.kinds[kind]);
      addLegend("square kind-" + kind, config.kinds[kind]);
    });
    mark("cbpar:facilities-drawn");
  }

  /* The compact points (docs/api.md, "Compact household points"): columns of integers, each
     coordinate given as the difference from the row before. */
  function decodePoints(data) {
    var n = data.count || 0, scale = data.scale || 1;
    var lat = new Float64Array(n), lon = new Float64Array(n);
    var y = 0, x = 0;
    for (var i = 0; i < n; i++) {
      y += data.lat[i]; x += data.lon[i];
      lat[i] = y / scale; lon[i] = x / scale;
    }
    return { count: n, lat: lat, lon: lon, scale: scale };
  }

  /* A household's popup: the compact points carry no code or figures, so it asks
     households.geojson for the households at this point (the same privacy shape). */
  function householdPopup(at, scale, village, filled) {
    var box = popupFor(text.household, [[text.villages, village]], null);
    if (!config.householdsUrl || !config.householdUrl) { return box; }
    var half = 0.6 / scale;
    var bbox = [at.lng - half, at.lat - half, at.lng + half, at.lat + half].map(function (v) {
      return v.toFixed(7);
    }).join(",");
    getJSON(config.householdsUrl + "?bbox=" + bbox).then(function (data) {
      var best = null, bestDistance = Infinity;
      (data.features || []).forEach(function (feature) {
        var c = latLngOf(feature);
        var d = c ? Math.abs(c.lat - at.lat) + Math.abs(c.lng - at.lng) : Infinity;
        if (d < bestDistance) { best = feature; bestDistance = d; }
      });
      if (!best) { return; }
      var p = best.properties || {};
      var full = popupFor(p.code || text.household, [
        [text.villages, p.village],
        [text.members, p.members],
        [text.children_under_6, p.children_under_6],
        [text.left_behind_children, p.left_behind_children]
      ], recordUrl(config.householdUrl, best.id));
      while (box.firstChild) { box.removeChild(box.firstChild); }
      while (full.firstChild) { box.appendChild(full.firstChild); }
      filled();
    }, function (error) { console.error(error); });
    return box;
  }

  var BATCH = 2500;  // markers built per slice of work: the page stays responsive meanwhile

  function nextSlice(fn) {
    if (window.requestAnimationFrame) { window.requestAnimationFrame(function () { setTimeout(fn, 0); }); }
    else { setTimeout(fn, 0); }
  }

  /* Markers are built and handed to the cluster layer a batch at a time, so the first ones
     show long before the last are made (a phone needs seconds for 50,000). */
  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }

  function drawHouseholds(data, villageLayer) {
    mark("cbpar:households-received");
    var rows = decodePoints(data);
    var renderer = L.canvas({ padding: 0.5 });
    var cluster = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
      disableClusteringAtZoom: 17
    });
    var details = !!data.details;
    var names = (data.villages || []).map(function (v) { return v.name; });
    var own = L.latLngBounds([]);
    for (var k = 0; k < rows.count; k++) { own.extend([rows.lat[k], rows.lon[k]]); }
    if (own.isValid()) {
      bounds.extend(own);
      if (!map.getBounds().contains(own)) { fit(); }
    }
    cluster.addTo(map);
    control.addOverlay(cluster, text.households);
    mark("cbpar:households-decoded");

    function marker(i) {
      // style: 1 if left-behind children, plus twice the children under 6 (at most 4).
      var style = details ? data.style[i] : 0;
      var colour = !details ? UNKNOWN_COLOUR : (style % 2 ? LB_COLOUR : NO_LB_COLOUR);
      var circle = L.circleMarker([rows.lat[i], rows.lon[i]], {
        renderer: renderer, radius: 4 + Math.floor(style / 2) * 1.5, color: "#fff", weight: 1,
        fillColor: colour, fillOpacity: 0.9
      });
      circle.bindPopup(function () {
        return householdPopup(circle.getLatLng(), rows.scale, names[data.village[i]], function () {
          var popup = circle.getPopup();
          if (popup && popup.isOpen()) { popup.update(); }
        });
      });
      return circle;
    }

    return new Promise(function (resolve) {
      var done = 0;
      function slice() {
        var batch = [];
        var end = Math.min(done + BATCH, rows.count);
        for (var i = done; i < end; i++) { batch.push(marker(i)); }
        cluster.addLayers(batch);
        done = end;
        page.dataset.householdsShown = String(done);
        if (end <= BATCH) { mark("cbpar:households-first"); }
        if (done < rows.count) { nextSlice(slice); return; }
        if (villageLayer) { map.removeLayer(villageLayer); }
        page.dataset.households = String(rows.count);
        resolve();
      }
      slice();
    });
  }

  function drawVillages(data) {
    var group = L.layerGroup();
    (data.features || []).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var p = feature.properties || {};
      var marker = L.circleMarker(at, {
        radius: 10 + Math.min(Math.sqrt(count(p.households)), 20), color: "#1f4f38", weight: 2,
        fillColor: "#8ecae6", fillOpacity: 0.45, className: "village-marker"
      });
      marker.bindPopup(popupFor(p.name, [
        [text.households, figure(p.households)],
        [text.children_under_6, figure(p.children_under_6)],
        [text.left_behind_children, figure(p.left_behind_children)]
      ], null));
      marker.bindTooltip(el("span", p.name + ": " + figure(p.households || 0)));
      group.addLayer(marker);
      bounds.extend(at);
    });
    // Shown at once, for every role: the figures a slow phone sees while households load.
    group.addTo(map);
    control.addOverlay(group, text.villages);
    mark("cbpar:villages-drawn");
    return group;
  }

  var fitted = false;
  function fit() {
    // No animation: the map is settled (and clickable) once it says it is ready.
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15, animate: false });
      fitted = true;
      mark("cbpar:fitted");
    }
  }

  /* Villages and facilities are small and drawn first; the households' points load meanwhile
     and are drawn in batches once they arrive. */
  var villages = getJSON(config.villagesUrl).then(drawVillages);
  var facilities = getJSON(config.facilitiesUrl).then(drawFacilities);
  var points = config.pointsUrl ? getJSON(config.pointsUrl) : null;
  if (points) { say(text.loading); }
  var first = Promise.all([villages, facilities]).then(function () { fit(); });
  var all = !points ? first : Promise.all([villages, points, first]).then(function (results) {
    // Let the browser paint the villages and facilities before the households' work starts.
    return new Promise(function (resolve) { nextSlice(resolve); }).then(function () {
      return drawHouseholds(results[1], results[0]);
    });
  }).then(function () { say(""); });
  all.then(function () {
    if (!fitted) { fit(); }
    page.dataset.ready = "true";
  }, function (error) {
    console.error(error);
    say(text.load_error);
    page.dataset.ready = "error";
  });
})();
