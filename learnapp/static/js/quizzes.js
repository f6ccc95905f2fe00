// The taking screen: one question per screen with a navigator, autosave with a queue that is
// retried while the network is down, a countdown from the server's deadline, and the time-is-up
// flow. The server decides everything that matters (deadline, sequence checks, grading); the
// page only sends responses. Without JavaScript the form still saves and submits.
(function () {
  "use strict";
  var root = document.getElementById("quiz-taker");
  if (!root || !window.fetch) { return; }

  var data = root.dataset;
  var form = root.querySelector("[data-quiz-form]");
  var slots = Array.prototype.slice.call(root.querySelectorAll("[data-slot]"));
  var stateEl = root.querySelector("[data-save-state]");
  var countdownEl = root.querySelector("[data-countdown]");
  var timeupEl = root.querySelector("[data-timeup]");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var pending = {};       // position -> response waiting to be sent (latest only)
  var sending = false;
  var retryMs = 0;
  var retryTimer = null;
  var stale = false;
  var finished = false;   // the page is leaving: the form is sent or the result is shown
  var closing = null;     // the answers are frozen to be submitted: the notice shown meanwhile
  var ended = null;       // the server said the attempt has ended: the address of its result
  var current = 0;

  function setToken(token) {
    csrf = token;
    Array.prototype.forEach.call(form.querySelectorAll('input[name="csrf_token"]'), function (i) { i.value = token; });
  }

  function slotAt(position) {
    return root.querySelector('[data-slot="' + position + '"]');
  }

  // The answer on the page, or with `served` the one the page was loaded with (the controls'
  // default state, which the browser's restoring of a reloaded form does not change).
  function responseOf(slot, served) {
    var type = slot.dataset.type;
    var name = "q" + slot.dataset.slot;
    var valueOf = function (i) { return served ? i.defaultValue : i.value; };
    var chosen = Array.prototype.filter.call(slot.querySelectorAll('input[name="' + name + '"]'), function (i) {
      return served ? i.defaultChecked : i.checked;
    });
    if (type === "multiple") {
      return { values: chosen.map(function (i) { return i.value; }) };
    }
    if (type === "single" || type === "judge") {
      return { value: chosen.length ? chosen[0].value : "" };
    }
    if (type === "fill") {
      return { blanks: Array.prototype.map.call(slot.querySelectorAll('input[type="text"]'), valueOf) };
    }
    return { text: valueOf(slot.querySelector("textarea")) };
  }

  // What the server holds for each question, as sent (JSON), where the page knows it: first
  // the answers the page was loaded with, then each one saved. A page that shows a refused
  // post's answers (data-unsaved) does not know them.
  var saved = {};
  if (!("unsaved" in data)) {
    slots.forEach(function (slot) { saved[slot.dataset.slot] = JSON.stringify(responseOf(slot, true)); });
  }

  function isAnswered(slot) {
    var r = responseOf(slot);
    if (r.values) { return r.values.length > 0; }
    if (r.blanks) { return r.blanks.some(function (b) { return b.trim() !== ""; }); }
    if ("text" in r) { return r.text.trim() !== ""; }
    return !!r.value;
  }

  function pendingCount() { return Object.keys(pending).length; }

  function showState(text) {
    if (stale) { text = data.labelStale; }
    stateEl.textContent = text;
    root.classList.toggle("quiz-offline", pendingCount() > 0 && retryMs > 0);
  }

  function markNav(position, answered) {
    var nav = root.querySelector('[data-nav-to="' + position + '"]');
    if (nav) { nav.classList.toggle("answered", answered); }
  }

  function scheduleRetry() {
    retryMs = Math.min(retryMs ? retryMs * 2 : 1000, 15000);
    showState(data.labelQueued.replace("{n}", pendingCount()));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryMs);
  }

  function finishAndShowResult(url) {
    finished = true;
    window.location.assign(url);
  }

  function frozen() { return finished || closing !== null || ended !== null; }

  // Sends the queue one answer at a time. Once it is empty, the page goes on with what it was
  // waiting for: the result of an attempt that has ended, or the submission of frozen answers.
  function flush() {
    if (sending || finished) { return; }
    var positions = Object.keys(pending);
    if (!positions.length) {
      if (ended) {
        finishAndShowResult(ended);
      } else if (closing) {
        submitAnswers(closing);
      } else {
        showState(data.labelSaved);
      }
      return;
    }
    var position = positions[0];
    var response = pending[position];
    var seqInput = slotAt(position).querySelector("[data-seq]");
    sending = true;
    showState(data.labelSaving);
    fetch(data.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ position: parseInt(position, 10), seq: parseInt(seqInput.value, 10), response: response })
    }).then(function (res) {
      return res.json().then(function (body) { return { status: res.status, body: body }; });
    }).then(function (result) {
      sending = false;
      var body = result.body || {};
      if (result.status === 200) {
        seqInput.value = body.seq;
        saved[position] = JSON.stringify(response);
        if (pending[position] === response) { delete pending[position]; }
        persist();
        retryMs = 0;
        flush();
      } else if (body.outcome === "late" || body.outcome === "closed") {
        // The attempt has ended (time is up, or another tab submitted it): the server recorded
        // the answer as not counted. The rest of the queue is sent too, so that every answer is
        // on record, and then the result, which says so, is shown.
        ended = body.result_url || data.resultUrl;
        freeze(true);
        delete pending[position];
        persist();
        flush();
      } else if (body.outcome === "stale") {
        stale = true;
        delete pending[position];
        delete saved[position];
        persist();
        showState(data.labelStale);
        flush();
      } else if (closing && !body.csrf_token) {
        // Submitting, the server refused the answer: the form carries it, and every other.
        submitAnswers(closing);
      } else {
        // Server trouble, a rate limit or a refused token: the answer stays queued (and on the
        // page, which the final submit carries) and is tried again, with the fresh token the
        // server sends when it refused the old one.
        if (body.csrf_token) { setToken(body.csrf_token); }
        scheduleRetry();
        if (body.error) { stateEl.textContent = body.error; }
      }
    }).catch(function () {
      sending = false;
      scheduleRetry();
    });
  }

  // The queue is also kept in the tab's session storage, so a reload before the network comes
  // back loses no answer: on the next load, answers still based on the server's sequence number
  // are put back on the page and sent again; ones the server has since moved past are dropped.
  var storeKey = "learnapp-quiz-" + data.saveUrl;

  function persist() {
    try {
      var items = {};
      Object.keys(pending).forEach(function (p) {
        items[p] = { response: pending[p], seq: slotAt(p).querySelector("[data-seq]").value };
      });
      if (Object.keys(items).length) {
        window.sessionStorage.setItem(storeKey, JSON.stringify(items));
      } else {
        window.sessionStorage.removeItem(storeKey);
      }
    } catch (e) { /* storage disabled or full: the in-page queue still works */ }
  }

  function fill(slot, response) {
    var name = "q" + slot.dataset.slot;
    if (response.values || "value" in response) {
      var chosen = response.values || [response.value];
      Array.prototype.forEach.call(slot.querySelectorAll('input[name="' + name + '"]'), function (i) {
        i.checked = chosen.indexOf(i.value) >= 0;
      });
    } else if (response.blanks) {
      Array.prototype.forEach.call(slot.querySelectorAll('input[type="text"]'), function (i, n) {
        i.value = response.blanks[n] || "";
      });
    } else if ("text" in response) {
      slot.querySelector("textarea").value = response.text;
    }
  }

  function restore() {
    var saved = {};
    try { saved = JSON.parse(window.sessionStorage.getItem(storeKey) || "{}") || {}; } catch (e) { saved = {}; }
    Object.keys(saved).forEach(function (p) {
      var slot = slotAt(p);
      var item = saved[p];
      if (!slot || !item || slot.querySelector("[data-seq]").value !== String(item.seq)) { return; }
      fill(slot, item.response);
      pending[p] = item.response;
      markNav(p, isAnswered(slot));
    });
    persist();
  }

  // An answer goes into the queue only if it differs from the one already waiting for its
  // question, or else from the one the server holds: a text field's change event after its
  // answer was saved while typing sends nothing again.
  function queue(slot) {
    var position = slot.dataset.slot;
    var response = responseOf(slot);
    var known = position in pending ? JSON.stringify(pending[position]) : saved[position];
    markNav(position, isAnswered(slot));
    if (JSON.stringify(response) === known) { return; }
    pending[position] = response;
    persist();
    if (!retryMs) { flush(); } else { showState(data.labelQueued.replace("{n}", pendingCount())); }
  }

  var typing = {};
  slots.forEach(function (slot) {
    slot.addEventListener("change", function () { queue(slot); });
    slot.addEventListener("input", function (event) {
      if (event.target.type === "radio" || event.target.type === "checkbox") { return; }
      clearTimeout(typing[slot.dataset.slot]);
      typing[slot.dataset.slot] = setTimeout(function () { queue(slot); }, 800);
    });
  });
  window.addEventListener("online", function () { retryMs = 0; if (closing) { notify(closing); } flush(); });

  // One question per screen, with the navigator and previous/next. The question shown is kept
  // in the address (#q10) and in the form's "at" field, so a reload or the form's save (which
  // redirects back to #q<at>) opens on the same question.
  var atInput = form.querySelector("[data-at]");
  function show(index) {
    current = Math.max(0, Math.min(slots.length - 1, index));
    slots.forEach(function (slot, i) { slot.classList.toggle("quiz-hidden", i !== current); });
    Array.prototype.forEach.call(root.querySelectorAll("[data-nav-to]"), function (nav, i) {
      nav.classList.toggle("current", i === current);
      nav.setAttribute("aria-current", i === current ? "step" : "false");
    });
    atInput.value = String(current + 1);
    if (window.history.replaceState && window.location.hash !== "#q" + (current + 1)) {
      window.history.replaceState(null, "", "#q" + (current + 1));
    }
  }
  function positionInAddress() {
    var match = /^#q(\d+)$/.exec(window.location.hash);
    return match ? parseInt(match[1], 10) : null;
  }
  root.classList.add("quiz-paged");
  Array.prototype.forEach.call(root.querySelectorAll("[data-nav-to]"), function (nav, i) {
    nav.addEventListener("click", function (event) { event.preventDefault(); show(i); });
  });
  Array.prototype.forEach.call(root.querySelectorAll("[data-step]"), function (button) {
    button.addEventListener("click", function () { show(current + parseInt(button.dataset.step, 10)); });
  });
  window.addEventListener("hashchange", function () {
    var position = positionInAddress();
    if (position) { show(position - 1); }
  });
  show((positionInAddress() || parseInt(data.start, 10) || 1) - 1);

  // Notices sit in the bar with the countdown, at the top of the screen: time up, more time,
  // a submission waiting for the network.
  function notify(text) {
    timeupEl.classList.remove("d-none");
    timeupEl.textContent = text;
  }

  // Once the answers are being submitted they and the form's buttons are disabled: nothing more
  // is changed.
  function freeze(frozen) {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset, button[type=submit]"), function (el) {
      el.disabled = frozen;
    });
  }

  // The form carries every answer on the page, those still queued too: they were made in time,
  // and the server accepts them within its grace (after it, it records them as not counted). A
  // form leaves disabled fields out, so the answers are enabled just while it takes them, which
  // it does at once.
  function submitAnswers(label) {
    finished = true;
    notify(label);
    freeze(false);
    form.submit();
    freeze(true);
  }

  // Time is up, or the member submits while offline: the answers are frozen, the queued ones
  // are sent first (the server saves each in time, or records it as late) and then the form.
  // Offline, both wait for the network instead of failing in the browser, and the bar says so.
  function closeAndSubmit(offlineLabel, label) {
    closing = label;
    freeze(true);
    if (navigator.onLine === false) {
      notify(offlineLabel);
    } else {
      notify(label);
      flush();
    }
  }

  // Submitting: confirm, mention unanswered and unsent answers (the form carries them anyway).
  // Saving the form offline leaves the answers to the autosave queue, which sends them when the
  // network is back.
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (frozen()) { return; }
    if (submitter && submitter.hasAttribute("data-no-confirm")) {
      if (navigator.onLine === false) {
        event.preventDefault();
        slots.forEach(queue);
        showState(pendingCount() ? data.labelQueued.replace("{n}", pendingCount()) : data.labelSaved);
      }
      return;
    }
    var unanswered = slots.filter(function (slot) { return !isAnswered(slot); }).length;
    var message = data.labelConfirm;
    if (unanswered) { message += "\n" + data.labelUnanswered.replace("{n}", unanswered); }
    if (pendingCount()) { message += "\n" + data.labelPending; }
    if (!window.confirm(message)) { event.preventDefault(); return; }
    if (navigator.onLine === false) {
      event.preventDefault();
      closeAndSubmit(data.labelSubmitOffline, data.labelSubmitting);
      return;
    }
    finished = true;
  });

  // Countdown from the server's deadline, corrected for the difference between the clocks. At
  // zero the page first asks whether the deadline has moved since it was loaded (the organisers
  // may have given more time); only if it has not, or the server cannot be reached, is time up.
  if (countdownEl && data.deadline) {
    var deadline = Date.parse(data.deadline);
    var offset = Date.parse(data.serverNow) - Date.now();
    // The form says the countdown sent it; the server believes it only once its own deadline
    // has passed, and then only to record who finished.
    var timeUp = function () {
      form.querySelector("[data-by-timer]").value = "1";
      closeAndSubmit(data.labelTimeupOffline, data.labelTimeup);
    };
    var tick;
    var atZero = function () {
      fetch(data.deadlineUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          var moved = body && body.in_progress && body.deadline && Date.parse(body.deadline) > deadline;
          if (!moved) { timeUp(); return; }
          deadline = Date.parse(body.deadline);
          notify(data.labelExtended);
          tick();
        })
        .catch(timeUp);
    };
    tick = function () {
      if (frozen()) { return; }
      var left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      countdownEl.textContent = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      countdownEl.classList.toggle("text-bg-danger", left <= 60);
      countdownEl.classList.toggle("text-bg-dark", left > 60);
      if (left === 0) { atZero(); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }

  // Leaving the tab is logged for a person to look at; nothing else happens. The page's own
  // form posts (saving, submitting) unload it too, which hides it: that is not leaving the
  // exam, so nothing is sent then. The flag is set once every other handler has had its say
  // (a cancelled submission keeps the page) and cleared if the browser brings the page back
  // from its cache.
  var ownPost = false;
  window.addEventListener("submit", function (event) {
    if (event.target === form && !event.defaultPrevented) { ownPost = true; }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { ownPost = false; }
  });
  document.addEventListener("visibilitychange", function () {
    if (frozen() || ownPost) { return; }
    fetch(data.signalUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ kind: document.visibilityState === "hidden" ? "hidden" : "visible" })
    }).catch(function () {});
  });

  restore();
  if (pendingCount()) { flush(); } else { showState(data.labelSaved); }
})();
