// Completion dashboard: Chart.js charts from data attributes, and export progress.
(function () {
  "use strict";

  function data(canvas) {
    return JSON.parse(canvas.getAttribute("data-chart-data"));
  }

  if (window.Chart) {
    document.querySelectorAll("canvas[data-chart=status]").forEach(function (canvas) {
      var d = data(canvas);
      new window.Chart(canvas, {
        type: "doughnut",
        data: { labels: d.labels, datasets: [{ data: d.counts, backgroundColor: d.colours }] },
        options: { maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } }
      });
    });
    document.querySelectorAll("canvas[data-chart=units]").forEach(function (canvas) {
      var d = data(canvas);
      // One bar per child unit: the box grows with them (CSSOM, which the CSP allows).
      canvas.parentNode.style.height = Math.max(12, 2.2 * d.units.length + 5) + "rem";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: d.units,
          datasets: d.labels.map(function (label, i) {
            return { label: label, data: d.byUnit[i], backgroundColor: d.colours[i] };
          })
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } },
          plugins: { legend: { position: "bottom" } }
        }
      });
    });
  }

  // Exports: fetch the file, showing rows (CSV) or bytes received and the time taken, then
  // hand it to the browser as a download. Without JavaScript the form posts normally.
  var box = document.getElementById("export-progress");
  document.querySelectorAll("form.export-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.ReadableStream || !box) { return; }
      event.preventDefault();
      var button = form.querySelector("button");
      var expected = parseInt(form.getAttribute("data-rows"), 10) || 0;
      var started = Date.now();
      var isCsv = form.action.slice(-4) === ".csv";
      var received = 0, lines = 0, rowsDone = 0, saving = false;
      // The workbook is built before its first byte is sent: ask the server how far it got.
      var progressUrl = form.getAttribute("data-progress-url");
      var tokenInput = form.querySelector("input[name=progress]");
      var poll = null;
      if (progressUrl && tokenInput && window.crypto && window.crypto.getRandomValues) {
        var bytes = window.crypto.getRandomValues(new Uint8Array(16));
        tokenInput.value = Array.prototype.map.call(bytes, function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("");
        var url = progressUrl.replace("TOKEN", tokenInput.value);
        poll = window.setInterval(function () {
          fetch(url, { credentials: "same-origin" }).then(function (r) {
            return r.ok ? r.json() : null;
          }).then(function (state) {
            if (state) { rowsDone = state.rows; saving = state.stage === "saving"; show(); }
          }).catch(function () { return null; });
        }, 1000);
      }
      button.disabled = true;
      box.classList.remove("d-none", "alert-danger");
      box.classList.add("alert-info");
      function show() {
        var seconds = Math.round((Date.now() - started) / 1000);
        var text = box.getAttribute("data-working") + " ";
        var done = isCsv ? Math.max(lines - 2, 0) : rowsDone;
        if (expected && done) {
          text += Math.min(100, Math.round(100 * done / expected)) + "% · ";
        }
        if (saving && !received) { text += box.getAttribute("data-saving") + " · "; }
        box.textContent = text + (received ? Math.round(received / 1024) + " KB · " : "") +
          expected + " " + box.getAttribute("data-members") + " · " + seconds + " s";
      }
      var timer = window.setInterval(show, 500);
      show();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          var name = "export";
          var header = response.headers.get("Content-Disposition") || "";
          var match = /filename\*=UTF-8''([^;]+)/.exec(header);
          if (match) { name = decodeURIComponent(match[1]); }
          var reader = response.body.getReader();
          var chunks = [];
          function pump() {
            return reader.read().then(function (step) {
              if (step.done) { return; }
              chunks.push(step.value);
              received += step.value.length;
              if (isCsv) {
                for (var i = 0; i < step.value.length; i++) { if (step.value[i] === 10) { lines++; } }
              }
              return pump();
            });
          }
          return pump().then(function () {
            var blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "" });
            var link = document.createElement("a");
            link.href = URL.createObjectURL(blob);
            link.download = name;
            document.body.appendChild(link);
            link.click();
            link.remove();
            window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
            show();
            box.textContent = box.getAttribute("data-done") + " " + box.textContent;
          });
        })
        .catch(function () {
          box.classList.remove("alert-info");
          box.classList.add("alert-danger");
          box.textContent = box.getAttribute("data-failed");
        })
        .finally(function () {
          window.clearInterval(timer);
          if (poll) { window.clearInterval(poll); }
          button.disabled = false;
        });
    });
  });
})();
