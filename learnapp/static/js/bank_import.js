// Question import: while the confirmed import runs, poll its progress and show it.
(function () {
  "use strict";
  // "Update them all" ticks every question of the list; the server updates all in any case.
  var all = document.querySelector("[data-update-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[data-update]").forEach(function (box) {
        box.checked = all.checked;
        box.disabled = all.checked;
      });
    });
  }
  var form = document.querySelector("form[data-import-confirm]");
  if (!form) { return; }
  var box = form.querySelector("[data-progress]");
  var bar = form.querySelector("[data-progress-bar]");
  var text = form.querySelector("[data-progress-text]");
  var url = form.getAttribute("data-progress-url");
  var started = false;

  function show(done, total) {
    if (typeof done !== "number" || typeof total !== "number") { return; }
    bar.max = Math.max(total, 1);
    bar.value = done;
    text.textContent = text.getAttribute("data-template")
      .replace("{done}", String(done)).replace("{total}", String(total));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.state === "running") { show(state.done, state.total); }
        if (!state || state.state !== "done") { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }

  form.addEventListener("submit", function (event) {
    if (started) { event.preventDefault(); return; }
    started = true;
    form.querySelector("button[type=submit]").disabled = true;
    box.hidden = false;
    bar.removeAttribute("value");  // indeterminate until the first report arrives
    window.setTimeout(poll, 300);
  });
})();
