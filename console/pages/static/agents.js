// The agents view: its table fetched again every few seconds and swapped in when it changed, unless the supervisor
// is on it (a focused Sign out button is never replaced under their hands). The loop is poll.js's.
"use strict";
(function () {
  if (!document.getElementById("agents-now") || !window.fetch || !window.pollAndSwap) {
    return; // the table still shows the agents as of page load
  }
  window.pollAndSwap("agents-now", 3000);
})();
