// Live's floor panel (hours now, alerts): fetched again every few seconds and swapped in when it changed, unless
// the supervisor is working in it (a focused field or an edited message is never replaced under their hands).
"use strict";
(function () {
  const panel = document.getElementById("floor");
  if (!panel || !window.fetch) {
    return; // the panel still shows hours and alerts as of page load
  }
  let edited = false;
  panel.addEventListener("input", function () { edited = true; });

  async function refresh() {
    const current = document.getElementById("floor");
    if (edited || (document.activeElement && current.contains(document.activeElement))) {
      return;
    }
    try {
      const response = await fetch(current.dataset.refresh, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) {
        return;
      }
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("floor");
      if (fresh && fresh.innerHTML !== current.innerHTML) {
        current.replaceWith(document.importNode(fresh, true));
        document.getElementById("floor").addEventListener("input", function () { edited = true; });
      }
    } catch (error) {
      // the network is away: try again at the next tick
    }
  }
  window.setInterval(refresh, 3000);
})();
