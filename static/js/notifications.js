// The header bell: ask the server for the unread count every ~20 s and show it, without a reload.
// Pauses while the tab is hidden; on any error it keeps the last count and tries again later.
(function () {
  "use strict";
  var bell = document.querySelector("[data-unread-url]");
  if (!bell || !window.fetch) return;
  var count = bell.querySelector("[data-unread-count]");
  var url = bell.getAttribute("data-unread-url");
  var every = 1000 * Math.max(1, Number(bell.getAttribute("data-poll-seconds")) || 20);
  var timer = null;

  function show(unread) {
    count.textContent = String(unread);
    bell.classList.toggle("bell--unread", unread > 0);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, every);
  }

  function refresh() {
    if (document.hidden) return schedule();
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { if (typeof data.unread === "number") show(data.unread); })
      .catch(function () { /* offline or logged out: keep the last count */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
  schedule();
})();
