// A part of a page fetched again every few seconds and swapped in when it changed (agents.js, floor.js): one loop,
// so every such part keeps the same rule, never replacing what the supervisor is on (a focused control) or, when
// the page says so through `held`, what they are working in.
"use strict";
(function () {
  // Polls the element with this id from its data-refresh address every `every` ms; hooks: held() to skip a tick,
  // swapped(fresh) after a swap (listeners on the old element went with it).
  window.pollAndSwap = function (id, every, hooks) {
    const held = (hooks && hooks.held) || function () { return false; };
    const swapped = (hooks && hooks.swapped) || function () {};

    async function refresh() {
      const current = document.getElementById(id);
      if (held() || (document.activeElement && current.contains(document.activeElement))) {
        return;
      }
      try {
        const response = await fetch(current.dataset.refresh, { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) {
          return;
        }
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = doc.getElementById(id);
        if (fresh && fresh.innerHTML !== current.innerHTML) {
          const imported = document.importNode(fresh, true);
          current.replaceWith(imported);
          swapped(imported);
        }
      } catch (error) {
        // the network is away: try again at the next tick
      }
    }
    window.setInterval(refresh, every);
  };
})();
