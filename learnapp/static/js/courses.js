// Course authoring: Markdown preview (rendered and sanitised by the server) and the 学时 hint.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var editor = document.querySelector("[data-editor]");
  var preview = document.querySelector("[data-editor-preview]");
  var tabs = document.querySelectorAll("[data-editor-tab]");

  function show(tab) {
    tabs.forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-editor-tab") === tab);
    });
    editor.classList.toggle("d-none", tab !== "write");
    preview.classList.toggle("d-none", tab !== "preview");
  }

  tabs.forEach(function (button) {
    button.addEventListener("click", function () {
      var tab = button.getAttribute("data-editor-tab");
      if (tab !== "preview") { show("write"); return; }
      var body = new FormData();
      body.append("body_source", editor.value);
      fetch(button.getAttribute("data-preview-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.content : "" }
      }).then(function (response) { return response.json(); }).then(function (data) {
        // The server returns HTML already sanitised by learnapp/sanitize.py, as saved lessons are.
        preview.innerHTML = data.html || "";
        if (data.error) { preview.textContent = data.error; }
        show("preview");
      });
    });
  });

  var length = document.querySelector("[data-suggest-url]");
  var hint = document.querySelector("[data-hours-suggestion]");
  function suggest() {
    if (!length || !hint) { return; }
    var url = length.getAttribute("data-suggest-url") + "?length=" + encodeURIComponent(length.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      hint.textContent = data.hours ? hint.getAttribute("data-template").replace("__HOURS__", data.hours) : "";
    });
  }
  if (length) {
    length.addEventListener("change", suggest);
    length.addEventListener("input", suggest);
    suggest();
  }
})();
