// Assessments: a ballot shortcut that marks every member not yet rated with one grade; the
// voter still sees and can change each choice before sending (nothing is sent by this).
(function () {
  "use strict";
  document.querySelectorAll("[data-fill-all]").forEach(function (button) {
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-fill-all");
      var form = button.closest("form");
      var names = {};
      form.querySelectorAll("input[type=radio]").forEach(function (input) {
        names[input.name] = names[input.name] || input.checked;
      });
      Object.keys(names).forEach(function (name) {
        if (names[name]) { return; }
        var choice = form.querySelector('input[name="' + name + '"][value="' + value + '"]');
        if (choice) { choice.checked = true; }
      });
    });
  });
})();

(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
