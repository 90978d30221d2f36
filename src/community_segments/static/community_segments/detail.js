/* The segment detail page: its member count, filled in once the first page of members
   is shown (the page is served without it; the count is the slow part of a large
   segment). Without this script the page links to itself with ?count=1. */
(function () {
  "use strict";

  function format(n) { return window.csSegments.formatNumber(n); }

  function show(place, data) {
    var line = place.parentNode;
    line.textContent = "";
    var count = document.createElement("strong");
    count.className = "cs-count";
    count.textContent = format(data.count);
    line.appendChild(count);
    line.appendChild(document.createTextNode(" members · " + data.percent.toFixed(1) +
                                             "% of " + format(data.total_members)));
    document.querySelectorAll(".cs-pager-total").forEach(function (span) {
      var perPage = Number(span.getAttribute("data-per-page")) || 1;
      var pages = Math.max(1, Math.ceil(data.count / perPage));
      span.textContent = " of " + format(pages) + " · " + format(data.count) + " members";
    });
  }

  function fill(place) {
    fetch(place.getAttribute("data-count-url"), {credentials: "same-origin",
                                                 headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.message || response.statusText);
          return data;
        });
      })
      .then(function (data) { show(place, data); })
      .catch(function (error) {
        place.textContent = "The count could not be taken: " + error.message;
        place.classList.add("cs-problem");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".cs-counting[data-count-url]").forEach(fill);
  });
})();
