// Conditions of Camunda Forms in the browser: hide and show fields as the person fills the form.
//
// The server parsed each condition (portal/inbox/conditions.py) into a small tree, put on the
// component's wrapper as `data-hide`; the task's variables the conditions read are on the form
// as `data-context`. Without this script every such field is shown with a hint saying when it
// applies, and the server ignores the hidden ones whatever the browser sends.
(function () {
  "use strict";

  function kind(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "boolean") return "boolean";
    if (typeof value === "number") return "number";
    if (typeof value === "string") return "string";
    return "other";
  }

  function compare(op, left, right) {
    var kinds = [kind(left), kind(right)];
    if (op === "=" || op === "!=") {
      var equal;
      if (kinds[0] === "null" || kinds[1] === "null") {
        equal = kinds[0] === "null" && kinds[1] === "null";
      } else if (kinds[0] !== kinds[1] || kinds[0] === "other") {
        return null;
      } else {
        equal = left === right;
      }
      return op === "=" ? equal : !equal;
    }
    if (kinds[0] !== kinds[1] || (kinds[0] !== "number" && kinds[0] !== "string")) return null;
    if (op === "<") return left < right;
    if (op === "<=") return left <= right;
    if (op === ">") return left > right;
    return left >= right;
  }

  function evaluate(node, context) {
    var i, value, values;
    switch (node[0]) {
      case "lit":
        return node[1];
      case "path":
        value = context;
        for (i = 0; i < node[1].length; i++) {
          if (value === null || typeof value !== "object") return null;
          value = Object.prototype.hasOwnProperty.call(value, node[1][i]) ? value[node[1][i]] : null;
        }
        return value === undefined ? null : value;
      case "cmp":
        return compare(node[1], evaluate(node[2], context), evaluate(node[3], context));
      case "not":
        value = evaluate(node[1], context);
        return typeof value === "boolean" ? !value : null;
      default:
        values = node[1].map(function (part) { return evaluate(part, context); });
        if (node[0] === "and") {
          if (values.indexOf(false) >= 0) return false;
          return values.every(function (v) { return v === true; }) ? true : null;
        }
        if (values.indexOf(true) >= 0) return true;
        return values.every(function (v) { return v === false; }) ? false : null;
    }
  }

  function typed(text) {
    // option values of the task's variables are often numbers (ids): compare them as numbers
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }

  function fieldValue(field) {
    var inputs = field.querySelectorAll("input, select, textarea");
    var type = field.getAttribute("data-type");
    var chosen = [];
    var i;
    if (type === "checkbox") return inputs[0].checked;
    for (i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) chosen.push(typed(input.value));
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.selectedOptions, function (option) {
          if (option.value !== "") chosen.push(typed(option.value));
        });
      } else {
        var text = input.value.trim();
        if (type === "number") {
          var number = Number(text.replace(/\s/g, "").replace(",", "."));
          return text === "" || isNaN(number) ? null : number;
        }
        return text;
      }
    }
    if (type === "checklist" || type === "taglist") return chosen;
    return chosen.length ? chosen[0] : null;
  }

  function update(form, variables) {
    var context = Object.assign({}, variables);
    form.querySelectorAll(".field[data-key]").forEach(function (field) {
      context[field.getAttribute("data-key")] = fieldValue(field);
    });
    form.querySelectorAll("[data-hide]").forEach(function (wrapper) {
      var hidden = evaluate(JSON.parse(wrapper.getAttribute("data-hide")), context) === true;
      wrapper.hidden = hidden;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (input) {
        // a hidden field is not sent (the server would ignore it anyway); read-only stay off
        if (!input.hasAttribute("data-fixed")) input.disabled = hidden;
      });
    });
  }

  document.querySelectorAll("form[data-context]").forEach(function (form) {
    var variables = JSON.parse(form.getAttribute("data-context") || "{}");
    form.querySelectorAll("[data-hide] :disabled").forEach(function (input) {
      input.setAttribute("data-fixed", "");
    });
    form.classList.add("conditions-live");
    update(form, variables);
    form.addEventListener("input", function () { update(form, variables); });
    form.addEventListener("change", function () { update(form, variables); });
  });
})();
