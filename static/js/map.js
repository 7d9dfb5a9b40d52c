/* The community map: loads households, facilities and village totals from the JSON API and
   draws them on the folium-built Leaflet map. No data is embedded in the page.
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
  }

  function drawHouseholds(data) {
    var renderer = L.canvas({ padding: 0.5 });
    var cluster = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
      disableClusteringAtZoom: 17
    });
    var markers = [];
    (data.features || []).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var p = feature.properties || {};
      var known = p.left_behind_children !== undefined;
      var colour = !known ? UNKNOWN_COLOUR : (p.left_behind_children > 0 ? LB_COLOUR : NO_LB_COLOUR);
      var under6 = Math.min(p.children_under_6 || 0, 4);
      var marker = L.circleMarker(at, {
        renderer: renderer, radius: 4 + under6 * 1.5, color: "#fff", weight: 1,
        fillColor: colour, fillOpacity: 0.9
      });
      marker.bindPopup(function () {
        return popupFor(p.code || text.household, [
          [text.villages, p.village],
          [text.members, p.members],
          [text.children_under_6, p.children_under_6],
          [text.left_behind_children, p.left_behind_children]
        ], recordUrl(config.householdUrl, feature.id));
      });
      markers.push(marker);
      bounds.extend(at);
    });
    cluster.addLayers(markers);
    cluster.addTo(map);
    control.addOverlay(cluster, text.households);
    page.dataset.households = String(markers.length);
    if (data.capped || data.truncated) { say(text.capped); }
  }

  function drawVillages(data) {
    var group = L.layerGroup();
    (data.features || []).forEach(function (feature) {
      var at = latLngOf(feature);
      if (!at) { return; }
      var p = feature.properties || {};
      var marker = L.circleMarker(at, {
        radius: 10 + Math.min(Math.sqrt(count(p.households)), 20), color: "#1f4f38", weight: 2,
        fillColor: "#8ecae6", fillOpacity: 0.45
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
    if (!config.householdsUrl) { group.addTo(map); }
    control.addOverlay(group, text.villages);
  }

  var jobs = [getJSON(config.facilitiesUrl).then(drawFacilities)];
  if (config.householdsUrl) {
    jobs.push(getJSON(config.householdsUrl).then(drawHouseholds));
  }
  jobs.push(getJSON(config.villagesUrl).then(drawVillages));
  Promise.all(jobs).then(function () {
    // No animation: the map is settled (and clickable) once it says it is ready.
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15, animate: false }); }
    page.dataset.ready = "true";
  }, function (error) {
    console.error(error);
    say(text.load_error);
    page.dataset.ready = "error";
  });
})();
