// Live rows: every element marked data-live-rows (the dashboard's table body, a batch's job list)
// re-fetches its fragment from data-rows-url every 2 s and swaps it in (no framework, no CDN).
// While nothing is in flight (data-active = 0) it slows down to every 10 s; it pauses while the
// tab is hidden, and never swaps while focus is inside it.
(function () {
  "use strict";
  if (!window.fetch) return;
  var FAST = 2000, SLOW = 10000;

  function follow(body) {
    var url = body.getAttribute("data-rows-url");
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
  }

  var bodies = document.querySelectorAll("[data-live-rows]");
  for (var i = 0; i < bodies.length; i++) follow(bodies[i]);
})();
