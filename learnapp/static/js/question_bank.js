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

  // Show the filled rows (at least `minimum`); "Add option" or "Add blank" reveals the next
  // hidden one. Returns a function that shows at least a given number of rows.
  function compact(editor, rowSelector, minimum) {
    var rows = Array.prototype.slice.call(editor.querySelectorAll(rowSelector));
    var add = editor.querySelector("[data-add-option]");
    var last = -1;
    rows.forEach(function (row, index) {
      var input = row.querySelector('input[type="text"], input:not([type])');
      if (input && input.value.trim() !== "") { last = index; }
    });
    var visible = 0;
    function show(count) {
      visible = Math.min(rows.length, Math.max(visible, count));
      rows.forEach(function (row, index) { row.classList.toggle("d-none", index >= visible); });
      if (add) { add.classList.toggle("d-none", visible >= rows.length); }
    }
    show(Math.max(minimum, last + 1));
    if (add) {
      add.addEventListener("click", function () {
        show(visible + 1);
        var input = rows[visible - 1].querySelector('input[type="text"], input:not([type])');
        if (input) { input.focus(); }
      });
    }
    return show;
  }
  document.querySelectorAll("[data-options-editor]").forEach(function (editor) {
    compact(editor, "[data-option-row]", 4);
  });

  // A 填空 stem marks each blank with ____: at least as many answer boxes show as it has blanks.
  document.querySelectorAll("[data-blanks-editor]").forEach(function (editor) {
    var stem = editor.closest("form").querySelector('textarea[name="stem"]');
    function blanks() { return stem ? (stem.value.match(/_{3,}/g) || []).length : 0; }
    var show = compact(editor, "[data-blank-row]", Math.max(4, blanks()));
    if (stem) {
      stem.addEventListener("input", function () { show(blanks()); });
    }
  });

  // The preview is for looking: answering it sends nothing.
  document.querySelectorAll("[data-preview-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); });
  });
})();
