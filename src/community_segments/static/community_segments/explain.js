/* The member picker: as the admin types, the members whose username or email contain
   the text are offered (the search API); picking one submits the explain form. */
(function () {
  "use strict";

  function picker(form) {
    var input = form.querySelector("input[name=member]");
    var list = form.querySelector("datalist");
    var url = form.getAttribute("data-search-url");
    var timer = null, inflight = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) return;
      timer = setTimeout(function () {
        if (inflight) inflight.abort();
        inflight = new AbortController();
        fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin", signal: inflight.signal})
          .then(function (r) { return r.ok ? r.json() : {items: []}; })
          .then(function (data) { fill(list, data.items); })
          .catch(function () {});
      }, 150);
    });
  }

  function fill(list, items) {
    list.textContent = "";
    items.forEach(function (m) {
      var option = document.createElement("option");
      option.value = m.username;
      option.label = m.username + " · " + (m.email || "") + " · #" + m.id;
      list.appendChild(option);
    });
    list.setAttribute("data-count", String(items.length));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.cs-picker").forEach(picker);
  });
})();
