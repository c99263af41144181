// The library and the galleries: previews that play on hover (or on a tap on a phone),
// ticking videos for bulk changes, and copying a share link.
(function () {
  "use strict";
  var lastPointer = "mouse";

  function previewOf(target) {
    return target && target.closest ? target.closest("[data-preview]") : null;
  }

  function play(preview) {
    var video = preview.querySelector("video");
    if (!video) return;
    if (!video.getAttribute("src")) video.src = video.dataset.src;
    var started = video.play();
    if (started && started.catch) started.catch(function () {});
  }

  function pause(preview) {
    var video = preview.querySelector("video");
    if (video) video.pause();
  }

  document.addEventListener("pointerdown", function (event) { lastPointer = event.pointerType; }, true);

  document.addEventListener("pointerover", function (event) {
    var preview = previewOf(event.target);
    if (!preview || event.pointerType !== "mouse" || preview.contains(event.relatedTarget)) return;
    play(preview);
  });

  document.addEventListener("pointerout", function (event) {
    var preview = previewOf(event.target);
    if (!preview || event.pointerType !== "mouse" || preview.contains(event.relatedTarget)) return;
    pause(preview);
  });

  // A tap plays or pauses the preview; the prompt under it opens the video's page.
  document.addEventListener("click", function (event) {
    var preview = previewOf(event.target);
    if (!preview || lastPointer === "mouse") return;
    event.preventDefault();
    var video = preview.querySelector("video");
    var playing = video && !video.paused;
    document.querySelectorAll("[data-preview]").forEach(pause);
    if (!playing) play(preview);
  });

  // The poster shows until the video really plays, so a slow start never flashes black.
  document.addEventListener("playing", function (event) {
    var preview = previewOf(event.target);
    if (preview) preview.classList.add("is-playing");
  }, true);
  document.addEventListener("pause", function (event) {
    var preview = previewOf(event.target);
    if (preview) preview.classList.remove("is-playing");
  }, true);

  // Bulk changes: the bar says how many are ticked, and its buttons wait for at least one.
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  }

  function updateBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    document.getElementById("bulk-count").textContent = ticked
      ? ticked + (ticked === 1 ? " video ticked" : " videos ticked")
      : "Tick videos to change several at once";
    form.classList.toggle("has-selection", ticked > 0);
    form.querySelectorAll("#bulk-actions button, #bulk-actions select").forEach(function (control) {
      control.disabled = ticked === 0;
    });
    var selectAll = document.getElementById("select-all");
    selectAll.hidden = all.length === 0;
    selectAll.textContent = all.length && ticked === all.length ? "Untick all" : "Tick all shown";
    all.forEach(function (box) {
      var card = box.closest(".lib-card");
      if (card) card.classList.toggle("is-selected", box.checked);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches('input[name="ids"]')) updateBulk();
  });

  document.addEventListener("click", function (event) {
    if (event.target.id === "select-all") {
      var all = boxes();
      var tick = !all.every(function (box) { return box.checked; });
      all.forEach(function (box) { box.checked = tick; });
      updateBulk();
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var input = document.getElementById(copy.dataset.copy);
      var done = function () { copy.textContent = "Copied"; setTimeout(function () { copy.textContent = "Copy link"; }, 2000); };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else if (document.execCommand("copy")) {
        done();
      }
    }
  });

  document.addEventListener("htmx:afterSettle", updateBulk);
  document.addEventListener("DOMContentLoaded", updateBulk);
})();
