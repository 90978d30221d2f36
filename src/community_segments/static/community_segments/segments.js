/* community-segments: the filter builder, the live count, confirmations. Progressive:
   every page works without it (the criteria JSON textarea is the plain-form fallback). */
(function () {
  "use strict";

  function csrfToken() {
    var holder = document.querySelector("[data-csrf]");
    return holder ? holder.getAttribute("data-csrf") : "";
  }

  function postJSON(url, body, signal) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", signal: signal,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }
  window.csSegments = {postJSON: postJSON, csrfToken: csrfToken};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function labelled(id, text, control) {
    return [el("label", {"for": id, "class": "cs-sr-only", text: text}), control];
  }

  /* -- the builder ----------------------------------------------------------------- */

  function Builder(root) {
    this.root = root;
    this.textarea = root.querySelector("textarea[name=criteria]");
    this.live = root.querySelector(".cs-live");
    this.mount = root.querySelector(".cs-builder-root");
    this.previewUrl = root.getAttribute("data-preview-url");
    this.diffUrl = root.getAttribute("data-diff-url");
    this.syncUrl = root.hasAttribute("data-sync-url");
    this.fields = {};
    this.catalog = JSON.parse(root.querySelector(".cs-catalog").textContent);
    var self = this;
    this.catalog.forEach(function (cat) { cat.fields.forEach(function (f) { self.fields[f.key] = f; }); });
    this.tree = this.parseText() || {match: "all", rules: []};
    this.textarea.addEventListener("change", function () {
      var tree = self.parseText();
      if (tree) { self.tree = tree; self.render(); }
      self.changed(false);
    });
    this.render();
    this.changed(false);
  }

  Builder.prototype.parseText = function () {
    try {
      var tree = JSON.parse(this.textarea.value || "{}");
      if (tree && typeof tree === "object" && !Array.isArray(tree)) {
        tree.match = tree.match || "all"; tree.rules = tree.rules || [];
        return tree;
      }
    } catch (e) { /* left to the server, which names the problem */ }
    return null;
  };

  Builder.prototype.render = function () {
    var active = document.activeElement && document.activeElement.id;
    this.mount.textContent = "";
    this.mount.appendChild(this.group(this.tree, "rules", null));
    var again = active && document.getElementById(active);
    if (again) again.focus();
  };

  Builder.prototype.changed = function (fromBuilder) {
    if (fromBuilder !== false) this.textarea.value = JSON.stringify(this.tree);
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, 250);
    if (this.syncUrl) {
      if (fromBuilder !== false) document.querySelectorAll(".cs-table-wrap, .cs-sentence").forEach(function (node) {
        node.classList.add("cs-stale");
        node.title = "The filters changed: press Show members to update the list";
      });
      var url = new URL(window.location.href);
      url.searchParams.set("criteria", this.textarea.value);
      url.searchParams.delete("page");
      history.replaceState(null, "", url);
    }
  };

  Builder.prototype.preview = function () {
    var self = this, body;
    try { body = JSON.parse(this.textarea.value); } catch (e) {
      this.showErrors({"": ["The criteria are not valid JSON."]}); return;
    }
    if (this.inflight) this.inflight.abort();
    this.inflight = new AbortController();
    this.live.textContent = "Counting…";
    postJSON(this.previewUrl, {criteria: body}, this.inflight.signal).then(function (answer) {
      if (answer.status === 200) self.showCount(answer.data);
      else self.showErrors(answer.data.errors || {"": [answer.data.message]});
    }).catch(function (error) {
      if (error.name !== "AbortError") self.live.textContent = "Could not count: " + error.message;
    });
  };

  Builder.prototype.showCount = function (data) {
    this.mark({});
    this.live.textContent = "";
    var line = el("p", {"class": "cs-live-count"}, [
      el("strong", {"class": "cs-live-number", text: String(data.count)}),
      document.createTextNode(" members · " + data.percent.toFixed(1) + "% of " + data.total)]);
    this.live.appendChild(line);
    if (data.added !== undefined && data.added !== null) {
      this.live.appendChild(this.diffLine(data));
    }
    this.live.appendChild(el("p", {"class": "cs-muted", text: data.sentence}));
  };

  // "+120 / −45": each number opens (in a new tab, so the edit stays) the list of exactly
  // the members the change adds or removes.
  Builder.prototype.diffLine = function (data) {
    var self = this;
    function part(side, text) {
      if (!self.diffUrl) return document.createTextNode(text);
      var url = self.diffUrl.replace(/added$/, side) + "?criteria=" + encodeURIComponent(self.textarea.value);
      return el("a", {"class": "cs-diff-" + side, href: url, target: "_blank", rel: "noopener",
                      title: "Who the change " + (side === "added" ? "adds" : "removes"), text: text});
    }
    return el("p", {"class": "cs-diff"}, [part("added", "+" + data.added),
      document.createTextNode(" / "), part("removed", "−" + data.removed),
      document.createTextNode(" members compared with the saved version")]);
  };

  Builder.prototype.showErrors = function (errors) {
    this.mark(errors);
    this.live.textContent = "";
    var list = el("ul", {"class": "cs-live-errors"});
    Object.keys(errors).forEach(function (path) {
      errors[path].forEach(function (message) {
        list.appendChild(el("li", {text: (path ? path + ": " : "") + message}));
      });
    });
    this.live.appendChild(list);
  };

  Builder.prototype.mark = function (errors) {
    this.mount.querySelectorAll("[data-path]").forEach(function (node) {
      var path = node.getAttribute("data-path");
      var bad = Object.keys(errors).some(function (p) { return p === path || p.indexOf(path + ".") === 0 && !/\.rules\[/.test(p.slice(path.length)); });
      node.classList.toggle("cs-invalid", bad);
    });
  };

  Builder.prototype.group = function (group, path, parent) {
    var self = this, id = "cs-" + path.replace(/[^a-z0-9]+/gi, "-");
    var match = el("select", {id: id + "-match"}, [
      el("option", {value: "all", text: "all", selected: group.match === "all" ? "selected" : null}),
      el("option", {value: "any", text: "any", selected: group.match === "any" ? "selected" : null})]);
    match.addEventListener("change", function () { group.match = match.value; self.changed(); });
    var head = el("div", {"class": "cs-group-head"}, [document.createTextNode("Members matching ")]
      .concat(labelled(id + "-match", "Match all or any of these filters", match), [document.createTextNode(" of these filters:")]));
    var list = el("ol", {"class": "cs-rules"});
    group.rules.forEach(function (node, i) {
      var childPath = (path === "rules" ? "" : path + ".") + "rules[" + i + "]";
      var item = node.rules !== undefined || node.match !== undefined ?
        self.group(node, childPath, group) : self.rule(node, childPath, group);
      list.appendChild(el("li", {}, [item]));
    });
    var addRule = el("button", {type: "button", "class": "cs-btn cs-btn-small", id: id + "-add-rule", text: "+ Filter"});
    addRule.addEventListener("click", function () { group.rules.push(self.newRule()); self.render(); self.focusLast(list, path); self.changed(); });
    var addGroup = el("button", {type: "button", "class": "cs-btn cs-btn-small", id: id + "-add-group", text: "+ Group of filters"});
    addGroup.addEventListener("click", function () { group.rules.push({match: "any", rules: [self.newRule()]}); self.render(); self.changed(); });
    var tools = el("div", {"class": "cs-group-tools"}, [addRule, addGroup]);
    if (parent) tools.appendChild(this.removeButton(parent, group, id, "Remove this group"));
    return el("fieldset", {"class": "cs-group", "data-path": path === "rules" ? "" : path}, [
      el("legend", {"class": "cs-sr-only", text: parent ? "Group of filters" : "Filters"}), head, list, tools]);
  };

  Builder.prototype.focusLast = function () {
    var fields = this.mount.querySelectorAll(".cs-rule select.cs-field-select");
    if (fields.length) fields[fields.length - 1].focus();
  };

  Builder.prototype.removeButton = function (parent, node, id, label) {
    var self = this;
    var button = el("button", {type: "button", "class": "cs-btn cs-btn-small cs-remove", id: id + "-remove", "aria-label": label, title: label, text: "×"});
    button.addEventListener("click", function () {
      parent.rules.splice(parent.rules.indexOf(node), 1); self.render(); self.changed();
    });
    return button;
  };

  Builder.prototype.newRule = function () {
    var field = this.catalog[0].fields[0];
    return {field: field.key, op: field.operators[0].key, value: ""};
  };

  Builder.prototype.rule = function (rule, path, parent) {
    var self = this, id = "cs-" + path.replace(/[^a-z0-9]+/gi, "-");
    var field = this.fields[rule.field];
    var fieldSelect = el("select", {id: id + "-field", "class": "cs-field-select"});
    if (!field) fieldSelect.appendChild(el("option", {value: rule.field, selected: "selected", text: rule.field + " (unknown field)"}));
    this.catalog.forEach(function (cat) {
      var optgroup = el("optgroup", {label: cat.category});
      cat.fields.forEach(function (f) {
        optgroup.appendChild(el("option", {value: f.key, text: f.label, selected: f.key === rule.field ? "selected" : null}));
      });
      fieldSelect.appendChild(optgroup);
    });
    fieldSelect.addEventListener("change", function () {
      var next = self.fields[fieldSelect.value];
      rule.field = next.key; rule.op = next.operators[0].key; rule.value = self.emptyValue(next, next.operators[0]);
      self.render(); self.changed();
    });
    var operators = field ? field.operators : [{key: rule.op, label: rule.op, arity: "one"}];
    var opSelect = el("select", {id: id + "-op"}, operators.map(function (op) {
      return el("option", {value: op.key, text: op.label, selected: op.key === rule.op ? "selected" : null});
    }));
    opSelect.addEventListener("change", function () {
      var before = self.operator(field, rule.op), after = self.operator(field, opSelect.value);
      rule.op = opSelect.value;
      if (!before || !after || before.arity !== after.arity) rule.value = self.emptyValue(field, after);
      self.render(); self.changed();
    });
    var parts = [].concat(labelled(id + "-field", "Field", fieldSelect), labelled(id + "-op", "Operator", opSelect),
      this.valueInputs(rule, field, id));
    parts.push(this.removeButton(parent, rule, id, "Remove this filter"));
    return el("div", {"class": "cs-rule", "data-path": path}, parts);
  };

  Builder.prototype.operator = function (field, key) {
    return field && field.operators.filter(function (op) { return op.key === key; })[0];
  };

  Builder.prototype.emptyValue = function (field, op) {
    if (!op || op.arity === "none") return undefined;
    if (op.arity === "list") return [];
    if (op.arity === "range") return ["", ""];
    if (op.arity === "days") return 30;
    return "";
  };

  Builder.prototype.valueInputs = function (rule, field, id) {
    var op = this.operator(field, rule.op);
    if (!field) return this.rawInput(rule, id);
    if (!op || op.arity === "none") { delete rule.value; return []; }
    if (op.arity === "list") return this.listInput(rule, field, id);
    if (op.arity === "range") {
      var low = this.scalarInput(rule, field, id + "-low", "From", 0), high = this.scalarInput(rule, field, id + "-high", "To", 1);
      return low.concat([el("span", {text: " and "})], high);
    }
    if (op.arity === "days") return this.daysInput(rule, id);
    return this.scalarInput(rule, field, id + "-value", "Value", null);
  };

  Builder.prototype.convert = function (field, text) {
    if (field.type === "number") { var n = Number(text); return text === "" || isNaN(n) ? text : n; }
    return text;
  };

  Builder.prototype.scalarInput = function (rule, field, id, label, index) {
    var self = this, current = index === null ? rule.value : (rule.value || [])[index], input;
    if (field.type === "enum" && field.choices && index === null) {
      input = el("select", {id: id}, [el("option", {value: "", text: "Choose…"})].concat(field.choices.map(function (c) {
        return el("option", {value: c, text: c, selected: c === current ? "selected" : null});
      })));
    } else {
      var type = {number: "number", date: "date"}[field.type] || "text";
      input = el("input", {id: id, type: type, value: current === undefined || current === null ? "" : current, step: type === "number" ? "any" : null});
    }
    var update = function () {
      var value = self.convert(field, input.value);
      if (index === null) rule.value = value;
      else { if (!Array.isArray(rule.value)) rule.value = ["", ""]; rule.value[index] = value; }
      self.changed();
    };
    input.addEventListener(input.tagName === "SELECT" || input.type === "date" ? "change" : "input", update);
    return labelled(id, label, input);
  };

  Builder.prototype.daysInput = function (rule, id) {
    var self = this;
    var input = el("input", {id: id + "-days", type: "number", min: "0", step: "1", value: rule.value === undefined ? "" : rule.value, "class": "cs-days"});
    input.addEventListener("input", function () {
      var n = parseInt(input.value, 10); rule.value = isNaN(n) ? input.value : n; self.changed();
    });
    return labelled(id + "-days", "Number of days", input).concat([el("span", {text: " days"})]);
  };

  Builder.prototype.listInput = function (rule, field, id) {
    var self = this, chosen = Array.isArray(rule.value) ? rule.value : [];
    if (!field.choices) return this.scalarListInput(rule, id);
    if (field.choices.length > 12) {
      var select = el("select", {id: id + "-values", multiple: "multiple", size: "5"}, field.choices.map(function (c) {
        return el("option", {value: c, text: c, selected: chosen.indexOf(c) >= 0 ? "selected" : null});
      }));
      select.addEventListener("change", function () {
        rule.value = Array.prototype.filter.call(select.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
        self.changed();
      });
      return labelled(id + "-values", "Values", select);
    }
    var boxes = el("fieldset", {"class": "cs-choices"}, [el("legend", {"class": "cs-sr-only", text: "Values"})]);
    field.choices.forEach(function (choice, i) {
      var box = el("input", {type: "checkbox", id: id + "-c" + i, value: choice, checked: chosen.indexOf(choice) >= 0 ? "checked" : null});
      box.addEventListener("change", function () {
        rule.value = Array.prototype.filter.call(boxes.querySelectorAll("input"), function (b) { return b.checked; }).map(function (b) { return b.value; });
        self.changed();
      });
      boxes.appendChild(el("label", {"class": "cs-check", "for": id + "-c" + i}, [box, document.createTextNode(" " + choice)]));
    });
    return [boxes];
  };

  Builder.prototype.scalarListInput = function (rule, id) {
    var self = this;
    var input = el("input", {id: id + "-values", value: (rule.value || []).join(", "), placeholder: "comma, separated"});
    input.addEventListener("input", function () {
      rule.value = input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean); self.changed();
    });
    return labelled(id + "-values", "Values, separated by commas", input);
  };

  Builder.prototype.rawInput = function (rule, id) {
    var self = this;
    var input = el("input", {id: id + "-raw", value: rule.value === undefined ? "" : JSON.stringify(rule.value)});
    input.addEventListener("input", function () {
      try { rule.value = JSON.parse(input.value); } catch (e) { rule.value = input.value; }
      self.changed();
    });
    return labelled(id + "-raw", "Value (JSON)", input);
  };

  /* -- page wiring ------------------------------------------------------------------ */

  function syncCriteria(form) {
    var source = document.getElementById(form.getAttribute("data-criteria-from"));
    form.addEventListener("submit", function () { form.elements.criteria.value = source.value; });
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function newGroupFields() {
    document.querySelectorAll(".cs-group-select").forEach(function (select) {
      var wrap = select.closest("form").querySelector(".cs-new-group");
      var toggle = function () { wrap.hidden = select.value !== "new"; };
      select.addEventListener("change", toggle);
      toggle();
    });
  }

  function focusTarget() {
    var target = document.querySelector("#cs-conflict, #cs-errors") ||
      (window.location.hash && document.getElementById(window.location.hash.slice(1)));
    if (target) target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".cs-builder").forEach(function (root) { root.csBuilder = new Builder(root); });
    document.querySelectorAll("form[data-criteria-from]").forEach(syncCriteria);
    confirmations();
    newGroupFields();
    focusTarget();
  });
})();
