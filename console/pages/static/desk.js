// The agent's page: take each `desk` event and redraw the state line; redraw the caller's part only when another
// caller is put through, so nothing the agent is typing about the current caller is lost. The server renders and
// escapes both parts, exactly as on a full page load.
"use strict";
(function () {
  const problems = document.getElementById("problems");
  if (problems) {
    problems.focus(); // a refused form: the keyboard starts at what to fix
  }
  const desk = document.getElementById("desk");
  const live = document.getElementById("desk-live");
  if (!desk || !window.EventSource) {
    return; // the page still shows the desk as of page load
  }
  const source = new EventSource(desk.dataset.events);

  function show(text, state) {
    live.textContent = text;
    live.dataset.state = state;
  }

  source.addEventListener("open", function () {
    show("Live: a caller put through to you shows here at once.", "live");
  });

  source.addEventListener("desk", function (event) {
    const data = JSON.parse(event.data);
    document.getElementById("desk-state").innerHTML = data.state; // rendered and escaped by the server
    const pop = document.getElementById("pop");
    const typing = pop.contains(document.activeElement);
    if (data.call !== desk.dataset.call || !typing) {
      pop.innerHTML = data.pop;
      if (data.call && data.call !== desk.dataset.call) {
        show("A caller is on the line: their details are below.", "live");
      }
      desk.dataset.call = data.call;
    }
  });

  source.addEventListener("signed-out", function () {
    source.close();
    window.location.assign("/console/login?next=%2Fconsole%2Fdesk");
  });

  source.addEventListener("error", function () {
    show("Connection lost: reconnecting…", "lost");
  });
})();
