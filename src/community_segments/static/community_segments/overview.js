/* The overview: the live counts, drag-and-drop of segments within and between groups
   (SortableJS), the row menus, and finding a segment by title. The page arrives with the
   counts of the last refresh; the live ones come from the JSON API's overview and replace
   them (without JavaScript, ?counts=live renders them on the server). The order persists
   through the pages' /move endpoint; the up/down buttons and "Move to group" menus do the
   same without a mouse or without JavaScript, so after a drop they are brought up to date
   too. */
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

  var COUNTS_TIMEOUT_MS = 120000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* A row's count, share and bar, as the server renders a live one. */
  function showCount(row, found) {
    var figures = row.querySelector(".cs-count-figures");
    if (!figures) return;
    var share = (found.percent || 0).toFixed(1);
    var bar = el("span", "cs-bar"), fill = el("span", "cs-bar-fill");
    bar.setAttribute("aria-hidden", "true");
    fill.style.width = share + "%";
    bar.appendChild(fill);
    figures.replaceChildren(el("span", "cs-count", window.csSegments.formatNumber(found.count)),
                            document.createTextNode(" "),
                            el("span", "cs-muted", "members · " + share + "%"), bar);
    figures.classList.remove("cs-count-stale");
  }

  /* A segment the database cannot count: the reason and the way to its filters. */
  function showBroken(row, reason) {
    row.classList.add("cs-broken");
    var cell = row.querySelector(".cs-segment-count");
    if (cell) cell.replaceChildren();
    var main = row.querySelector(".cs-segment-main");
    if (!main || main.querySelector(".cs-problem")) return;
    var problem = el("p", "cs-problem"), edit = el("a", null, "Edit the filters");
    edit.href = row.querySelector(".cs-segment-title").getAttribute("href");
    problem.append(el("strong", null, "Broken:"), " " + reason + " ", edit);
    main.appendChild(problem);
  }

  function showTotals(page, data) {
    var total = page.querySelector(".cs-total strong");
    if (total) total.textContent = window.csSegments.formatNumber(data.total_members);
    var members = {};
    (data.groups || []).forEach(function (group) { members[String(group.id)] = group.members; });
    page.querySelectorAll("[data-group-total]").forEach(function (span) {
      var n = members[span.getAttribute("data-group-total")];
      span.textContent = n === undefined ? "" : " · " + window.csSegments.formatNumber(n) + " members in any";
    });
  }

  function fill(page, data) {
    var byId = {};
    data.segments.forEach(function (found) { byId[String(found.id)] = found; });
    page.querySelectorAll("li.cs-segment[data-segment]").forEach(function (row) {
      var found = byId[row.getAttribute("data-segment")];
      if (!found) return;  /* created since the page was rendered: the next load has it */
      if (found.error) showBroken(row, found.error); else showCount(row, found);
    });
    showTotals(page, data);
  }

  function asOf(data, maxAge) {
    var when = data.segments.map(function (s) { return s.as_of; }).filter(Boolean)[0];
    if (!maxAge || !when) return "";
    return " (counts as of " + new Date(when).toISOString().slice(11, 19) + " UTC, kept up to " + maxAge + " s)";
  }

  /* Fetch the live counts once; on failure the last known counts stay, with a way to retry. */
  function liveCounts(page) {
    var status = page.querySelector(".cs-live-status[data-counts-url]");
    if (!status) return;
    var url = status.getAttribute("data-counts-url");
    function failed(reason) {
      var retry = el("a", "cs-retry", "Try again");
      retry.href = status.getAttribute("data-retry-url");
      retry.addEventListener("click", function (event) { event.preventDefault(); load(); });
      page.querySelectorAll(".cs-counting").forEach(function (span) { span.textContent = "not counted"; });
      status.classList.add("cs-alert", "cs-alert-error");
      status.replaceChildren("Live counts could not be loaded (" + reason + "); the counts shown are from the last refresh. ", retry);
    }
    function load() {
      status.classList.remove("cs-alert", "cs-alert-error");
      status.textContent = "Counting members live…";
      page.querySelectorAll(".cs-counting").forEach(function (span) { span.textContent = "counting…"; });
      var controller = new AbortController();
      var timer = window.setTimeout(function () { controller.abort(); }, COUNTS_TIMEOUT_MS);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, signal: controller.signal})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (response.status !== 200 || !data.segments) {
              throw new Error(data.message || "the server answered " + response.status);
            }
            return data;
          });
        })
        .then(function (data) {
          fill(page, data);
          status.textContent = "Live counts shown." + asOf(data, status.getAttribute("data-max-age"));
        })
        .catch(function (error) {
          failed(error.name === "AbortError" ? "no answer after " + COUNTS_TIMEOUT_MS / 1000 + " s"
                 : error instanceof TypeError ? "the network failed" : error.message);
        })
        .finally(function () { window.clearTimeout(timer); });
    }
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector("[data-move-url]");
    if (!page) return;
    var status = document.createElement("p");
    status.className = "cs-sr-only"; status.setAttribute("role", "status");
    page.appendChild(status);
    liveCounts(page);
    menus(page);
    search(page);
    if (window.Sortable) draggable(page, status);
  });
})();
