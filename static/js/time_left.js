// Honest time on the cards: keeps the words of generations.estimates true as the seconds pass.
// A span with data-time-left="active" carries since/low/high (Unix seconds: when its video left the
// queue, and the quick and slow ends of its usual finish); one with "waiting" carries its expected start
// (start-low, start-high) and finish (low, high). The words are the same as the server's (estimates.py).
(function () {
  "use strict";

  function round(value) { return Math.floor(value + 0.5); }

  function span(low, high) {
    low = Math.max(low, 0); high = Math.max(high, 0);
    var lo, hi, unit;
    if (high >= 90 * 60) {
      lo = Math.max(round(low / 3600), 1); hi = Math.max(round(high / 3600), 1); unit = "hour";
    } else {
      lo = round(low / 60); hi = round(high / 60); unit = "minute";
      if (hi === 0) return "less than a minute";
      if (lo === 0) return hi === 1 ? "about a minute" : "less than " + hi + " minutes";
    }
    if (lo >= hi) return hi === 1 ? "about a " + unit : "about " + hi + " " + unit + "s";
    return "about " + lo + "-" + hi + " " + unit + "s";
  }

  function soFar(seconds) {
    seconds = Math.max(Math.floor(seconds), 0);
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
  }

  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function words(el, now) {
    var d = el.dataset;
    if (d.timeLeft === "active") {
      if (now > Number(d.high)) return "Taking longer than usual: " + soFar(now - Number(d.since)) + " so far";
      return capital(span(Number(d.low) - now, Number(d.high) - now)) + " left";
    }
    var start = Number(d.startHigh) - now < 30 ? "starts in a moment"
      : "starts in " + span(Number(d.startLow) - now, Number(d.startHigh) - now);
    return capital(start) + ", ready in " + span(Number(d.low) - now, Number(d.high) - now) + ".";
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-time-left]").forEach(function (el) {
      var text = words(el, now);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", tick);
})();
