/* The field home's offline map: villages, facilities and households drawn from the phone's
   copy of the lists, with no basemap tiles (as js/map-offline.js draws the main map when tiles
   cannot load): each village a circle round its centre with its name, facilities as orange
   dots with their names, households as small dots, the phone's unsent households hollow.
   Names are data, never markup: Leaflet tooltips get text nodes. */
(function (global) {
  "use strict";

  var map = null, layer = null;

  function text(value) { var span = document.createElement("span"); span.textContent = value; return span; }

  function draw(box, data, unsent) {
    if (!global.L || !box) { return; }
    if (!map) {
      map = L.map(box, { attributionControl: false });
      L.control.scale({ imperial: false }).addTo(map);
      layer = L.layerGroup().addTo(map);
    }
    layer.clearLayers();
    var points = [];
    (data.villages || []).forEach(function (v) {
      if (!v.point) { return; }
      points.push(v.point);
      L.circle(v.point, { radius: 500, color: "#2f6f4f", weight: 2, dashArray: "6 4", fillOpacity: 0.06 })
        .bindTooltip(text(v.name), { permanent: true, direction: "center", className: "map-label village-label" })
        .addTo(layer);
    });
    (data.facilities || []).forEach(function (f) {
      if (!f.point) { return; }
      points.push(f.point);
      L.circleMarker(f.point, { radius: 6, color: "#8a5a00", fillColor: "#e0a030", fillOpacity: 0.9, weight: 1 })
        .bindTooltip(text(f.name)).addTo(layer);
    });
    (data.households || []).forEach(function (h) {
      if (!h.point) { return; }
      points.push(h.point);
      L.circleMarker(h.point, { radius: 4, color: "#1d4e89", fillOpacity: 0.8, weight: 1 })
        .bindTooltip(text(h.code)).addTo(layer);
    });
    (unsent || []).forEach(function (p) {
      points.push(p);
      L.circleMarker(p, { radius: 5, color: "#b3261e", fillOpacity: 0, weight: 2 }).addTo(layer);
    });
    if (points.length) { map.fitBounds(points, { padding: [20, 20], maxZoom: 16 }); }
    else { map.setView([30, 110], 4); }
  }

  function refresh() { if (map) { map.invalidateSize(); } }

  global.cbparFieldMap = { draw: draw, refresh: refresh };
})(window);
