/* Drag-and-drop of segments within and between groups (SortableJS); the order persists
   through the pages' /move endpoint. The up/down buttons and "Move" menus do the same
   without a mouse or without JavaScript. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector("[data-move-url]");
    if (!page || !window.Sortable) return;
    var url = page.getAttribute("data-move-url");
    var status = document.createElement("p");
    status.className = "cs-sr-only"; status.setAttribute("role", "status");
    page.appendChild(status);
    page.querySelectorAll(".cs-segment-list").forEach(function (list) {
      window.Sortable.create(list, {
        group: "cs-segments", handle: ".cs-segment", filter: "button, select, a, input, label",
        preventOnFilter: false, animation: 150, emptyInsertThreshold: 24, forceFallback: true,
        onEnd: function (event) {
          var body = {segment: Number(event.item.getAttribute("data-segment")),
                      group: event.to.getAttribute("data-group") || null, position: event.newIndex};
          window.csSegments.postJSON(url, body).then(function (answer) {
            status.textContent = answer.status === 200 ? "Segment moved." : "Could not move: " + answer.data.message;
            if (answer.status !== 200) window.location.reload();
          });
        }
      });
    });
  });
})();
