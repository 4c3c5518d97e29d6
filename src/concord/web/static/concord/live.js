// Live countdowns and live updates over Server-Sent Events. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="server-now"]');
  var offset = meta ? Date.parse(meta.content) - Date.now() : 0; // server clock minus ours

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function format(ms, units) {
    var u = (units || "d|h|min|s").split("|");
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (d ? d + " " + u[0] + " " : "") + (d || h ? h + " " + u[1] + " " : "") +
      pad(m) + " " + u[2] + " " + pad(sec) + " " + u[3];
  }
  var refreshOnExpiry = null;
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var left = Date.parse(el.dataset.expires) - now;
      if (left > 0) { el.textContent = format(left, el.dataset.units); return; }
      if (el.dataset.done) { return; }
      el.dataset.done = "1";
      el.textContent = el.dataset.expiredText || "expired";
      if (refreshOnExpiry) { setTimeout(refreshOnExpiry, 300); }
    });
  }

  function live(region) {
    var src = region.dataset.liveSrc, streamUrl = region.dataset.liveStream;
    var status = document.querySelector("[data-live-status]");
    var busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(src, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          region.innerHTML = html;
          tick();
          if (status) { status.textContent = status.dataset.updated || "Updated"; }
        })
        .catch(function () { /* the next event or reconnect refreshes again */ })
        .finally(function () { busy = false; if (again) { again = false; refresh(); } });
    }
    refreshOnExpiry = refresh;
    if (!window.EventSource || !streamUrl) { return; }
    var since = region.dataset.liveSince;
    var url = streamUrl + (since ? "?since=" + encodeURIComponent(since) : "");
    var source = new EventSource(url, { withCredentials: true });
    source.addEventListener("change", refresh);
    source.addEventListener("open", function () { region.dataset.liveConnected = "1"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("[data-live-src]").forEach(live);
  });
})();
