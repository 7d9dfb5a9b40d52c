/* "Use my location" and "Tap the map" for a form with latitude, longitude and accuracy fields
   (the field app's forms and the household, facility and contact pages). The phone's position
   fills latitude and longitude, and its accuracy in metres is shown and saved with the record;
   above the limit (50 m) a warning asks for a second try. Tapping the small map places the
   point by hand (accuracy left blank: not from the phone). Both work offline: the map draws
   the villages and facilities the field app keeps (window.cbparFieldData), no tiles needed.
   Texts come from the container's data-text-* attributes, so any page can use it. */
(function (global) {
  "use strict";

  function input(form, prefix, name) {
    return form.querySelector("#" + (prefix ? prefix + "-" : "") + name);
  }

  function format(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function setValue(field, value) {
    if (!field) { return; }
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function attach(box) {
    var form = box.closest("form");
    var prefix = box.dataset.locate || "";
    var lat = input(form, prefix, "lat"), lon = input(form, prefix, "lon");
    var accuracy = input(form, prefix, "location_accuracy_m");
    var status = box.querySelector("[data-locate-status]");
    var limit = Number(box.dataset.poorAccuracy || 50);
    var text = box.dataset;
    var tapButton = box.querySelector("[data-tap-button]");
    var mapBox = box.querySelector("[data-tap-map]");
    var map = null, marker = null;

    function say(message, warn) {
      status.textContent = message;
      status.classList.toggle("warning", !!warn);
    }

    function show(latitude, longitude) {
      if (!map) { return; }
      var point = L.latLng(latitude, longitude);
      if (!marker) { marker = L.circleMarker(point, { radius: 8, color: "#b3261e" }).addTo(map); }
      marker.setLatLng(point);
      map.setView(point, Math.max(map.getZoom(), 15));
    }

    box.querySelector("[data-locate-button]").addEventListener("click", function () {
      if (!navigator.geolocation) { say(text.textNoLocation, true); return; }
      say(text.textLocating);
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords, metres = Math.round(c.accuracy);
        setValue(lat, c.latitude.toFixed(6));
        setValue(lon, c.longitude.toFixed(6));
        setValue(accuracy, String(metres));
        var message = format(text.textAccuracy, { metres: metres });
        if (metres > limit) { message += " " + format(text.textPoor, { limit: limit }); }
        say(message, metres > limit);
        show(c.latitude, c.longitude);
      }, function () {
        say(text.textNoLocation, true);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });

    if (!tapButton || !mapBox) { return; }
    if (!global.L) { tapButton.hidden = true; return; }
    tapButton.addEventListener("click", function () {
      var open = mapBox.hidden;
      mapBox.hidden = !open;
      tapButton.setAttribute("aria-expanded", String(open));
      if (!open) { return; }
      if (!map) {
        map = L.map(mapBox, { zoomControl: true, attributionControl: false });
        var data = global.cbparFieldData || {};
        var points = [];
        (data.villages || []).forEach(function (v) {
          if (!v.point) { return; }
          points.push(v.point);
          L.circle(v.point, { radius: 400, color: "#2f6f4f", weight: 1, fillOpacity: 0.05, interactive: false })
            .bindTooltip(v.name, { permanent: true, direction: "center", className: "map-label" }).addTo(map);
        });
        (data.facilities || []).forEach(function (f) {
          if (f.point) { L.circleMarker(f.point, { radius: 4, color: "#8a5a00", interactive: false }).addTo(map); }
        });
        map.on("click", function (event) {
          setValue(lat, event.latlng.lat.toFixed(6));
          setValue(lon, event.latlng.lng.toFixed(6));
          setValue(accuracy, "");
          say(text.textPlaced || "");
          show(event.latlng.lat, event.latlng.lng);
        });
        var current = lat && lat.value && lon && lon.value ? [Number(lat.value), Number(lon.value)] : null;
        if (current) { map.setView(current, 15); show(current[0], current[1]); }
        else if (points.length) { map.fitBounds(points, { padding: [20, 20], maxZoom: 15 }); }
        else { map.setView([30, 110], 4); }
      }
      setTimeout(function () { map.invalidateSize(); }, 0);
    });
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-locate]"), attach);
  }

  global.cbparLocate = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
})(window);
