// The queue page: drag a waiting video to a new place (the Move buttons do the same from the keyboard).
// The new order is posted by the page's own reorder form, so htmx swaps the queue in as for any action.
// While a video is dragged, or a Cancel question is open, the queue's refresh every few seconds waits.
(function () {
  "use strict";
  var dragged = null;

  function line() { return document.getElementById("queue-line"); }

  function itemOf(target) { return target && target.closest ? target.closest(".queue-item") : null; }

  function busy() {
    var queue = document.getElementById("queue");
    // ...or while one of its own actions is on its way: the refresh would replace the form that sent it,
    // and the action's answer (the balance out of band) would then find nothing to swap.
    return dragged !== null || (queue && queue.querySelector("details[open], .htmx-request") !== null);
  }

  function send() {
    var form = document.getElementById("reorder-form");
    var list = line();
    if (!form || !list) return;
    form.querySelectorAll("input[name=ids]").forEach(function (input) { input.remove(); });
    list.querySelectorAll(".queue-item").forEach(function (item) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ids";
      input.value = item.dataset.id;
      form.appendChild(input);
    });
    if (window.htmx) window.htmx.trigger(form, "submit");
    else form.submit();
  }

  document.addEventListener("dragstart", function (event) {
    var item = itemOf(event.target);
    if (!item || !line() || !line().contains(item)) return;
    dragged = { item: item, order: Array.prototype.map.call(line().children, function (li) { return li.dataset.id; }) };
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.id);
  });

  document.addEventListener("dragover", function (event) {
    var over = itemOf(event.target);
    if (!dragged || !over || over.parentNode !== dragged.item.parentNode) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (over === dragged.item) return;
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged.item, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged && itemOf(event.target)) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var item = dragged.item;
    var before = dragged.order.join(",");
    item.classList.remove("dragging");
    dragged = null;
    var now = Array.prototype.map.call(line().children, function (li) { return li.dataset.id; }).join(",");
    if (now !== before) send();
  });

  // The refresh (a GET of the queue) waits while the creator is in the middle of something.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    // (A refresh already on its way when an action starts is held back or dropped by swaps.js.)
    if (elt && elt.id === "queue" && busy()) event.preventDefault();
  });
})();
