// The messages page: count the characters of each message as it is typed (the server checks the limit again).
"use strict";
(function () {
  for (const area of document.querySelectorAll("textarea[data-counter]")) {
    const counter = document.getElementById(area.dataset.counter);
    const max = Number(area.dataset.max);
    const update = function () {
      const length = area.value.trim().replace(/\s+/g, " ").length;
      counter.textContent = length + " of " + max + " characters" + (length > max ? ": too long" : "");
      counter.classList.toggle("field-error", length > max);
    };
    area.addEventListener("input", update);
    update();
  }
  const problems = document.getElementById("problems");
  if (problems) {
    problems.setAttribute("tabindex", "-1");
    problems.focus(); // a keyboard or screen-reader user lands on what to fix
  }
})();
