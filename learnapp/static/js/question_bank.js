// Question bank screens: select-all in the list, the option and blank editors, the preview form.
// Every page works without this file: all option and blank rows are then simply shown.
(function () {
  "use strict";

  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll('input[name="ids"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });

  // Show the filled rows (at least `minimum`); "Add option" reveals the next hidden one.
  function compact(editor, rowSelector, minimum) {
    var rows = Array.prototype.slice.call(editor.querySelectorAll(rowSelector));
    var last = -1;
    rows.forEach(function (row, index) {
      var input = row.querySelector('input[type="text"], input:not([type])');
      if (input && input.value.trim() !== "") { last = index; }
    });
    var visible = Math.max(minimum, last + 1);
    rows.forEach(function (row, index) { row.classList.toggle("d-none", index >= visible); });
    var add = editor.querySelector("[data-add-option]");
    if (add) {
      add.classList.toggle("d-none", visible >= rows.length);
      add.addEventListener("click", function () {
        var hidden = editor.querySelector(rowSelector + ".d-none");
        if (hidden) {
          hidden.classList.remove("d-none");
          var input = hidden.querySelector('input[type="text"], input:not([type])');
          if (input) { input.focus(); }
        }
        if (!editor.querySelector(rowSelector + ".d-none")) { add.classList.add("d-none"); }
      });
    }
  }
  document.querySelectorAll("[data-options-editor]").forEach(function (editor) {
    compact(editor, "[data-option-row]", 4);
  });

  // The preview is for looking: answering it sends nothing.
  document.querySelectorAll("[data-preview-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); });
  });
})();
