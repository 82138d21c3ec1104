// Live dashboard: re-fetch the table rows every 2 s and swap them in (no framework, no CDN).
// While nothing is in flight it slows down to every 10 s; it pauses while the tab is hidden.
(function () {
  "use strict";
  var body = document.getElementById("dashboard-rows");
  if (!body || !window.fetch) return;
  var url = body.getAttribute("data-rows-url");
  var FAST = 2000, SLOW = 10000;
  var timer = null;

  function delay() {
    return Number(body.getAttribute("data-active") || 0) > 0 ? FAST : SLOW;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay());
  }

  function refresh() {
    if (document.hidden) return schedule();
    // Don't yank a button from under the pointer or keyboard focus.
    if (body.contains(document.activeElement) && document.activeElement !== body) return schedule();
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        body.setAttribute("data-active", response.headers.get("X-Active-Jobs") || "0");
        return response.text();
      })
      .then(function (html) { body.innerHTML = html; })
      .catch(function () { /* offline or logged out: keep the last rows, try again later */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
  schedule();
})();
