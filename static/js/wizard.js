// The wizard's picture step: drag a picture onto the drop zone, or choose one, and it uploads.
(function () {
  "use strict";

  function bind(root) {
    var zone = root.querySelector && root.querySelector("#dropzone");
    if (!zone || zone.dataset.bound) return;
    zone.dataset.bound = "1";
    var input = zone.querySelector("input[type=file]");
    var button = zone.querySelector("button[type=submit]");
    if (button) button.classList.add("js-hidden");
    input.addEventListener("change", function () {
      if (input.files.length) zone.requestSubmit();
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      zone.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function () { bind(document); });
})();
