// The live page: take each `queues` event from the server and update the table's cells in place, no reload.
"use strict";
(function () {
  const table = document.getElementById("queues");
  const status = document.getElementById("live-status");
  if (!table || !window.EventSource) {
    return; // the table still shows the figures as of page load
  }
  const source = new EventSource(table.dataset.events);

  function show(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  source.addEventListener("queues", function (event) {
    const data = JSON.parse(event.data);
    for (const figures of data.queues) {
      const row = table.querySelector('tr[data-queue="' + CSS.escape(figures.queue) + '"]');
      if (!row) {
        continue;
      }
      for (const cell of row.querySelectorAll("td[data-field]")) {
        const value = figures[cell.dataset.field];
        if (value !== undefined && cell.textContent !== value) {
          cell.textContent = value; // text, never markup
          cell.classList.remove("flash");
          void cell.offsetWidth; // restart the highlight
          cell.classList.add("flash");
        }
      }
    }
    show("Live: updated " + data.updated, "live");
  });

  source.addEventListener("signed-out", function () {
    source.close();
    window.location.assign("/console/login?next=%2Fconsole%2Flive");
  });

  source.addEventListener("error", function () {
    show("Connection lost: reconnecting…", "lost");
  });
})();
