// Requests whose element is swapped away while they are on their way. Their answers would go into a
// detached copy: the out-of-band parts (the header's balance, a new card for #cards) find nothing, or
// land twice. So, when an element is about to be replaced:
// - an action (a POST) on its way from inside it holds the replacement back: the action's own answer
//   brings the element up to date;
// - any other answer still to come for it (a poller's) is dropped: the element in its place asks again.
(function () {
  "use strict";
  var acting = new Set(); // elements with an action on its way
  var watched = new WeakSet();

  document.addEventListener("htmx:beforeSend", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb !== "get") acting.add(event.detail.elt);
  });
  document.addEventListener("htmx:afterRequest", function (event) { acting.delete(event.detail.elt); });

  function dropIfGone(event) {
    if (!event.currentTarget.isConnected) event.detail.shouldSwap = false;
  }

  function replacing(event) {
    var target = event.detail.target;
    if (!target || !target.contains) return;
    var answering = event.detail.requestConfig ? event.detail.requestConfig.elt : null; // whose answer this is
    acting.forEach(function (elt) {
      if (!elt.isConnected) acting.delete(elt); // its answer went elsewhere, or nowhere
      else if (elt !== answering && elt !== target && target.contains(elt)) event.detail.shouldSwap = false;
    });
    if (event.detail.shouldSwap && !watched.has(target)) {
      watched.add(target);
      target.addEventListener("htmx:beforeSwap", dropIfGone); // answers still to come for what goes now
    }
  }

  document.addEventListener("htmx:beforeSwap", replacing);
  document.addEventListener("htmx:oobBeforeSwap", replacing);
})();
