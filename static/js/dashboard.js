// The dashboard's small helpers: ticking timers, and telling the creator when a video is ready.
(function () {
  "use strict";
  var baseTitle = document.title;
  var unseen = 0;
  var FINISHED = ["completed", "failed", "canceled"];

  // The tab's title counts the videos in progress (waiting or being made): "(2) Your studio".
  function titled() {
    var cards = document.querySelectorAll("#cards [data-status]");
    var n = Array.prototype.filter.call(cards, function (card) {
      return FINISHED.indexOf(card.dataset.status) < 0;
    }).length;
    return (n ? "(" + n + ") " : "") + baseTitle;
  }
  function showTitle() {
    if (unseen) document.title = unseen + " ready · " + titled();
    else if (!/^Video ready · /.test(document.title)) document.title = titled();
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-elapsed-from]").forEach(function (el) {
      el.textContent = clock(now - Number(el.dataset.elapsedFrom));
    });
  }

  function notice(text, kind) {
    var area = document.getElementById("notices");
    if (!area) return;
    var item = document.createElement("p");
    item.className = "notice notice-" + kind;
    item.textContent = text;
    area.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  function announce(card) {
    var status = card.dataset.justFinished;
    card.removeAttribute("data-just-finished");
    var prompt = (card.querySelector(".gen-prompt") || {}).textContent || "";
    var short = prompt.length > 60 ? prompt.slice(0, 57) + "…" : prompt;
    if (status === "completed") {
      notice("Your video is ready: " + short, "success");
      if (document.hidden) { unseen += 1; showTitle(); }
      else { document.title = "Video ready · " + titled(); setTimeout(function () { document.title = titled(); }, 6000); }
      if (window.Notification && Notification.permission === "granted" && document.hidden) {
        new Notification("Your video is ready", { body: short });
      }
    } else {
      notice("A video could not be made: " + short, "error");
    }
  }

  function announceAll() {
    document.querySelectorAll("[data-just-finished]").forEach(announce);
  }

  function setUpNotifications() {
    var button = document.getElementById("enable-notifications");
    if (!button || !window.Notification || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }

  // Tabs of the same studio tell each other when one starts a video, so an idle tab looks too.
  var channel = window.BroadcastChannel ? new BroadcastChannel("studio-generations") : null;
  function pollNow() {
    var poller = document.getElementById("poller");
    if (poller && window.htmx) htmx.trigger(poller, "studio-changed");
  }
  if (channel) channel.onmessage = pollNow;
  // beforeSwap, not afterRequest: the create form is swapped out, and a detached form's events
  // no longer reach the document.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (channel && elt && elt.id === "create-form" && event.detail.xhr.status === 200) {
      channel.postMessage("changed");
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unseen = 0; document.title = titled(); }
  });
  // The poller tells the server which cards the page has, as one parameter: a changed card it
  // has is replaced, one it lacks (made in another tab) is added.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "poller") return;
    var ids = Array.prototype.map.call(document.querySelectorAll("#cards [data-generation]"), function (card) {
      return card.dataset.generation;
    });
    event.detail.parameters.set("have", ids.join(","));
  });
  // A new card can come twice: in the answer that made it, and in a poll sent just before that answer
  // came (the poll did not know the page had it). The later one takes the earlier one's place.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (!target || target.id !== "cards" || !fragment || !fragment.querySelectorAll) return;
    fragment.querySelectorAll(".gen-card[id]").forEach(function (card) {
      var existing = document.getElementById(card.id);
      if (!existing) return;
      var focused = existing.contains(document.activeElement);
      existing.replaceWith(card);
      if (window.htmx) htmx.process(card);
      if (focused) {
        card.setAttribute("tabindex", "-1");
        card.focus({ preventScroll: true });
      }
    });
  });
  document.addEventListener("htmx:afterSettle", announceAll);
  document.addEventListener("htmx:oobAfterSwap", announceAll);
  document.addEventListener("htmx:afterSettle", showTitle);
  document.addEventListener("htmx:oobAfterSwap", showTitle);
  // The header's balance changed (a failed video's credits came back) while Generate was disabled
  // for want of credits: the settings are asked for again, so the button and its reason follow.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var button = document.querySelector("#create-form .generate-button");
    var settings = document.getElementById("settings");
    if (event.target.id !== "credit-balance" || !button || button.getAttribute("aria-describedby") !== "cost") return;
    if (settings && window.htmx) htmx.trigger(settings.parentElement, "change");
  });
  // An example prompt fills the prompt, and does nothing else.
  document.addEventListener("click", function (event) {
    var example = event.target.closest("[data-example]");
    var prompt = document.querySelector("#create-form textarea[name=prompt]");
    if (!example || !prompt) return;
    prompt.value = example.dataset.example;
    prompt.dispatchEvent(new Event("input", { bubbles: true }));
    prompt.focus();
  });

  // After Generate the new card (put at the top of #cards by the answer) is brought into view and focused,
  // so the creator sees it start and a screen reader lands on it. Cards the poller adds are left alone.
  var asked = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "create-form") asked = true;
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (!asked || !event.detail.target || event.detail.target.id !== "cards") return;
    asked = false;
    var card = event.detail.target.querySelector(".gen-card");
    if (!card) return;
    card.setAttribute("tabindex", "-1");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "create-form" && !event.detail.successful) asked = false;
  });

  // A picture dropped on the prompt bar (or chosen from its link) goes to the picture-to-video wizard:
  // the wizard's address leads to the creator's draft, and the picture is posted to that draft's upload.
  function startFromPicture(files) {
    var form = document.getElementById("picture-form");
    var input = document.getElementById("picture-file");
    if (!form || !input || !files || !files.length) return;
    if (files[0].type && !/^image\//.test(files[0].type)) {  // no type (HEIC on some systems): the wizard decides
      notice("Only a picture can start a video: a JPEG, PNG, WebP or HEIC file.", "error");
      return;
    }
    if (input.files !== files) input.files = files;
    fetch(form.dataset.wizard, { credentials: "same-origin" }).then(function (response) {
      var step = new URL(response.url);
      if (!response.ok || !/\/animate\/[0-9a-f-]+\/[a-z]+\/$/.test(step.pathname)) throw new Error("no draft");
      form.action = step.pathname.replace(/[a-z]+\/$/, "upload/");
      form.submit();
    }).catch(function () {
      window.location.href = form.dataset.wizard;  // the wizard's own picture step still takes it
    });
  }
  function setUpPictureDrop() {
    var bar = document.querySelector("[data-picture-drop]");
    var input = document.getElementById("picture-file");
    if (!bar || !input) return;
    document.querySelectorAll(".drop-hint").forEach(function (hint) { hint.hidden = false; });
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-choose-picture]")) input.click();
    });
    input.addEventListener("change", function () { startFromPicture(input.files); });
    function dragsFiles(event) {
      return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
    }
    bar.addEventListener("dragover", function (event) {
      if (!dragsFiles(event)) return;
      event.preventDefault();
      bar.classList.add("is-dropping");
    });
    bar.addEventListener("dragleave", function (event) {
      if (!bar.contains(event.relatedTarget)) bar.classList.remove("is-dropping");
    });
    // A file dropped beside the bar is not opened in place of the studio.
    ["dragover", "drop"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        if (dragsFiles(event) && !bar.contains(event.target)) event.preventDefault();
      });
    });
    bar.addEventListener("drop", function (event) {
      bar.classList.remove("is-dropping");
      if (!dragsFiles(event)) return;
      event.preventDefault();
      startFromPicture(event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showTitle();
    tick();
    setInterval(tick, 1000);
    setUpNotifications();
    setUpPictureDrop();
  });
})();
