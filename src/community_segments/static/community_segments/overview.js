/* The overview: drag-and-drop of segments within and between groups (SortableJS), the
   row menus, and finding a segment by title. The order persists through the pages'
   /move endpoint; the up/down buttons and "Move to group" menus do the same without a
   mouse or without JavaScript, so after a drop they are brought up to date too. */
(function () {
  "use strict";

  /* After a move, every row of a list says where it now is: its hidden group input,
     its "Move to group" menu, its up/down buttons; and the empty-group notes follow. */
  function refreshList(list) {
    var group = list.getAttribute("data-group") || "";
    var rows = list.querySelectorAll(":scope > li.cs-segment");
    rows.forEach(function (row, i) {
      var order = row.querySelector(".cs-move-order");
      if (order) {
        order.elements.group.value = group;
        var up = order.querySelector(".cs-up"), down = order.querySelector(".cs-down");
        up.value = String(i - 1); up.disabled = i === 0;
        down.value = String(i + 1); down.disabled = i === rows.length - 1;
      }
      var menu = row.querySelector(".cs-move-group select");
      if (menu) menu.value = group;
    });
    var folder = list.parentNode;
    var empty = folder.querySelector(":scope > .cs-empty");
    if (empty) empty.hidden = rows.length > 0;
    var size = folder.querySelector(".cs-folder-size");
    if (size) size.textContent = String(rows.length);
  }

  function draggable(page, status) {
    var url = page.getAttribute("data-move-url");
    page.querySelectorAll(".cs-segment-list").forEach(function (list) {
      window.Sortable.create(list, {
        group: "cs-segments", handle: ".cs-segment", filter: "button, select, a, input, label, summary, .cs-menu-panel",
        preventOnFilter: false, animation: 150, emptyInsertThreshold: 24, forceFallback: true,
        onEnd: function (event) {
          refreshList(event.from);
          if (event.to !== event.from) refreshList(event.to);
          var body = {segment: Number(event.item.getAttribute("data-segment")),
                      group: event.to.getAttribute("data-group") || null, position: event.newIndex};
          window.csSegments.postJSON(url, body).then(function (answer) {
            status.textContent = answer.status === 200 ? "Segment moved." : "Could not move: " + answer.data.message;
            if (answer.status !== 200) window.location.reload();
          });
        }
      });
    });
  }

  /* One menu open at a time; Escape or a click elsewhere closes it. */
  function menus(page) {
    var all = function () { return page.querySelectorAll("details.cs-menu[open]"); };
    page.addEventListener("toggle", function (event) {
      var opened = event.target;
      if (!opened.matches || !opened.matches("details.cs-menu") || !opened.open) return;
      all().forEach(function (other) { if (other !== opened && !other.contains(opened)) other.open = false; });
    }, true);
    document.addEventListener("click", function (event) {
      all().forEach(function (menu) { if (!menu.contains(event.target)) menu.open = false; });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      all().forEach(function (menu) { menu.open = false; menu.querySelector("summary").focus(); });
    });
  }

  /* Typing narrows the rows at once; the form (?q=) does the same without JavaScript. */
  function search(page) {
    var input = page.querySelector("#cs-search");
    if (!input) return;
    var result = page.querySelector(".cs-search-result");
    var button = page.querySelector(".cs-search-button");
    if (button) button.hidden = true;
    input.form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("input", function () {
      var text = input.value.trim().toLowerCase(), rows = page.querySelectorAll("li.cs-segment"), shown = 0;
      rows.forEach(function (row) {
        var hit = !text || row.getAttribute("data-title").indexOf(text) >= 0;
        row.hidden = !hit; if (hit) shown += 1;
      });
      page.querySelectorAll(".cs-folder").forEach(function (folder) {
        var any = folder.querySelector("li.cs-segment:not([hidden])");
        folder.hidden = Boolean(text) && !any;
        if (text && any) folder.querySelector("details").open = true;
      });
      result.textContent = text ? shown + " of " + rows.length + " segments match" : "";
      var url = new URL(window.location.href);
      if (text) url.searchParams.set("q", input.value.trim()); else url.searchParams.delete("q");
      history.replaceState(null, "", url);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector("[data-move-url]");
    if (!page) return;
    var status = document.createElement("p");
    status.className = "cs-sr-only"; status.setAttribute("role", "status");
    page.appendChild(status);
    menus(page);
    search(page);
    if (window.Sortable) draggable(page, status);
  });
})();
