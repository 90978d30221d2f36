/* community-segments: value suggestions as you type, for any text input carrying
   data-cs-suggest="<URL of GET /api/fields/<key>/values>" (data-cs-suggest-list: the input
   holds a comma-separated list, suggestions complete its last item).

   An ARIA combobox (role=combobox + listbox, aria-activedescendant): the most common values
   with their member counts; ArrowDown/ArrowUp move, Enter picks, Escape closes. Inputs
   may be created and destroyed at any time: events are delegated from the document. */
(function () {
  "use strict";
  var DELAY = 120, LIMIT = 8, serial = 0;

  function Combo(input) {
    this.input = input;
    this.url = input.getAttribute("data-cs-suggest");
    this.listMode = input.hasAttribute("data-cs-suggest-list");
    this.items = []; this.index = -1; this.timer = null; this.pending = null;
    this.box = document.createElement("ul");
    this.box.id = (input.id || "cs-suggest-" + (++serial)) + "-suggestions";
    this.box.className = "cs-suggest-list";
    this.box.setAttribute("role", "listbox");
    this.box.setAttribute("aria-label", "Suggestions");
    this.box.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.box.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.insertBefore(this.box, input.nextSibling);
  }

  Combo.prototype.term = function () {
    var value = this.input.value;
    return this.listMode ? value.split(",").pop().trim() : value;
  };

  Combo.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.load(); }, DELAY);
  };

  Combo.prototype.load = function () {
    var self = this, url = this.url + "?limit=" + LIMIT + "&prefix=" + encodeURIComponent(this.term());
    if (this.pending) this.pending.abort();
    this.pending = window.AbortController ? new AbortController() : null;
    fetch(url, {credentials: "same-origin", signal: this.pending && this.pending.signal})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && document.activeElement === self.input) self.show(data); })
      .catch(function () { /* aborted or offline: no suggestions, typing still works */ });
  };

  Combo.prototype.show = function (data) {
    var self = this;
    this.items = data.values || [];
    this.index = -1;
    this.box.textContent = "";
    if (!this.items.length) { this.close(); return; }
    this.items.forEach(function (item, i) {
      var option = document.createElement("li");
      option.id = self.box.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-value", item.value);
      var text = document.createElement("span");
      text.textContent = item.label;
      var count = document.createElement("span");
      count.className = "cs-suggest-count";
      count.textContent = (data.about ? "≈ " : "") + item.count.toLocaleString() + " members";
      option.appendChild(text); option.appendChild(count);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); self.pick(i); });
      self.box.appendChild(option);
    });
    this.box.style.left = this.input.offsetLeft + "px";
    this.box.style.minWidth = this.input.offsetWidth + "px";
    this.box.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combo.prototype.open = function () { return !this.box.hidden; };

  Combo.prototype.move = function (step) {
    var count = this.items.length;
    if (!count) return;
    this.index = (this.index + step + count) % count;
    var self = this;
    Array.prototype.forEach.call(this.box.children, function (option, i) {
      option.setAttribute("aria-selected", i === self.index ? "true" : "false");
    });
    var current = this.box.children[this.index];
    this.input.setAttribute("aria-activedescendant", current.id);
    if (current.scrollIntoView) current.scrollIntoView({block: "nearest"});
  };

  Combo.prototype.pick = function (i) {
    var value = this.items[i].value;
    if (this.listMode) {
      var parts = this.input.value.split(",").map(function (s) { return s.trim(); });
      parts[parts.length - 1] = value;
      value = parts.filter(Boolean).join(", ");
    }
    this.input.value = value;
    this.close();
    this.picked = true;  /* the input event below updates the rule; it must not reopen */
    this.input.dispatchEvent(new Event("input", {bubbles: true}));
    this.input.dispatchEvent(new Event("change", {bubbles: true}));
    this.picked = false;
  };

  Combo.prototype.close = function () {
    clearTimeout(this.timer);
    this.box.hidden = true;
    this.index = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combo.prototype.key = function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!this.open()) { this.load(); return; }
      this.move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && this.open() && this.index >= 0) {
      event.preventDefault();  /* pick, do not submit the form */
      this.pick(this.index);
    } else if (event.key === "Escape" && this.open()) {
      event.preventDefault();
      this.close();
    } else if (event.key === "Tab") {
      this.close();
    }
  };

  function combo(target) {
    if (!target || !target.matches || !target.matches("input[data-cs-suggest]")) return null;
    if (!target.csCombo) target.csCombo = new Combo(target);
    return target.csCombo;
  }

  /* Mark inputs as comboboxes as soon as they appear (screen readers announce it on focus). */
  function upgrade(root) {
    if (root.querySelectorAll) root.querySelectorAll("input[data-cs-suggest]").forEach(combo);
    combo(root);
  }
  document.addEventListener("DOMContentLoaded", function () {
    upgrade(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(upgrade); });
    }).observe(document.body, {childList: true, subtree: true});
  });

  document.addEventListener("focusin", function (event) {
    var found = combo(event.target);
    if (found && !found.open()) found.schedule();
  });
  document.addEventListener("input", function (event) {
    var found = combo(event.target);
    if (found && !found.picked) found.schedule();
  });
  document.addEventListener("keydown", function (event) {
    var found = combo(event.target);
    if (found) found.key(event);
  });
  document.addEventListener("focusout", function (event) {
    var found = combo(event.target);
    if (found) found.close();
  });
})();
