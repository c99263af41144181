// A comparison's takes, played in sync: one play/pause and one seek bar for all of them, each take muted
// or not on its own. The leader is the first ready take; on its timeupdate, any other take that drifted
// more than 0.1 s is put back in step. On a narrow screen the takes stack and one plays at a time.
(function () {
  "use strict";
  var DRIFT = 0.1;
  var phone = window.matchMedia("(max-width: 700px)");

  function videos() {
    return Array.prototype.slice.call(document.querySelectorAll("#takes video.take-video"));
  }
  function leader() {
    var all = videos();
    return all.find(function (v) { return v.dataset.solo === "true"; }) || all[0] || null;
  }
  function longest() {
    return videos().reduce(function (most, v) { return Math.max(most, v.duration || 0); }, 0);
  }
  function playing() {
    return videos().some(function (v) { return !v.paused && !v.ended; });
  }

  function align(to) {
    videos().forEach(function (v) {
      if (Math.abs(v.currentTime - to) > DRIFT) {
        v.currentTime = Math.min(to, v.duration || to);
      }
    });
  }

  function showTime() {
    var lead = leader(), seek = document.getElementById("seek-all"), out = document.getElementById("seek-time");
    if (!lead || !seek) return;
    if (document.activeElement !== seek) seek.value = lead.currentTime.toFixed(1);
    if (out) out.textContent = lead.currentTime.toFixed(1) + " s";
  }

  function refreshControls() {
    var play = document.getElementById("play-all"), seek = document.getElementById("seek-all");
    if (!play || !seek) return;
    var ready = videos().length > 0;
    play.disabled = seek.disabled = !ready;
    var max = longest();
    if (max) seek.max = max.toFixed(1);
    var on = playing();
    play.textContent = on ? "Pause all" : (phone.matches ? "Play" : "Play all");
    play.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function playAll() {
    var lead = leader();
    if (!lead) return;
    var at = lead.ended ? 0 : lead.currentTime;
    if (phone.matches) {  // one at a time: the chosen take, or the first
      videos().forEach(function (v) { if (v !== lead) v.pause(); });
      lead.play();
      return;
    }
    align(at);
    videos().forEach(function (v) {
      if (v.ended || v.currentTime >= (v.duration || Infinity)) v.currentTime = Math.min(at, v.duration || at);
      var p = v.play();
      if (p && p.catch) p.catch(function () {});
    });
  }

  function pauseAll() {
    videos().forEach(function (v) { v.pause(); });
    var lead = leader();
    if (lead) align(lead.currentTime);
  }

  function setUp(video) {
    if (video.dataset.synced) return;
    video.dataset.synced = "true";
    video.muted = true;
    var lead = leader();
    if (lead && lead !== video && lead.currentTime) {
      video.addEventListener("loadedmetadata", function () { video.currentTime = Math.min(lead.currentTime, video.duration); }, { once: true });
    }
    ["play", "pause", "ended", "loadedmetadata"].forEach(function (name) { video.addEventListener(name, refreshControls); });
    video.addEventListener("play", function () {
      if (phone.matches) videos().forEach(function (v) { if (v !== video) v.pause(); });
    });
    video.addEventListener("timeupdate", function () {
      if (video !== leader()) return;
      showTime();
      if (phone.matches || video.paused || video.seeking) return;
      videos().forEach(function (v) {
        if (v === video || v.paused || v.ended || v.seeking) return;
        if (Math.abs(v.currentTime - video.currentTime) > DRIFT && video.currentTime < (v.duration || 0)) {
          v.currentTime = video.currentTime;
        }
      });
    });
  }

  function setUpAll() {
    videos().forEach(setUp);
    refreshControls();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.id === "play-all") {
      if (playing()) pauseAll(); else playAll();
      return;
    }
    var take = button.closest(".take"), video = take && take.querySelector("video.take-video");
    if (!video) return;
    if (button.hasAttribute("data-take-sound")) {
      video.muted = !video.muted;
      button.setAttribute("aria-pressed", video.muted ? "false" : "true");
      var state = button.querySelector(".take-sound-state");
      if (state) state.textContent = video.muted ? "off" : "on";
    } else if (button.hasAttribute("data-take-solo")) {
      videos().forEach(function (v) { v.dataset.solo = v === video ? "true" : "false"; if (v !== video) v.pause(); });
      var p = video.play();
      if (p && p.catch) p.catch(function () {});
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "seek-all") return;
    var to = parseFloat(event.target.value) || 0;
    videos().forEach(function (v) { v.currentTime = Math.min(to, v.duration || to); });
    var out = document.getElementById("seek-time");
    if (out) out.textContent = to.toFixed(1) + " s";
  });

  phone.addEventListener("change", function () {
    if (phone.matches && playing()) {
      var lead = leader();
      videos().forEach(function (v) { if (v !== lead) v.pause(); });
    }
    refreshControls();
  });

  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("htmx:load", setUpAll);  // a take the poller just swapped in
})();
