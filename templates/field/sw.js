/* The field app's service worker (cbpar/field/views.py serves it at /sw.js), built with
   Workbox, vendored under /static/vendor/workbox/: nothing comes from a CDN.

   - The app shell (styles, scripts, icons: fingerprinted URLs) is precached on install.
   - A project's field home and its offline lists (data.json) are network-first: fresh when
     there is a network, from the cache when not. The page asks for both to be cached on its
     first visit ("CACHE_URLS"), before this worker controls it.
   - Nothing else: the rest of the site is not served by this worker.
   Logging out clears all of it (a Clear-Site-Data header on the log-out answer). */
importScripts({{ workbox|tojson }});
workbox.setConfig({ modulePathPrefix: {{ workbox_folder|tojson }}, debug: {{ debug|tojson }} });

var PAGES = "cbpar-field-pages", DATA = "cbpar-field-data";
var FIELD_PAGE = /^\/projects\/[^/]+\/field\/$/;
var FIELD_DATA = /^\/projects\/[^/]+\/field\/data\.json$/;
var MANIFEST = /^\/projects\/[^/]+\/field\/manifest\.webmanifest$/;
var ok = new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] });
var match = { ignoreVary: true, ignoreSearch: true };

self.addEventListener("install", function () { self.skipWaiting(); });
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute({{ precache|tojson }});

function ours(url) { return url.origin === self.location.origin; }

workbox.routing.registerRoute(
  function (o) { return ours(o.url) && FIELD_PAGE.test(o.url.pathname); },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES, networkTimeoutSeconds: 6, matchOptions: match, plugins: [ok]
  })
);
workbox.routing.registerRoute(
  function (o) { return ours(o.url) && FIELD_DATA.test(o.url.pathname); },
  new workbox.strategies.NetworkFirst({
    cacheName: DATA, networkTimeoutSeconds: 6, matchOptions: match, plugins: [ok]
  })
);
workbox.routing.registerRoute(
  function (o) { return ours(o.url) && MANIFEST.test(o.url.pathname); },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: PAGES, plugins: [ok] })
);

function cacheFor(path) {
  if (FIELD_DATA.test(path)) { return DATA; }
  return FIELD_PAGE.test(path) || MANIFEST.test(path) ? PAGES : null;
}

/* The page's first visit: fetch and keep its own URL and its lists. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "CACHE_URLS") { return; }
  var port = event.ports && event.ports[0];
  var jobs = (data.urls || []).map(function (href) {
    var url = new URL(href, self.location.origin);
    var name = ours(url) ? cacheFor(url.pathname) : null;
    if (!name) { return Promise.resolve(false); }
    return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
      if (response.status !== 200 || response.redirected) { return false; }
      return caches.open(name).then(function (cache) {
        return cache.put(url.href, response).then(function () { return true; });
      });
    }).catch(function () { return false; });
  });
  event.waitUntil(Promise.all(jobs).then(function (done) {
    if (port) { port.postMessage({ type: "CACHED", done: done }); }
  }));
});
