// The tickets and voice-message pages: a form sent back with mistakes puts the focus on the list of what to fix.
"use strict";
(function () {
  const problems = document.getElementById("problems");
  if (problems) {
    problems.setAttribute("tabindex", "-1");
    problems.focus(); // a keyboard or screen-reader user lands on what to fix
  }
})();
