// The article page: count the spoken answer's words and the text answer's characters as they are typed (the server
// checks both limits again), and put the keyboard on the list of problems when there is one.
"use strict";
(function () {
  const folded = function (area) { return area.value.trim().replace(/\s+/g, " "); };
  for (const area of document.querySelectorAll("textarea[data-counter]")) {
    const counter = document.getElementById(area.dataset.counter);
    const update = function () {
      const text = folded(area);
      let said, over;
      if (area.dataset.words) {
        const words = text ? text.split(" ").length : 0, max = Number(area.dataset.words);
        said = words + " of " + max + " words, about " + Math.round(words / 2.75) + " seconds";
        over = words > max;
      } else {
        const max = Number(area.dataset.chars);
        said = text.length + " of " + max + " characters";
        over = text.length > max;
      }
      counter.textContent = said + (over ? ": too long" : "");
      counter.classList.toggle("field-error", over);
    };
    area.addEventListener("input", update);
    update(); // what was typed before this script ran (or restored by the back button) is counted too
  }
  const first = document.getElementById("problems") || document.querySelector("#check.broken");
  if (first) {
    first.setAttribute("tabindex", "-1");
    first.focus(); // a keyboard or screen-reader user lands on what to fix
  }
})();
