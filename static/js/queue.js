// The queue page (a waiting video is dragged to a new place by sortable.js, and the new order posted by
// the page's own reorder form, so htmx swaps the queue in as for any action): while a video is dragged,
// or a Cancel question is open, the queue's refresh every few seconds waits.
(function () {
  "use strict";
  function busy() {
    var queue = document.getElementById("queue");
    // A video being dragged (sortable.js), or one of the queue's own actions on its way: the refresh would
    // replace the form that sent it, and the action's answer (the balance out of band) would then find
    // nothing to swap.
    return queue !== null && queue.querySelector(".dragging, details[open], .htmx-request") !== null;
  }

  // The refresh (a GET of the queue) waits while the creator is in the middle of something.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    // (A refresh already on its way when an action starts is held back or dropped by swaps.js.)
    if (elt && elt.id === "queue" && busy()) event.preventDefault();
  });
})();
