// The agents view: its table fetched again every few seconds and swapped in when it changed, unless the supervisor
// is on it (a focused Sign out button is never replaced under their hands).
"use strict";
(function () {
  if (!document.getElementById("agents-now") || !window.fetch) {
    return; // the table still shows the agents as of page load
  }

  async function refresh() {
    const current = document.getElementById("agents-now");
    if (document.activeElement && current.contains(document.activeElement)) {
      return;
    }
    try {
      const response = await fetch(current.dataset.refresh, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) {
        return;
      }
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("agents-now");
      if (fresh && fresh.innerHTML !== current.innerHTML) {
        current.replaceWith(document.importNode(fresh, true));
      }
    } catch (error) {
      // the network is away: try again at the next tick
    }
  }
  window.setInterval(refresh, 3000);
})();
