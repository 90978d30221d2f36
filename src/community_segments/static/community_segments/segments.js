/* community-segments: the filter builder, the live count, confirmations. Progressive:
   every page works without it (the criteria JSON textarea is the plain-form fallback).

   The builder keeps the criteria tree as plain objects and one DOM element per rule or
   group; an edit updates only the element it concerns, so focus, the browser's type-ahead
   in a <select> and half-typed values survive. What a field offers (operators, their
   arity, choices and choice labels) comes from the catalog the page embeds. */
(function () {
  "use strict";

  var PREVIEW_DELAY = 250, TABLE_DELAY = 400;

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

  var numberFormat = new Intl.NumberFormat("en-US");
  function formatNumber(n) { return numberFormat.format(n); }
  window.csSegments = {postJSON: postJSON, csrfToken: csrfToken, formatNumber: formatNumber};

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

  function isGroup(node) { return node.rules !== undefined || node.match !== undefined; }

  var nextId = 0;
  function uid() { nextId += 1; return "cs-b" + nextId; }

  /* -- the builder ----------------------------------------------------------------- */

  function Builder(root) {
    var self = this;
    this.root = root;
    this.textarea = root.querySelector("textarea[name=criteria]");
    var live = root.getAttribute("data-live");
    this.live = (live && document.querySelector(live)) || root.querySelector(".cs-live");
    this.mount = root.querySelector(".cs-builder-root");
    this.previewUrl = root.getAttribute("data-preview-url");
    this.diffUrl = root.getAttribute("data-diff-url");
    this.valuesUrl = root.getAttribute("data-values-url");  /* "…/fields/__key__/values": suggest.js */
    this.syncUrl = root.hasAttribute("data-sync-url");
    this.fields = {};
    this.catalog = JSON.parse(root.querySelector(".cs-catalog").textContent);
    this.catalog.forEach(function (cat) { cat.fields.forEach(function (f) { self.fields[f.key] = f; }); });
    this.tree = this.parseText() || {match: "all", rules: []};
    this.textarea.addEventListener("change", function () {
      var tree = self.parseText();
      if (tree) { self.tree = tree; self.render(); }
      self.changed(false);
    });
    this.render();
    var panel = root.hasAttribute("data-lazy") && root.closest("details");
    if (panel && !panel.open) {  // counted when the admin opens it, not with every page
      panel.addEventListener("toggle", function first() {
        if (!panel.open) return;
        panel.removeEventListener("toggle", first);
        self.changed(false);
      });
    } else {
      this.changed(false);
    }
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
    this.mount.textContent = "";
    this.mount.appendChild(this.group(this.tree, null));
  };

  Builder.prototype.changed = function (fromBuilder) {
    if (fromBuilder !== false) this.textarea.value = JSON.stringify(this.tree);
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.preview(); }, PREVIEW_DELAY);
    if (this.syncUrl) {
      var url = new URL(window.location.href);
      url.searchParams.set("criteria", this.textarea.value);
      url.searchParams.delete("page");
      history.replaceState(null, "", url);
    }
  };

  /* The first unfinished rule ("Department equals ___"), or null when every rule is
     complete. Unfinished rules are not sent: they are a hint, not an error. */
  Builder.prototype.unfinished = function (node) {
    if (isGroup(node)) {
      for (var i = 0; i < (node.rules || []).length; i++) {
        var found = this.unfinished(node.rules[i]);
        if (found) return found;
      }
      return null;
    }
    var field = this.fields[node.field], op = this.operator(field, node.op);
    if (!field || !op) return null;  // unknown to the page: the server names the problem
    var value = node.value, blank = function (v) { return v === undefined || v === null || String(v).trim() === ""; };
    if (op.arity === "none") return null;
    if (op.arity === "list") return Array.isArray(value) && value.length ? null : node;
    if (op.arity === "range") return Array.isArray(value) && !blank(value[0]) && !blank(value[1]) ? null : node;
    return blank(value) ? node : null;
  };

  Builder.prototype.markUnfinished = function (pending) {
    this.mount.querySelectorAll(".cs-rule").forEach(function (node) {
      node.classList.toggle("cs-incomplete", node.csNode === pending);
    });
  };

  Builder.prototype.preview = function () {
    var self = this, body;
    try { body = JSON.parse(this.textarea.value); } catch (e) {
      this.showErrors({"": ["The criteria are not valid JSON."]}); return;
    }
    var pending = this.parseText() && this.unfinished(this.tree);
    this.markUnfinished(pending);
    if (pending) { this.showPending(pending); return; }
    if (this.inflight) this.inflight.abort();
    this.inflight = new AbortController();
    this.live.classList.add("cs-dimmed");
    this.live.setAttribute("aria-busy", "true");
    postJSON(this.previewUrl, {criteria: body}, this.inflight.signal).then(function (answer) {
      self.live.removeAttribute("aria-busy");
      if (answer.status === 200) {
        self.showCount(answer.data);
        self.root.dispatchEvent(new CustomEvent("cs:criteria", {bubbles: true, detail: {criteria: self.textarea.value}}));
      } else self.showErrors(answer.data.errors || {"": [answer.data.message]});
    }).catch(function (error) {
      if (error.name !== "AbortError") self.showErrors({"": ["Could not count: " + error.message]});
    });
  };

  Builder.prototype.hint = function (text) {
    var hint = this.live.querySelector(".cs-hint");
    if (!hint) { hint = el("p", {"class": "cs-hint"}); this.live.appendChild(hint); }
    hint.textContent = text;
    hint.hidden = !text;
  };

  Builder.prototype.showPending = function (rule) {
    if (this.inflight) this.inflight.abort();
    var field = this.fields[rule.field];
    this.live.classList.add("cs-dimmed");
    this.live.removeAttribute("aria-busy");
    this.live.querySelectorAll(".cs-live-errors").forEach(function (n) { n.remove(); });
    this.hint("Choose a value for “" + (field ? field.label : rule.field) + "” to update the count.");
  };

  Builder.prototype.showCount = function (data) {
    this.mark({});
    this.live.textContent = "";
    this.live.classList.remove("cs-dimmed");
    var line = el("p", {"class": "cs-live-count"}, [
      el("strong", {"class": "cs-live-number", "data-count": String(data.count), text: formatNumber(data.count)}),
      document.createTextNode(" members · " + data.percent.toFixed(1) + "% of " + formatNumber(data.total))]);
    this.live.appendChild(line);
    if (data.added !== undefined && data.added !== null) {
      this.live.appendChild(this.diffLine(data));
    }
    this.live.appendChild(el("p", {"class": "cs-muted cs-live-sentence", text: data.sentence}));
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
    return el("p", {"class": "cs-diff"}, [part("added", "+" + formatNumber(data.added)),
      document.createTextNode(" / "), part("removed", "−" + formatNumber(data.removed)),
      document.createTextNode(" members compared with the saved version")]);
  };

  Builder.prototype.showErrors = function (errors) {
    this.mark(errors);
    this.live.classList.add("cs-dimmed");
    this.hint("");
    this.live.querySelectorAll(".cs-live-errors").forEach(function (n) { n.remove(); });
    var list = el("ul", {"class": "cs-live-errors"});
    Object.keys(errors).forEach(function (path) {
      errors[path].forEach(function (message) {
        list.appendChild(el("li", {text: (path ? path + ": " : "") + message}));
      });
    });
    this.live.appendChild(list);
  };

  Builder.prototype.pathOf = function (target) {
    var walk = function (group, prefix) {
      for (var i = 0; i < group.rules.length; i++) {
        var node = group.rules[i], path = prefix + "rules[" + i + "]";
        if (node === target) return path;
        if (isGroup(node)) { var found = walk(node, path + "."); if (found) return found; }
      }
      return null;
    };
    return target === this.tree ? "" : walk(this.tree, "");
  };

  Builder.prototype.mark = function (errors) {
    var self = this, paths = Object.keys(errors);
    this.mount.querySelectorAll(".cs-rule, .cs-group").forEach(function (node) {
      var path = self.pathOf(node.csNode);
      var bad = path !== null && paths.some(function (p) {
        return p === path || p.indexOf(path + ".") === 0 && !/\.rules\[/.test(p.slice(path.length));
      });
      node.classList.toggle("cs-invalid", bad);
    });
  };

  /* -- groups ----------------------------------------------------------------------- */

  Builder.prototype.group = function (group, parent) {
    var self = this, id = uid();
    var match = el("select", {id: id + "-match"}, [
      el("option", {value: "all", text: "all", selected: group.match === "all" ? "selected" : null}),
      el("option", {value: "any", text: "any", selected: group.match === "any" ? "selected" : null})]);
    var list = el("ol", {"class": "cs-rules"});
    match.addEventListener("change", function () {
      group.match = match.value; self.joiners(list, group); self.changed();
    });
    var head = el("div", {"class": "cs-group-head"}, [document.createTextNode("Members matching ")]
      .concat(labelled(id + "-match", "Match all or any of these filters", match), [document.createTextNode(" of these filters:")]));
    group.rules.forEach(function (node) { list.appendChild(self.item(node, group)); });
    this.joiners(list, group);
    var addRule = el("button", {type: "button", "class": "cs-btn cs-btn-small", text: "+ Filter"});
    addRule.addEventListener("click", function () {
      var rule = self.newRule();
      group.rules.push(rule);
      var item = self.item(rule, group);
      list.appendChild(item);
      self.joiners(list, group);
      item.querySelector(".cs-field-select").focus();
      self.changed();
    });
    var addGroup = el("button", {type: "button", "class": "cs-btn cs-btn-small", text: "+ Group of filters"});
    addGroup.addEventListener("click", function () {
      var nested = {match: "any", rules: [self.newRule()]};
      group.rules.push(nested);
      var item = self.item(nested, group);
      list.appendChild(item);
      self.joiners(list, group);
      item.querySelector(".cs-field-select").focus();  // into the new group, not above it
      self.changed();
    });
    var tools = el("div", {"class": "cs-group-tools"}, [addRule, addGroup]);
    if (parent) tools.appendChild(this.removeButton(parent, group, "Remove this group"));
    var box = el("fieldset", {"class": "cs-group"}, [
      el("legend", {"class": "cs-sr-only", text: parent ? "Group of filters" : "Filters"}), head, list, tools]);
    box.csNode = group;
    return box;
  };

  Builder.prototype.item = function (node, group) {
    var joiner = el("span", {"class": "cs-joiner"});
    return el("li", {"class": "cs-rule-item"}, [joiner, isGroup(node) ? this.group(node, group) : this.rule(node, group)]);
  };

  /* "and"/"or" between the rules of a group: the words a person would read aloud. */
  Builder.prototype.joiners = function (list, group) {
    var word = group.match === "any" ? "or" : "and";
    Array.prototype.forEach.call(list.children, function (item, i) {
      var joiner = item.querySelector(":scope > .cs-joiner");
      joiner.textContent = i === 0 ? "" : word;
      joiner.hidden = i === 0;
    });
  };

  Builder.prototype.removeButton = function (parent, node, label) {
    var self = this;
    var button = el("button", {type: "button", "class": "cs-btn cs-btn-small cs-remove", "aria-label": label, title: label, text: "×"});
    button.addEventListener("click", function () {
      var item = button.closest(".cs-rule-item"), list = item.parentNode;
      parent.rules.splice(parent.rules.indexOf(node), 1);
      item.remove();
      self.joiners(list, parent);
      var box = list.parentNode.querySelector(":scope > .cs-group-tools > button");
      if (box) box.focus();
      self.changed();
    });
    return button;
  };

  Builder.prototype.newRule = function () {
    var field = this.catalog[0].fields[0];
    return {field: field.key, op: field.operators[0].key, value: this.emptyValue(field, field.operators[0])};
  };

  /* -- rules ------------------------------------------------------------------------ */

  Builder.prototype.rule = function (rule, parent) {
    var self = this, id = uid();
    var fieldSelect = el("select", {id: id + "-field", "class": "cs-field-select"});
    if (!this.fields[rule.field]) fieldSelect.appendChild(el("option", {value: rule.field, selected: "selected", text: rule.field + " (unknown field)"}));
    this.catalog.forEach(function (cat) {
      var optgroup = el("optgroup", {label: cat.category});
      cat.fields.forEach(function (f) {
        optgroup.appendChild(el("option", {value: f.key, text: f.label, selected: f.key === rule.field ? "selected" : null}));
      });
      fieldSelect.appendChild(optgroup);
    });
    var box = el("div", {"class": "cs-rule"}, labelled(id + "-field", "Field", fieldSelect));
    box.csNode = rule;
    var opSlot = el("span", {"class": "cs-op-slot"}), valueSlot = el("span", {"class": "cs-value", "data-field": rule.field});
    box.appendChild(opSlot); box.appendChild(valueSlot);
    box.appendChild(this.removeButton(parent, rule, "Remove this filter"));
    fieldSelect.addEventListener("change", function () {
      var next = self.fields[fieldSelect.value];
      // Only the operator and value change; the field menu itself stays, so its
      // keyboard type-ahead ("Dep" for Department) keeps working while focused.
      var keep = next && self.sameValueKind(self.fields[rule.field], next, rule.op);
      rule.field = next.key;
      if (!keep) { rule.op = next.operators[0].key; rule.value = self.emptyValue(next, next.operators[0]); }
      if (rule.value === undefined) delete rule.value;
      self.fillOperator(opSlot, valueSlot, rule, id);
      self.changed();
    });
    this.fillOperator(opSlot, valueSlot, rule, id);
    return box;
  };

  /* Whether a rule's operator and value still fit after switching fields: the catalogue
     says what each operator's value is (arity and kind), so nothing is assumed here. */
  Builder.prototype.sameValueKind = function (before, after, key) {
    var a = this.operator(before, key), b = this.operator(after, key);
    return Boolean(a && b && a.arity === b.arity && a.value === b.value &&
      (a.value !== "choice" || JSON.stringify(before.choices) === JSON.stringify(after.choices)));
  };

  Builder.prototype.fillOperator = function (opSlot, valueSlot, rule, id) {
    var self = this, field = this.fields[rule.field];
    var operators = field ? field.operators : [{key: rule.op, label: rule.op, arity: "one"}];
    var opSelect = el("select", {id: id + "-op", "class": "cs-op-select"}, operators.map(function (op) {
      return el("option", {value: op.key, text: op.label, selected: op.key === rule.op ? "selected" : null});
    }));
    opSelect.addEventListener("change", function () {
      var before = self.operator(field, rule.op), after = self.operator(field, opSelect.value);
      rule.op = opSelect.value;
      if (!before || !after || before.arity !== after.arity) {
        rule.value = self.emptyValue(field, after);
        if (rule.value === undefined) delete rule.value;
        self.fillValue(valueSlot, rule, id);
      }
      self.changed();
    });
    opSlot.textContent = "";
    labelled(id + "-op", "Operator", opSelect).forEach(function (n) { opSlot.appendChild(n); });
    this.fillValue(valueSlot, rule, id);
  };

  Builder.prototype.fillValue = function (slot, rule, id) {
    slot.textContent = "";
    slot.setAttribute("data-field", rule.field);
    slot.setAttribute("data-op", rule.op);
    this.valueInputs(rule, this.fields[rule.field], id).forEach(function (n) { slot.appendChild(n); });
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
    if (op.arity === "list") return this.listInput(rule, field, op, id);
    if (op.arity === "range") {
      var low = this.scalarInput(rule, field, op, id + "-low", "From", 0), high = this.scalarInput(rule, field, op, id + "-high", "To", 1);
      return low.concat([el("span", {text: " and "})], high);
    }
    if (op.arity === "days") return this.daysInput(rule, id);
    return this.scalarInput(rule, field, op, id + "-value", "Value", null);
  };

  Builder.prototype.convert = function (op, text) {
    if (op.value === "number") { var n = Number(text); return text === "" || isNaN(n) ? text : n; }
    return text;
  };

  function choiceLabel(field, value) {
    var names = field.choice_labels || {};
    return names[value] ? names[value] + " (" + value + ")" : value;
  }

  Builder.prototype.scalarInput = function (rule, field, op, id, label, index) {
    var self = this, current = index === null ? rule.value : (rule.value || [])[index], input;
    if (op.value === "choice" && field.choices) {
      input = el("select", {id: id}, [el("option", {value: "", text: "Choose…"})].concat(field.choices.map(function (c) {
        return el("option", {value: c, text: choiceLabel(field, c), selected: c === current ? "selected" : null});
      })));
    } else {
      var type = {number: "number", date: "date"}[op.value] || "text";
      input = el("input", {id: id, type: type, value: current === undefined || current === null ? "" : current,
        step: type === "number" ? "any" : null, autocomplete: "off",
        "data-cs-suggest": op.value === "text" && index === null ? this.suggestUrl(field) : null});
    }
    var update = function () {
      var value = self.convert(op, input.value);
      if (index === null) rule.value = value;
      else { if (!Array.isArray(rule.value)) rule.value = ["", ""]; rule.value[index] = value; }
      self.changed();
    };
    input.addEventListener(input.tagName === "SELECT" || input.type === "date" ? "change" : "input", update);
    return labelled(id, label, input);
  };

  /* Where suggest.js asks for a text field's common values (text and multi fields only). */
  Builder.prototype.suggestUrl = function (field) {
    if (!this.valuesUrl || (field.type !== "text" && field.type !== "multi")) return null;
    return this.valuesUrl.replace("__key__", encodeURIComponent(field.key));
  };

  /* Segments to refer to, grouped as on the overview; values are segment ids. */
  Builder.prototype.segmentInput = function (rule, field, id, chosen) {
    var self = this, groups = {}, order = [];
    field.options.forEach(function (o) {
      if (!groups[o.group]) { groups[o.group] = el("optgroup", {label: o.group}); order.push(o.group); }
      groups[o.group].appendChild(el("option", {value: String(o.value), text: o.label,
        selected: chosen.indexOf(o.value) >= 0 ? "selected" : null}));
    });
    var select = el("select", {id: id + "-values", multiple: "multiple", "class": "cs-segment-select",
      size: String(Math.min(8, field.options.length + order.length) || 2)}, order.map(function (g) { return groups[g]; }));
    select.addEventListener("change", function () {
      rule.value = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return parseInt(o.value, 10); });
      self.changed();
    });
    return labelled(id + "-values", "Which segments", select);
  };

  Builder.prototype.daysInput = function (rule, id) {
    var self = this;
    var input = el("input", {id: id + "-days", type: "number", min: "0", step: "1", value: rule.value === undefined ? "" : rule.value, "class": "cs-days"});
    input.addEventListener("input", function () {
      var n = parseInt(input.value, 10); rule.value = isNaN(n) ? input.value : n; self.changed();
    });
    return labelled(id + "-days", "Number of days", input).concat([el("span", {text: " days"})]);
  };

  Builder.prototype.listInput = function (rule, field, op, id) {
    var self = this, chosen = Array.isArray(rule.value) ? rule.value : [];
    if (field.options) return this.segmentInput(rule, field, id, chosen);
    if (op.value !== "choice" || !field.choices) return this.scalarListInput(rule, op, id, field);
    if (field.choices.length > 12) {
      var select = el("select", {id: id + "-values", multiple: "multiple", size: "5"}, field.choices.map(function (c) {
        return el("option", {value: c, text: choiceLabel(field, c), selected: chosen.indexOf(c) >= 0 ? "selected" : null});
      }));
      // A long list scrolls: say what is chosen, so nothing picked is out of sight.
      var chosenText = el("span", {"class": "cs-muted cs-chosen"});
      var say = function () {
        chosenText.textContent = chosen.length ? "Chosen: " + chosen.map(function (c) { return choiceLabel(field, c); }).join(", ") : "";
      };
      select.addEventListener("change", function () {
        chosen = rule.value = Array.prototype.filter.call(select.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
        say();
        self.changed();
      });
      say();
      return labelled(id + "-values", "Values", select).concat([chosenText]);
    }
    var boxes = el("fieldset", {"class": "cs-choices"}, [el("legend", {"class": "cs-sr-only", text: "Values"})]);
    field.choices.forEach(function (choice, i) {
      var box = el("input", {type: "checkbox", id: id + "-c" + i, value: choice, checked: chosen.indexOf(choice) >= 0 ? "checked" : null});
      box.addEventListener("change", function () {
        rule.value = Array.prototype.filter.call(boxes.querySelectorAll("input"), function (b) { return b.checked; }).map(function (b) { return b.value; });
        self.changed();
      });
      boxes.appendChild(el("label", {"class": "cs-check", "for": id + "-c" + i}, [box, document.createTextNode(" " + choiceLabel(field, choice))]));
    });
    return [boxes];
  };

  Builder.prototype.scalarListInput = function (rule, op, id, field) {
    var self = this, url = field && op.value === "text" ? this.suggestUrl(field) : null;
    var input = el("input", {id: id + "-values", value: (rule.value || []).join(", "), placeholder: "comma, separated", autocomplete: "off",
      "data-cs-suggest": url, "data-cs-suggest-list": url ? "" : null});
    input.addEventListener("input", function () {
      rule.value = input.value.split(",").map(function (s) { return self.convert(op, s.trim()); })
        .filter(function (v) { return v !== ""; });
      self.changed();
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

  /* -- the member table follows the criteria (member overview) ------------------------ */

  function followingTable(builder) {
    var results = document.getElementById("cs-results");
    if (!results || !builder.syncUrl) return;
    var timer, inflight, form = builder.root.closest("form"), shown = builder.textarea.value;
    var button = form && form.querySelector(".cs-show-members");
    if (button) button.hidden = true;  // the table follows by itself; the button is the no-JS path
    builder.root.addEventListener("cs:criteria", function (event) {
      if (event.detail.criteria === shown) return;  // the table already shows these
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = new URL(window.location.href);
        url.searchParams.set("criteria", event.detail.criteria);
        url.searchParams.delete("page");
        if (inflight) inflight.abort();
        inflight = new AbortController();
        results.classList.add("cs-stale");
        fetch(url, {credentials: "same-origin", signal: inflight.signal}).then(function (response) {
          return response.text();
        }).then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("cs-results");
          if (fresh) { results.innerHTML = fresh.innerHTML; shown = event.detail.criteria; }
          results.classList.remove("cs-stale");
        }).catch(function (error) {
          if (error.name !== "AbortError") results.classList.remove("cs-stale");
        });
      }, TABLE_DELAY);
    });
  }

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
    document.querySelectorAll(".cs-builder").forEach(function (root) {
      root.csBuilder = new Builder(root);
      followingTable(root.csBuilder);
    });
    document.querySelectorAll("form[data-criteria-from]").forEach(syncCriteria);
    confirmations();
    newGroupFields();
    focusTarget();
  });
})();
