// A storyboard's page (a shot is dragged by its handle to a new place by sortable.js): keep the Add a shot
// form's lengths to the chosen model's, show the picture and frame fields only for the start that uses
// them, and send a Make or Export form once however often it is clicked.
(function () {
  "use strict";
  // Add a shot: the lengths the chosen model makes, and the fields its start uses.
  function fitLengths() {
    var model = document.getElementById("shot-model"), length = document.getElementById("shot-length");
    if (!model || !length || !model.selectedOptions.length) return;
    var offered = (model.selectedOptions[0].dataset.durations || "").split(" ");
    var current = length.value, first = null, stays = false;
    Array.prototype.forEach.call(length.options, function (option) {
      var ok = offered.indexOf(option.value) !== -1;
      option.hidden = option.disabled = !ok;
      if (ok && first === null) first = option;
      if (ok && option.value === current) stays = true;
    });
    if (!stays && first) first.selected = true;
  }

  function fitStart() {
    var chosen = document.querySelector(".shot-add-form input[name=start]:checked");
    document.querySelectorAll("[data-start-for]").forEach(function (field) {
      field.hidden = !chosen || field.dataset.startFor !== chosen.value;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "shot-model") fitLengths();
    if (event.target.name === "start") fitStart();
  });

  // A Move button keeps the focus across the page's reload, as on the queue (the other one when it is now disabled).
  document.addEventListener("submit", function (event) {
    if (event.target.classList && event.target.classList.contains("shot-move") && event.submitter) {
      try { sessionStorage.setItem("storyboard-focus", event.submitter.id); } catch (e) { /* private mode */ }
    }
  });

  function refocus() {
    var id = null;
    try { id = sessionStorage.getItem("storyboard-focus"); sessionStorage.removeItem("storyboard-focus"); } catch (e) { return; }
    var button = id && document.getElementById(id);
    if (!button) return;
    if (button.disabled) button = button.parentNode.querySelector("button:not([disabled])");
    if (button) button.focus();
  }

  // A form marked data-once sends once: a second click while the first is on its way does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) { delete form.dataset.sent; });
  });

  function ready() { fitLengths(); fitStart(); }
  // After the page has scrolled to the shot (#shot-N), which takes the focus away again.
  window.addEventListener("load", function () { setTimeout(refocus, 0); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();

  // The frame scrubber: dragging it shows that moment of the shot before and fills "Frame at";
  // typing a second there moves it. The end of the scrubber is the last frame (the field left empty).
  function scrubbed(event) {
    var scrub = document.getElementById("frame-scrub");
    var field = document.getElementById("shot-frame");
    var video = document.getElementById("frame-preview");
    if (!scrub || !field || !video) return;
    if (event.target === scrub) {
      var atEnd = parseFloat(scrub.value) >= parseFloat(scrub.max);
      field.value = atEnd ? "" : scrub.value;
      video.currentTime = Math.min(parseFloat(scrub.value), (video.duration || parseFloat(scrub.max)) - 0.01);
    } else if (event.target === field) {
      scrub.value = field.value === "" ? scrub.max : field.value;
      video.currentTime = Math.min(parseFloat(scrub.value) || 0, (video.duration || parseFloat(scrub.max)) - 0.01);
    }
  }
  document.addEventListener("input", scrubbed);
  document.addEventListener("loadedmetadata", function (event) {
    if (event.target.id === "frame-preview") scrubbed({ target: document.getElementById("frame-scrub") });
  }, true);
})();
