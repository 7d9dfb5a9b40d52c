/* The analysis page's map: households coloured by distance to the nearest counted facility,
   the facilities, and candidate sites; clicking the map fills the next candidate field.
   Tooltips are DOM nodes built with textContent: a facility's name is never parsed as HTML. */
(function () {
  "use strict";

  var WITHIN = "#2f6f4f", BEYOND = "#c2410c", NONE = "#7f1d1d";
  var page = document.getElementById("map-page");
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var map = window[page.dataset.map];
  var text = config.text;
  var statusBox = document.getElementById("map-status");
  var inputs = Array.prototype.slice.call(document.querySelectorAll("input[name=candidate]"));
  var bounds = L.latLngBounds([]);
  var candidateLayer = L.layerGroup().addTo(map);

  function say(message) { statusBox.textContent = message || ""; }

  function textNode(value) {
    var node = document.createElement("span");
    node.textContent = value === undefined || value === null ? "" : String(value);
    return node;
  }

  function candidateIcon(n) {
    return L.divIcon({
      className: "candidate-icon", html: "<span></span>",
      iconSize: [22, 22], iconAnchor: [11, 22], popupAnchor: [0, -22]
    });
  }

  function parsePoint(value) {
    var parts = (value || "").replace("，", ",").split(",");
    if (parts.length !== 2) { return null; }
    var lat = parseFloat(parts[0]), lon = parseFloat(parts[1]);
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return null; }
    return L.latLng(lat, lon);
  }

  function drawCandidates() {
    candidateLayer.clearLayers();
    inputs.forEach(function (input, i) {
      var at = parsePoint(input.value);
      if (!at) { return; }
      var marker = L.marker(at, { icon: candidateIcon(i + 1), title: text.candidate + " " + (i + 1), draggable: true });
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        input.value = p.lat.toFixed(5) + "," + p.lng.toFixed(5);
      });
      marker.bindTooltip(textNode(text.candidate + " " + (i + 1)));
      candidateLayer.addLayer(marker);
    });
  }

  map.on("click", function (event) {
    var target = inputs.filter(function (input) { return !parsePoint(input.value); })[0] || inputs[inputs.length - 1];
    if (!target) { return; }
    target.value = event.latlng.lat.toFixed(5) + "," + event.latlng.lng.toFixed(5);
    drawCandidates();
  });
  inputs.forEach(function (input) { input.addEventListener("change", drawCandidates); });
  drawCandidates();

  function draw(data) {
    var kindClass = "facility-icon kind-" + (config.kind || "other");
    (data.facilities || []).forEach(function (f) {
      var at = L.latLng(f.lat, f.lon);
      L.marker(at, {
        icon: L.divIcon({ className: kindClass, html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 9] }),
        title: f.name
      }).bindTooltip(textNode(f.name)).addTo(map);
      bounds.extend(at);
    });
    candidateLayer.eachLayer(function (layer) { bounds.extend(layer.getLatLng()); });
    var rows = data.households || [];
    rows.forEach(function (row) { bounds.extend([row[0], row[1]]); });
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 }); }
    if (!data.households) { page.dataset.ready = "true"; return; }
    /* Households are drawn a batch at a time, so the page stays responsive on a slow phone
       while tens of thousands of points are added. */
    var renderer = L.canvas({ padding: 0.5 });
    var within = config.withinKm;
    var done = 0, BATCH = 5000;
    function slice() {
      var end = Math.min(done + BATCH, rows.length);
      for (var i = done; i < end; i++) {
        var km = rows[i][2];
        var colour = km === null ? NONE : (km <= within ? WITHIN : BEYOND);
        L.circleMarker([rows[i][0], rows[i][1]], {
          renderer: renderer, radius: 4, weight: 1, color: "#fff", fillColor: colour, fillOpacity: 0.85,
          interactive: false
        }).addTo(map);
      }
      done = end;
      if (done < rows.length) { setTimeout(slice, 0); return; }
      page.dataset.households = String(rows.length);
      page.dataset.ready = "true";
    }
    slice();
  }

  if (config.pointsUrl) {
    fetch(config.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(draw, function () { say(text.load_error); page.dataset.ready = "error"; });
  }
})();
