// Live's floor panel (hours now, alerts): fetched again every few seconds and swapped in when it changed, unless
// the supervisor is working in it (a focused field or an edited message is never replaced under their hands). The
// loop is poll.js's.
"use strict";
(function () {
  const panel = document.getElementById("floor");
  if (!panel || !window.fetch || !window.pollAndSwap) {
    return; // the panel still shows hours and alerts as of page load
  }
  let edited = false;
  function watch(element) {
    element.addEventListener("input", function () { edited = true; });
  }
  watch(panel);
  // A swapped-in panel is a new element: it needs the listener again.
  window.pollAndSwap("floor", 3000, { held: function () { return edited; }, swapped: watch });
})();
