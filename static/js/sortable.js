// Drag to reorder, for any list marked data-sortable="<id of its order form>": its items (children with
// data-id) are dragged into a new place, and when the order changed, the form is sent with the ids in
// the new order (by htmx when the form has hx-post, else as a plain form). data-sortable-handle="<selector>"
// makes only that part of an item draggable. The page's Move buttons do the same from the keyboard.
// While an item is dragged it has the class "dragging" (the queue's refresh waits for it).
(function () {
  "use strict";
  var dragged = null;

  function listOf(target) { return target && target.closest ? target.closest("[data-sortable]") : null; }

  function itemOf(list, target) {
    var item = target && target.closest ? target : null;
    while (item && item.parentNode !== list) item = item.parentNode;
    return item;
  }

  function order(list) { return Array.prototype.map.call(list.children, function (li) { return li.dataset.id; }).join(","); }

  function send(list) {
    var form = document.getElementById(list.dataset.sortable);
    if (!form) return;
    form.querySelectorAll("input[name=ids]").forEach(function (input) { input.remove(); });
    Array.prototype.forEach.call(list.children, function (item) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ids";
      input.value = item.dataset.id;
      form.appendChild(input);
    });
    if (window.htmx && form.hasAttribute("hx-post")) window.htmx.trigger(form, "submit");
    else form.submit();
  }

  document.addEventListener("dragstart", function (event) {
    var list = listOf(event.target);
    var item = list && itemOf(list, event.target);
    if (!item) return;
    var handle = list.dataset.sortableHandle;
    if (handle && !(event.target.closest && event.target.closest(handle))) return;
    dragged = { list: list, item: item, order: order(list) };
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.id);
    if (handle) event.dataTransfer.setDragImage(item, 24, 24);
  });

  document.addEventListener("dragover", function (event) {
    var over = dragged && itemOf(dragged.list, event.target);
    if (!over) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (over === dragged.item) return;
    var box = over.getBoundingClientRect();
    dragged.list.insertBefore(dragged.item, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged && itemOf(dragged.list, event.target)) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var list = dragged.list, before = dragged.order;
    dragged.item.classList.remove("dragging");
    dragged = null;
    if (order(list) !== before) send(list);
  });
})();
