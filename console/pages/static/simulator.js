// The browser phone: draws each phone from the server's JSON, posts what the user does, and asks the server every
// second or so to let time pass (queues, ringing call-backs, texts). Heard text is set as text, never as markup.
"use strict";
(function () {
  const container = document.getElementById("phones");
  const template = document.getElementById("phone-template");
  const initial = document.getElementById("sim-state");
  if (!container || !template || !initial) {
    return;
  }
  const csrf = container.dataset.csrf;
  const base = container.dataset.base;
  const interval = parseInt(container.dataset.interval, 10) || 1000;
  const MAX_LINES = 300;
  const speakBox = document.getElementById("speak");
  const globalError = document.getElementById("sim-error");
  const empty = document.getElementById("no-phones");
  const typed = {}; // keys typed on each phone and not sent yet
  const seen = {}; // the last transcript line each phone has drawn (lines after it are new)
  const seenTexts = {};
  const quiet = new Set(); // phones drawn with the page: what they heard before is shown, not spoken again
  let state = JSON.parse(initial.textContent);
  let busy = 0;
  let pending = 0; // actions waiting for their turn
  let firstDraw = true;

  if (window.localStorage && localStorage.getItem("onecall-sim-mute") === "1") {
    speakBox.checked = false;
  }
  speakBox.addEventListener("change", function () {
    if (window.localStorage) {
      localStorage.setItem("onecall-sim-mute", speakBox.checked ? "0" : "1");
    }
    if (!speakBox.checked && window.speechSynthesis) {
      window.speechSynthesis.cancel();
    }
  });

  function speak(line) {
    if (!speakBox.checked || !window.speechSynthesis || !window.SpeechSynthesisUtterance) {
      return;
    }
    const utterance = new SpeechSynthesisUtterance(line.text);
    if (line.language) {
      utterance.lang = line.language; // Spanish is read with a Spanish voice, as the caller would hear it
    }
    window.speechSynthesis.speak(utterance);
  }

  // One request at a time, in the order things were done: a key pressed while the timer ticks waits its turn, so
  // the service hears the keys in the order they were pressed.
  let chain = Promise.resolve();
  function queued(job) {
    const run = chain.then(job, job);
    chain = run.catch(function () {});
    return run;
  }

  function since() {
    // What this page has drawn of each phone: the server answers with only what came after it.
    const drawn = {};
    for (const id of Object.keys(seen)) {
      drawn[id] = Math.max(seen[id] || 0, seenTexts[id] || 0);
    }
    return JSON.stringify(drawn);
  }

  async function send(url, fields) {
    const body = new URLSearchParams(Object.assign({ csrf: csrf, since: since() }, fields || {}));
    busy += 1;
    try {
      const response = await fetch(url, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      let data = {};
      try {
        data = await response.json();
      } catch (err) {
        data = { error: "The server answered " + response.status + ". Reload the page and try again." };
      }
      if (data.state) {
        state = data.state;
        draw();
      }
      return data;
    } catch (err) {
      return { error: "The server cannot be reached. Is it still running?" };
    } finally {
      busy -= 1;
    }
  }

  function post(url, fields) {
    pending += 1;
    return queued(function () {
      return send(url, fields);
    }).finally(function () {
      pending -= 1;
    });
  }

  function field(section, name) {
    return section.querySelector('[data-field="' + name + '"]');
  }

  function setText(element, text) {
    if (element && element.textContent !== text) {
      element.textContent = text; // text, never markup
    }
  }

  function show(element, visible) {
    if (element) {
      element.hidden = !visible;
    }
  }

  function phoneSection(phone) {
    let section = container.querySelector('section[data-phone="' + CSS.escape(phone.id) + '"]');
    if (!section) {
      section = template.content.firstElementChild.cloneNode(true);
      section.dataset.phone = phone.id;
      section.setAttribute("aria-label", phone.label + " " + phone.display);
      section.classList.toggle("agent-phone", Boolean(phone.agent));
      section.querySelector(".heard h3").textContent = phone.agent ? "What the agent hears" : "What the caller hears";
      section.querySelector(".say-form").addEventListener("submit", onSay);
      section.querySelector(".text-form").addEventListener("submit", onText);
      const range = section.querySelector('input[name="confidence"]');
      range.addEventListener("input", function () {
        section.querySelector(".confidence-value").textContent = parseFloat(range.value).toFixed(2);
      });
      container.appendChild(section);
      seen[phone.id] = 0;
      seenTexts[phone.id] = 0;
      if (firstDraw) {
        quiet.add(phone.id);
      }
    }
    return section;
  }

  function spoken(line) {
    // Sounds are named, not read out: hold music by its file, a pause by its length.
    if (line.kind === "play") {
      return "♪ " + (line.text.split("/").pop() || "a recording");
    }
    if (line.kind === "pause") {
      return "(pause, " + line.text + ")";
    }
    return line.text;
  }

  function drawLines(section, phone) {
    const list = section.querySelector(".transcript");
    let drawn = seen[phone.id] || 0;
    const before = drawn;
    for (const line of phone.lines) {
      if (line.n <= drawn) {
        continue;
      }
      const item = document.createElement("li");
      item.dataset.n = line.n;
      item.className = "line line-" + line.speaker + " kind-" + line.kind;
      if (line.language) {
        item.lang = line.language;
      }
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = line.speaker === "service" ? "311" : line.speaker === "caller" ? "You" : "";
      item.appendChild(who);
      const words = document.createElement("span");
      words.className = "words";
      words.textContent = spoken(line);
      item.appendChild(words);
      list.appendChild(item);
      drawn = line.n;
      if (!quiet.has(phone.id) && line.speaker === "service" && line.kind === "say") {
        speak(line);
      }
    }
    quiet.delete(phone.id);
    seen[phone.id] = drawn;
    while (list.childElementCount > MAX_LINES) {
      list.firstElementChild.remove();
    }
    if (drawn !== before) {
      list.scrollTop = list.scrollHeight; // the newest line in view, without moving the page
    }
  }

  function drawTexts(section, phone) {
    const list = section.querySelector(".thread");
    let drawn = seenTexts[phone.id] || 0;
    for (const text of phone.texts) {
      if (text.n <= drawn) {
        continue;
      }
      const item = document.createElement("li");
      item.className = "text text-" + text.from;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = text.from === "me" ? "You" : "311";
      item.appendChild(who);
      const body = document.createElement("span");
      body.className = "words";
      body.textContent = text.body;
      item.appendChild(body);
      list.appendChild(item);
      drawn = text.n;
    }
    if (drawn !== seenTexts[phone.id]) {
      list.scrollTop = list.scrollHeight;
    }
    seenTexts[phone.id] = drawn;
  }

  function draw() {
    const ids = new Set();
    for (const phone of state.phones) {
      ids.add(phone.id);
      const section = phoneSection(phone);
      section.dataset.state = phone.state;
      setText(field(section, "label"), phone.label);
      setText(field(section, "display"), phone.display);
      setText(field(section, "status"), phone.status);
      setText(field(section, "pin_hint"), phone.pin_hint || "");
      show(field(section, "pin_hint"), Boolean(phone.pin_hint));
      show(section.querySelector(".phone-pin-set"), Boolean(phone.offer_pin));
      setText(field(section, "typed"), typed[phone.id] || "");
      const focused = section.contains(document.activeElement) ? document.activeElement : null;
      const dial = section.querySelector('[data-action="dial"]');
      setText(dial, phone.agent ? "Call the agent line" : "Call 311");
      dial.disabled = phone.in_call || phone.ringing;
      show(section.querySelector('[data-action="answer"]'), phone.ringing);
      show(section.querySelector('[data-action="decline"]'), phone.ringing);
      section.querySelector('[data-action="hangup"]').disabled = !phone.in_call;
      for (const button of section.querySelectorAll(".keypad button")) {
        button.disabled = !phone.in_call;
      }
      for (const control of section.querySelectorAll(".say-form input, .say-form button")) {
        control.disabled = !phone.in_call;
      }
      if (focused && (focused.disabled || focused.hidden)) {
        // The control in use was just switched off (Call once the call starts, Hang up once it ends): keep the
        // keyboard's place on the phone, on what comes next.
        const next = phone.ringing ? "answer" : phone.in_call ? "hangup" : "dial";
        section.querySelector('[data-action="' + next + '"]').focus();
      }
      show(section.querySelector(".say-form"), !phone.agent);
      show(section.querySelector(".sms"), !phone.agent);
      drawLines(section, phone);
      drawTexts(section, phone);
    }
    for (const section of container.querySelectorAll("section[data-phone]")) {
      if (!ids.has(section.dataset.phone)) {
        section.remove();
      }
    }
    show(empty, state.phones.length === 0);
    drawDuty();
    firstDraw = false;
  }

  function drawDuty() {
    // Development mode only: whether agents are on duty now, and the control that changes it.
    if (!state.duty) {
      return;
    }
    setText(document.getElementById("duty-status"), state.duty.text);
    show(document.getElementById("duty-on"), !state.duty.on);
    show(document.getElementById("duty-hours"), state.duty.put_on_duty);
  }

  function phoneOf(element) {
    const section = element.closest("section[data-phone]");
    return section ? section.dataset.phone : null;
  }

  function report(phoneId, data) {
    const section = phoneId && container.querySelector('section[data-phone="' + CSS.escape(phoneId) + '"]');
    const target = section ? section.querySelector(".phone-error") : globalError;
    setText(target, data.error || "");
  }

  async function act(phoneId, action, fields) {
    const data = await post(base + "/" + encodeURIComponent(phoneId) + "/" + action, fields);
    report(phoneId, data);
    return data;
  }

  function gatherOf(phoneId) {
    const phone = state.phones.find(function (p) {
      return p.id === phoneId;
    });
    return phone && phone.keys;
  }

  function sendKeys(phoneId, onlyWhenComplete) {
    // Decided when its turn comes, on the phone's state after the actions before it.
    return queued(async function () {
      const digits = typed[phoneId] || "";
      const keys = gatherOf(phoneId);
      if (onlyWhenComplete && keys) {
        const finish = keys.finish_on_key;
        const enough = keys.num_digits && digits.length >= keys.num_digits;
        if (!enough && !(finish && digits.endsWith(finish))) {
          return; // the prompt wants more keys: they wait here, shown on the display
        }
      }
      typed[phoneId] = "";
      draw();
      if (digits) {
        const data = await send(base + "/" + encodeURIComponent(phoneId) + "/press", { digits: digits });
        report(phoneId, data);
      }
    });
  }

  container.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) {
      return;
    }
    const phoneId = phoneOf(button);
    const action = button.dataset.action;
    if (action === "key") {
      // Keys wait here until the prompt has what it asked for (its numDigits, or its finish key), as Twilio
      // collects them; "Send keys" sends what was typed so far (as the prompt's timeout would).
      typed[phoneId] = (typed[phoneId] || "") + button.dataset.key;
      draw();
      await sendKeys(phoneId, true);
      return;
    }
    if (action === "send-keys") {
      await sendKeys(phoneId, false);
      return;
    }
    if (action === "remove") {
      const data = await act(phoneId, "remove");
      if (!data.error) {
        delete typed[phoneId];
      }
      return;
    }
    if (action === "dev-pin") {
      await act(phoneId, "dev-pin");
      return;
    }
    typed[phoneId] = "";
    await act(phoneId, action);
  });

  // Digits typed on the keyboard while a phone's button has the focus press that phone's keys.
  container.addEventListener("keydown", function (event) {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const section = event.target.closest("section[data-phone]");
    const key = section && section.querySelector('.keypad [data-key="' + CSS.escape(event.key) + '"]');
    if (key && !key.disabled) {
      event.preventDefault();
      key.click();
    }
  });

  async function onSay(event) {
    event.preventDefault();
    const form = event.target;
    const phoneId = phoneOf(form);
    const text = form.elements.text.value.trim();
    if (!text) {
      report(phoneId, { error: "Type what to say first, or press “Stay silent”." });
      form.elements.text.focus();
      return;
    }
    form.elements.text.value = ""; // ready for the next words at once; given back if they were not heard
    const data = await act(phoneId, "say", { text: text, confidence: form.elements.confidence.value });
    if (data.error && !form.elements.text.value) {
      form.elements.text.value = text;
    }
  }

  async function onText(event) {
    event.preventDefault();
    const form = event.target;
    const phoneId = phoneOf(form);
    const body = form.elements.body.value.trim();
    if (!body) {
      report(phoneId, { error: "Type a text first." });
      form.elements.body.focus();
      return;
    }
    form.elements.body.value = "";
    const data = await act(phoneId, "text", { body: body });
    if (data.error && !form.elements.body.value) {
      form.elements.body.value = body;
    }
  }

  for (const id of ["add-phone", "add-agent", "duty-on", "duty-hours"]) {
    const form = document.getElementById(id);
    if (!form) {
      continue;
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const fields = {};
      for (const [name, value] of new FormData(form).entries()) {
        fields[name] = value;
      }
      const data = await post(form.action, fields);
      report(null, data);
      const added = state.phones[state.phones.length - 1];
      if (!data.error && added && id.startsWith("add-")) {
        const section = container.querySelector('section[data-phone="' + CSS.escape(added.id) + '"]');
        section.querySelector('[data-action="dial"]').focus();
      }
    });
  }

  async function tick() {
    if (busy === 0 && pending === 0 && state.phones.length) {
      const data = await post(container.dataset.tick);
      setText(globalError, data.error || "");
    }
    window.setTimeout(tick, interval);
  }

  draw();
  window.setTimeout(tick, interval);
})();
