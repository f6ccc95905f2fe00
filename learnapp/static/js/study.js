// The lesson page's study tracker. It only says "still here" to the server: the session id the
// server issued, a sequence number, whether the end was reached, whether the page is counting
// ("active") or stopped ("paused": hidden, out of focus) and, for video, the segment watched. The
// server measures the time from its own clock and decides what counts: nothing after a "paused"
// report, until the next "active" one.
(function () {
  "use strict";
  var root = document.getElementById("study-tracker");
  if (!root || !window.fetch) { return; }

  var IDLE_MS = 3 * 60 * 1000;
  var data = root.dataset;
  var intervalMs = Math.max(1, parseInt(data.heartbeatSeconds, 10) || 20) * 1000;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var video = document.querySelector("[data-study-video]");
  var endMarker = document.querySelector("[data-study-end]");
  var verifiedEl = root.querySelector("[data-study-verified]");
  var bar = root.querySelector("[data-study-bar]");
  var stateEl = root.querySelector("[data-study-state]");

  var beatUrl = null;
  var seq = 0;
  var inFlight = false;
  var queued = null;  // a report asked for while another was in flight: { segment: ... }
  var wasActive = false;
  var reachedEnd = false;
  var lastInput = Date.now();
  var segmentStart = null;
  var lastPosition = 0;
  var completed = data.completed === "true";
  // The server's last word: most of the time this page reported had already been credited
  // through another page of the member's (another tab, another device), so it is counted there.
  var elsewhere = false;
  var timer = null;

  // The same format as the page's timer macro (study/_macros.html), whatever the value.
  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) { return data.formatH.replace("{h}", h).replace("{m}", m); }
    if (m) { return data.formatM.replace("{m}", m).replace("{s}", s); }
    return data.formatS.replace("{s}", s);
  }

  function videoPlaying() {
    return !!video && !video.paused && !video.ended;
  }

  function active() {
    if (document.visibilityState !== "visible" || !document.hasFocus()) { return false; }
    return videoPlaying() || Date.now() - lastInput < IDLE_MS;
  }

  function showState() {
    var label;
    if (completed) { label = data.labelDone; }
    else if (document.visibilityState !== "visible" || !document.hasFocus()) { label = data.labelHidden; }
    else if (video && !videoPlaying()) { label = data.labelVideo; }
    else if (!active()) { label = data.labelIdle; }
    else {
      label = elsewhere ? data.labelElsewhere : data.labelActive;
      if (!video && !reachedEnd) { label += " · " + data.labelEnd; }
    }
    stateEl.textContent = label;
    root.classList.toggle("tracker-active", active() && !completed && !elsewhere);
  }

  // What the server counts toward completion: never more than the required time.
  function show(result) {
    verifiedEl.textContent = format(result.counted_seconds);
    bar.max = result.required_seconds || 1;
    bar.value = result.completed ? bar.max : Math.min(result.counted_seconds, bar.max);
    root.dataset.verified = result.counted_seconds;
    elsewhere = result.credited_elsewhere_seconds > result.credited_seconds;
    if (result.completed && !completed) {
      completed = true;
      root.dataset.completed = "true";
    }
    showState();
  }

  function currentSegment() {
    if (!video || segmentStart === null) { return null; }
    var end = video.currentTime;
    var segment = end > segmentStart ? [segmentStart, end] : null;
    segmentStart = videoPlaying() ? end : null;
    return segment;
  }

  // `keepalive`: the request outlives the page (closed, or another page opened in its tab).
  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body || {})
    });
  }

  function start() {
    beatUrl = null;
    seq = 0;
    return post(data.startUrl).then(function (response) {
      if (!response.ok) { throw new Error("start " + response.status); }
      return response.json();
    }).then(function (result) {
      beatUrl = result.beat_url;
    });
  }

  // One report at a time, in order: one asked for meanwhile (the page being hidden just as a
  // regular report is on its way) is sent when the current one is answered, with the page's
  // state at that moment, so the server always learns that the page stopped counting.
  function beat(segment) {
    if (completed || !beatUrl) { return; }
    if (inFlight) {
      if (!queued || segment !== undefined) { queued = { segment: segment }; }
      return;
    }
    inFlight = true;
    seq += 1;
    var payload = { seq: seq, reached_end: reachedEnd, state: active() ? "active" : "paused" };
    if (video) { payload.segment = segment === undefined ? currentSegment() : segment; }
    post(beatUrl, payload).then(function (response) {
      if (response.status === 410) {
        // Closed after a long silence: a new session, told at once if the page is out of view.
        return start().then(function () { queued = active() ? null : {}; });
      }
      if (!response.ok) { throw new Error("beat " + response.status); }
      return response.json().then(show);
    }).catch(function () {
      stateEl.textContent = data.labelError;
    }).then(function () {
      inFlight = false;
      var next = queued;
      queued = null;
      if (next) { beat(next.segment); }
    });
  }

  // The page going away (the tab closed, the next lesson opened in it): the time since the last
  // report is reported now, as the page stops counting, in a request that outlives the page, even
  // while another report is on its way. Otherwise that time, up to one interval, would be lost.
  // Ordering is safe: the server credits this report's whole interval since the last report it
  // accepted, and refuses one that arrives after it with a lower sequence number.
  function leave() {
    if (completed || !beatUrl) { return; }
    seq += 1;
    var payload = { seq: seq, reached_end: reachedEnd, state: "paused" };
    if (video) { payload.segment = currentSegment(); }
    queued = null;
    wasActive = false;
    post(beatUrl, payload, true).catch(function () { return null; });
  }

  function tick() {
    var now = active();
    if (now) { beat(); }
    wasActive = now;
    showState();
  }

  function restartTimer() {
    if (timer) { window.clearInterval(timer); }
    timer = window.setInterval(tick, intervalMs);
  }

  // Becoming active again reports at once, so the server starts the new interval now instead
  // of counting the time away.
  function activityChanged() {
    var now = active();
    if (now && !wasActive) { beat(); restartTimer(); }
    else if (!now && wasActive) { beat(); }
    wasActive = now;
    showState();
  }

  function onInput() {
    var idle = Date.now() - lastInput >= IDLE_MS;
    lastInput = Date.now();
    if (idle) { activityChanged(); }
  }

  ["pointerdown", "keydown", "wheel", "touchstart", "scroll", "mousemove"].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true });
  });
  document.addEventListener("visibilitychange", activityChanged);
  window.addEventListener("pagehide", leave);
  window.addEventListener("focus", activityChanged);
  window.addEventListener("blur", activityChanged);

  if (endMarker && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; }) && !reachedEnd) {
        reachedEnd = true;
        showState();
      }
    }).observe(endMarker);
  }

  if (video) {
    video.addEventListener("playing", function () { segmentStart = video.currentTime; activityChanged(); });
    video.addEventListener("timeupdate", function () { if (!video.seeking) { lastPosition = video.currentTime; } });
    video.addEventListener("seeking", function () {
      // The part watched before the jump is reported now; the jump itself is not watching.
      if (segmentStart !== null && lastPosition > segmentStart) { beat([segmentStart, lastPosition]); }
      segmentStart = null;
    });
    video.addEventListener("seeked", function () { if (videoPlaying()) { segmentStart = video.currentTime; } });
    video.addEventListener("pause", function () { beat(); segmentStart = null; showState(); });
    video.addEventListener("ended", function () { beat(); segmentStart = null; showState(); });
  }

  if (completed) { showState(); return; }
  start().then(function () {
    wasActive = active();
    if (!wasActive) { beat(); }  // opened out of view (a background tab): nothing counts yet
    restartTimer();
    showState();
  }).catch(function () {
    stateEl.textContent = data.labelError;
  });
})();
