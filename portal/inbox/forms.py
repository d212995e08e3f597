"""Camunda Forms (bpmn/forms/*.form) read, rendered on the server and validated on the server.

The form of a user task is the Camunda Forms JSON whose `id` the diagram links
(`zeebe:formDefinition formId`). The portal renders it as plain HTML (no script needed) and,
whatever the browser did, checks every submitted field against the form's own schema before
anything is written: `required`, `min`/`max`, `minLength`/`maxLength`, `pattern`,
`validationType` (email, phone), the options of radio, select, checklist and taglist fields
(static `values` or a `valuesKey` variable), number types and decimal digits, date and time
formats. Conditions (`"conditional": {"hide": "=..."}`) are evaluated with the FEEL subset of
portal/inbox/conditions.py: a hidden field is neither validated nor submitted. A component the
portal cannot render faithfully (a condition outside that subset, an `iframe`, a dynamic list
...) makes the form fail to load with a message naming it, rather than be shown wrongly;
tests/portal/test_forms.py loads every form of bpmn/.

Without JavaScript every field whose condition depends on other fields of the form is shown,
with a hint saying when it applies; portal/static/js/forms.js hides and shows them as the
person fills the form. Conditions on the task's variables alone are decided on the server.

Messages are English message ids with parameters (`Message`); the route translates them.
"""

from __future__ import annotations

import gettext
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from models.enums import Stage
from portal.i18n import N_
from portal.inbox import conditions

INPUT_TYPES = {
    "textfield",
    "textarea",
    "number",
    "checkbox",
    "radio",
    "select",
    "checklist",
    "taglist",
    "datetime",
    "filepicker",
}
# components that show something but hold no value
DISPLAY_TYPES = {"text", "spacer", "separator"}
CONTAINER_TYPES = {"group"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
# the step each process of bpmn/ carries out (khcn-task and the shared council: none)
PROCESS_STAGES = {
    "khcn-task-list": Stage.TASK_LIST,
    "khcn-selection": Stage.SELECTION,
    "khcn-implementation": Stage.IMPLEMENTATION,
    "khcn-acceptance": Stage.ACCEPTANCE,
    "khcn-registration": Stage.REGISTRATION,
}


class FormError(ValueError):
    """A form file the portal cannot use (the message names the form and component)."""


@dataclass(frozen=True)
class Message:
    """A validation message: an English message id and its parameters."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Field:
    """One component of a form."""

    type: str
    id: str
    key: str = ""
    label: str = ""
    description: str = ""
    text: str = ""
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    validation_type: str | None = None
    values: list[tuple[str, str]] = field(default_factory=list)
    values_key: str | None = None
    default: Any = None
    readonly: bool = False
    disabled: bool = False
    subtype: str = "date"
    decimal_digits: int | None = None
    accept: str = ""
    multiple: bool = False
    children: list[Field] = field(default_factory=list)
    # the parsed `conditional.hide` expression (portal/inbox/conditions.py), and its text
    hide: list[Any] | None = None
    hide_source: str = ""

    @property
    def holds_value(self) -> bool:
        """Whether the field submits a value."""
        return self.type in INPUT_TYPES and bool(self.key) and not self.disabled


@dataclass
class FormSchema:
    """A parsed form: its components in order, and its value fields."""

    id: str
    components: list[Field]

    def fields(self) -> list[Field]:
        """Every field that submits a value, groups opened."""
        return self._walk(self.components, None)

    def keys(self) -> set[str]:
        """The keys of the fields that submit a value."""
        return {item.key for item in self.fields()}

    def visible_fields(self, context: Mapping[str, Any]) -> list[Field]:
        """The fields that submit a value and are not hidden by a condition in `context`."""
        return self._walk(self.components, context)

    def _walk(self, items: Sequence[Field], context: Mapping[str, Any] | None) -> list[Field]:
        found: list[Field] = []
        for item in items:
            if context is not None and item.hide is not None:
                if conditions.holds(item.hide, context):
                    continue
            if item.children:
                found += self._walk(item.children, context)
            elif item.holds_value:
                found.append(item)
        return found


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parse_component(form_id: str, raw: Mapping[str, Any]) -> Field:
    kind = str(raw.get("type", ""))
    where = f"{form_id}: component {raw.get('id') or raw.get('key') or kind!r}"
    if kind not in INPUT_TYPES | DISPLAY_TYPES | CONTAINER_TYPES:
        raise FormError(f"{where} has type {kind!r}, which the portal cannot render")
    hide, hide_source = _condition(where, raw.get("conditional"))
    if kind == "group" and raw.get("path"):
        raise FormError(f"{where} is a group with a path, which the portal does not support")
    validate = raw.get("validate") or {}
    if isinstance(raw.get("readonly"), str) or isinstance(raw.get("disabled"), str):
        raise FormError(f"{where} has a FEEL readonly/disabled expression")
    values = [
        (str(option.get("value")), str(option.get("label", option.get("value"))))
        for option in raw.get("values") or []
    ]
    item = Field(
        type=kind,
        id=str(raw.get("id") or raw.get("key") or ""),
        key=str(raw.get("key") or ""),
        label=str(raw.get("label") or raw.get("dateLabel") or raw.get("timeLabel") or ""),
        description=str(raw.get("description") or ""),
        text=str(raw.get("text") or ""),
        required=bool(validate.get("required")),
        minimum=_number(validate.get("min")),
        maximum=_number(validate.get("max")),
        min_length=int(validate["minLength"]) if validate.get("minLength") is not None else None,
        max_length=int(validate["maxLength"]) if validate.get("maxLength") is not None else None,
        pattern=validate.get("pattern") or None,
        validation_type=validate.get("validationType") or None,
        values=values,
        values_key=raw.get("valuesKey") or None,
        default=raw.get("defaultValue"),
        readonly=bool(raw.get("readonly")),
        disabled=bool(raw.get("disabled")),
        subtype=str(raw.get("subtype") or "date"),
        decimal_digits=raw.get("decimalDigits"),
        accept=str(raw.get("accept") or ""),
        multiple=bool(raw.get("multiple")),
        hide=hide,
        hide_source=hide_source,
    )
    if item.pattern:
        try:
            re.compile(item.pattern)
        except re.error as error:
            raise FormError(f"{where} has an invalid pattern: {error}") from None
    if kind in INPUT_TYPES and not item.key:
        raise FormError(f"{where} has no key")
    if kind == "group":
        item.children = [_parse_component(form_id, c) for c in raw.get("components") or []]
    return item


def _condition(where: str, conditional: Any) -> tuple[list[Any] | None, str]:
    """A component's `conditional` parsed (None when it has none); FormError otherwise."""
    if not conditional:
        return None, ""
    if not isinstance(conditional, Mapping) or set(conditional) != {"hide"}:
        raise FormError(f"{where} has a conditional other than 'hide', which the portal ignores")
    source = conditional["hide"]
    if not isinstance(source, str):
        raise FormError(f"{where} has a condition that is not a FEEL expression")
    try:
        return conditions.parse(source), source
    except conditions.ConditionError as error:
        raise FormError(
            f"{where} has the condition {source!r}, which the portal cannot evaluate: {error}"
        ) from None


def parse_form(data: Mapping[str, Any]) -> FormSchema:
    """A form schema from Camunda Forms JSON (FormError when the portal cannot use it)."""
    form_id = str(data.get("id") or "")
    if not form_id:
        raise FormError("a form without an id")
    components = [_parse_component(form_id, raw) for raw in data.get("components") or []]
    return FormSchema(form_id, components)


# ----------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class UserTaskInfo:
    """What the diagrams say about a user task: its name and its form."""

    name: str
    form_id: str | None
    stage: Stage | None


class FormCatalogue:
    """The forms of bpmn/forms by id, and which form each user task of bpmn/*.bpmn links."""

    def __init__(self, bpmn_dir: Path) -> None:
        self.forms: dict[str, FormSchema] = {}
        self.tasks: dict[tuple[str, str], UserTaskInfo] = {}
        for path in sorted((bpmn_dir / "forms").glob("*.form")):
            schema = parse_form(json.loads(path.read_text(encoding="utf-8")))
            self.forms[schema.id] = schema
        for path in sorted(bpmn_dir.glob("*.bpmn")):
            self._read_diagram(path)

    def _read_diagram(self, path: Path) -> None:
        tree = etree.parse(str(path))
        for process in tree.iter(f"{{{BPMN}}}process"):
            process_id = process.get("id", "")
            for task in process.iter(f"{{{BPMN}}}userTask"):
                form = task.find(f".//{{{ZEEBE}}}formDefinition")
                form_id = form.get("formId") if form is not None else None
                self.tasks[(process_id, task.get("id", ""))] = UserTaskInfo(
                    name=task.get("name") or task.get("id", ""),
                    form_id=form_id,
                    stage=PROCESS_STAGES.get(process_id),
                )

    def user_task(self, process_id: str, element_id: str, form_key: str | None) -> UserTaskInfo:
        """The user task of a job: by its diagram, else a form key that names a form."""
        info = self.tasks.get((process_id, element_id))
        if info is not None:
            return info
        form_id = form_key if form_key in self.forms else None
        return UserTaskInfo(element_id, form_id, PROCESS_STAGES.get(process_id))

    def form(self, form_id: str | None) -> FormSchema | None:
        """The form with an id (None when there is none)."""
        return self.forms.get(form_id or "")


# ----------------------------------------------------------------------------- rendering


def lookup(variables: Mapping[str, Any], path: str) -> Any:
    """A (dotted) variable of the task, None when absent."""
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _inline(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)", r"<em>\1</em>", text)


def render_text(source: str, variables: Mapping[str, Any]) -> str:
    """A text component as safe HTML: `{{variable}}` filled in, a little Markdown."""

    def fill(match: re.Match[str]) -> str:
        value = lookup(variables, match.group(1))
        if value is None:
            return "—"
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    escaped = html.escape(TEMPLATE.sub(fill, source))
    blocks: list[str] = []
    items: list[str] = []
    for line in escaped.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        bullet = re.match(r"^[-*]\s+(.*)$", line)
        if bullet:
            items.append(f"<li>{_inline(bullet.group(1))}</li>")
            continue
        if items:
            blocks.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if heading:
            # a form's headings sit under the page's h1
            level = min(len(heading.group(1)) + 1, 6)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.strip():
            blocks.append(f"<p>{_inline(line)}</p>")
    if items:
        blocks.append("<ul>" + "".join(items) + "</ul>")
    return "".join(blocks)


def options(item: Field, variables: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The choices of a radio, select, checklist or taglist: static, or from a variable."""
    if item.values_key:
        found = lookup(variables, item.values_key) or []
        return [
            (
                str(o.get("value") if isinstance(o, Mapping) else o),
                str(o.get("label", o.get("value")) if isinstance(o, Mapping) else o),
            )
            for o in found
        ]
    return item.values


def _typed_option(item: Field, variables: Mapping[str, Any], text: str) -> Any:
    """The option's value with its original type (ids from a variable stay numbers)."""
    if item.values_key:
        for o in lookup(variables, item.values_key) or []:
            value = o.get("value") if isinstance(o, Mapping) else o
            if str(value) == text:
                return value
    return text


def initial_values(schema: FormSchema, variables: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows first: the task's variables, else the fields' defaults."""
    found: dict[str, Any] = {}
    for item in schema.fields():
        value = variables.get(item.key, item.default)
        if value is not None:
            found[item.key] = value
    return found


def shown(value: Any) -> Any:
    """A value as the form shows it again (strings for inputs, lists for multiple choices)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ----------------------------------------------------------------------------- validation


@dataclass
class Outcome:
    """The values a submission gives, the messages per field, and what was typed."""

    values: dict[str, Any]
    errors: dict[str, Message]
    typed: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether every field is valid."""
        return not self.errors


def _check_text(item: Field, text: str) -> Message | None:
    if item.min_length is not None and len(text) < item.min_length:
        return Message(N_("Enter at least %(n)s characters."), {"n": item.min_length})
    if item.max_length is not None and len(text) > item.max_length:
        return Message(N_("Enter at most %(n)s characters."), {"n": item.max_length})
    if item.pattern and not re.search(item.pattern, text):
        return Message(N_("This value does not have the expected format."))
    if item.validation_type == "email" and not EMAIL.match(text):
        return Message(N_("Enter an e-mail address."))
    if item.validation_type == "phone" and not PHONE.match(text):
        return Message(N_("Enter a telephone number."))
    return None


def _number_value(item: Field, text: str) -> tuple[Any, Message | None]:
    normal = text.replace(" ", "").replace(",", ".")
    try:
        number = float(normal)
    except ValueError:
        return None, Message(N_("Enter a number."))
    if number != number or number in (float("inf"), float("-inf")):
        return None, Message(N_("Enter a number."))
    digits = len(normal.split(".", 1)[1]) if "." in normal else 0
    if item.decimal_digits is not None and digits > int(item.decimal_digits):
        return None, Message(N_("Use at most %(n)s decimal digits."), {"n": item.decimal_digits})
    if item.minimum is not None and number < item.minimum:
        smallest = _plain(item.minimum)
        return None, Message(N_("The smallest value allowed is %(n)s."), {"n": smallest})
    if item.maximum is not None and number > item.maximum:
        largest = _plain(item.maximum)
        return None, Message(N_("The largest value allowed is %(n)s."), {"n": largest})
    return (int(number) if number.is_integer() and digits == 0 else number), None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _date_value(item: Field, text: str) -> tuple[Any, Message | None]:
    try:
        if item.subtype == "time":
            return time.fromisoformat(text).strftime("%H:%M"), None
        if item.subtype == "datetime":
            return datetime.fromisoformat(text).isoformat(), None
        return date.fromisoformat(text).isoformat(), None
    except ValueError:
        if item.subtype == "time":
            return None, Message(N_("Enter a time (hh:mm)."))
        return None, Message(N_("Enter a date (dd/mm/yyyy)."))


def _loose_number(text: str) -> int | float | None:
    try:
        number = float(text.replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in text else number


def _loose_value(item: Field, texts: Sequence[str], variables: Mapping[str, Any]) -> Any:
    """A field's value as its condition sees it (no rule checked: a condition reads what is
    typed, as the browser does)."""
    if item.type == "checkbox":
        return any(t in ("on", "true", "1") for t in texts)
    if item.type in ("checklist", "taglist"):
        return [_typed_option(item, variables, t) for t in texts]
    text = texts[-1].strip() if texts else ""
    if item.type in ("radio", "select"):
        return _typed_option(item, variables, text) if text else None
    if item.type == "number":
        return _loose_number(text) if text else None
    if item.type == "filepicker":
        return None
    return text


def condition_context(
    schema: FormSchema, submitted: Mapping[str, Sequence[str]], variables: Mapping[str, Any]
) -> dict[str, Any]:
    """What conditions are evaluated in: the task's variables and the fields as submitted."""
    context = dict(variables)
    for item in schema.fields():
        if item.readonly:
            continue
        texts = [t for t in submitted.get(item.key, []) if isinstance(t, str)]
        context[item.key] = _loose_value(item, texts, variables)
    return context


def validate(
    schema: FormSchema,
    submitted: Mapping[str, Sequence[str]],
    variables: Mapping[str, Any],
    files: Mapping[str, Sequence[Any]] | None = None,
) -> Outcome:
    """Check every field of a submission against the form's schema.

    `submitted` maps each name to the texts sent (a checklist sends several); `files` maps a
    filepicker's key to what was uploaded for it (already checked by the upload rules).
    """
    values: dict[str, Any] = {}
    errors: dict[str, Message] = {}
    typed: dict[str, Any] = {}
    context = condition_context(schema, submitted, variables)
    shown = {id(item) for item in schema.visible_fields(context)}
    for item in schema.fields():
        texts = [t for t in submitted.get(item.key, []) if isinstance(t, str)]
        if id(item) not in shown:
            # hidden by its condition: neither validated nor submitted, but kept as typed
            if texts:
                many = item.type in ("checklist", "taglist")
                typed[item.key] = texts if many else texts[-1]
            continue
        if item.readonly:
            # a read-only field cannot be changed from the browser: the task's value stands
            if item.key in variables:
                values[item.key] = variables[item.key]
            continue
        if item.type == "checkbox":
            values[item.key] = any(t in ("on", "true", "1") for t in texts)
            typed[item.key] = values[item.key]
            if item.required and not values[item.key]:
                errors[item.key] = Message(N_("This field is required."))
            continue
        if item.type in ("checklist", "taglist"):
            typed[item.key] = texts
            allowed = {value for value, _ in options(item, variables)}
            wrong = [t for t in texts if t not in allowed]
            if wrong:
                errors[item.key] = Message(N_("Choose from the options given."))
            elif item.required and not texts:
                errors[item.key] = Message(N_("This field is required."))
            else:
                values[item.key] = [_typed_option(item, variables, t) for t in texts]
            continue
        if item.type == "filepicker":
            uploaded = list((files or {}).get(item.key, []))
            if item.required and not uploaded:
                errors[item.key] = Message(N_("This field is required."))
            elif uploaded:
                values[item.key] = uploaded if item.multiple else uploaded[0]
            continue
        text = texts[-1].strip() if texts else ""
        typed[item.key] = texts[-1] if texts else ""
        if not text:
            if item.required:
                errors[item.key] = Message(N_("This field is required."))
            continue
        problem: Message | None
        if item.type in ("radio", "select"):
            if text not in {value for value, _ in options(item, variables)}:
                problem = Message(N_("Choose from the options given."))
            else:
                problem = None
                values[item.key] = _typed_option(item, variables, text)
        elif item.type == "number":
            value, problem = _number_value(item, text)
            if problem is None:
                values[item.key] = value
        elif item.type == "datetime":
            value, problem = _date_value(item, text)
            if problem is None:
                values[item.key] = value
        else:
            problem = _check_text(item, text)
            if problem is None:
                values[item.key] = text
        if problem is not None:
            errors[item.key] = problem
    return Outcome(values, errors, typed)


def translated(
    errors: Mapping[str, Message], translator: gettext.NullTranslations
) -> dict[str, str]:
    """The messages of a validation in the page's language."""
    return {key: translator.gettext(m.text) % dict(m.params) for key, m in errors.items()}


def explain(node: list[Any], schema: FormSchema) -> Message:
    """When a field hidden by `node` applies, in words (for pages without JavaScript)."""
    fields = {item.key: item for item in schema.fields()}
    negated = node[0] == "not"
    if negated:
        node = node[1]
    if node[0] == "path":
        node = ["cmp", "=", node, ["lit", True]]
    if node[0] == "cmp" and node[1] in ("=", "!=") and node[2][0] == "path" and node[3][0] == "lit":
        item = fields.get(".".join(node[2][1]))
        value = node[3][1]
        # hidden while (field = value) is `hidden_when_equal`: the field applies otherwise
        hidden_when_equal = (node[1] == "=") != negated
        if item is not None and isinstance(value, bool) and item.type == "checkbox":
            if value != hidden_when_equal:
                return Message(N_("Only when “%(field)s” is ticked."), {"field": item.label})
            return Message(N_("Only when “%(field)s” is not ticked."), {"field": item.label})
        if item is not None and value is not None:
            params = {"field": item.label or item.key, "value": dict(item.values).get(str(value))}
            params["value"] = params["value"] or str(value)
            if hidden_when_equal:
                return Message(N_("Only when “%(field)s” is not “%(value)s”."), params)
            return Message(N_("Only when “%(field)s” is “%(value)s”."), params)
    return Message(N_("Only when it applies (condition: %(condition)s)."), {"condition": ""})


def form_view(
    schema: FormSchema,
    variables: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The components as _camunda_form.html draws them.

    A component hidden by a condition on the task's variables alone is left out; one whose
    condition reads fields of the form carries it for the browser (`hide`) with a hint in
    words (`when`) for pages without JavaScript.
    """
    keys = schema.keys()

    def view(item: Field) -> dict[str, Any] | None:
        hide, when = None, None
        if item.hide is not None:
            if not conditions.paths(item.hide) & keys:
                if conditions.holds(item.hide, variables):
                    return None
            else:
                hide = json.dumps(item.hide, ensure_ascii=False)
                when = explain(item.hide, schema)
                if "condition" in when.params:
                    when = Message(when.text, {"condition": item.hide_source.lstrip("= ")})
        return {
            "field": item,
            "html": Markup(render_text(item.text, variables)) if item.type == "text" else "",
            "options": options(item, variables),
            "value": shown(values.get(item.key)),
            "error": errors.get(item.key, ""),
            "children": [c for c in (view(child) for child in item.children) if c is not None],
            "hide": hide,
            "when": when,
        }

    return [c for c in (view(item) for item in schema.components) if c is not None]


def browser_context(schema: FormSchema, variables: Mapping[str, Any]) -> str:
    """The task's variables the browser needs to evaluate the form's conditions, as JSON."""
    keys = schema.keys()
    needed: set[str] = set()

    def walk(items: Sequence[Field]) -> None:
        for item in items:
            if item.hide is not None and conditions.paths(item.hide) & keys:
                needed.update(conditions.paths(item.hide) - keys)
            walk(item.children)

    walk(schema.components)
    return json.dumps({name: variables.get(name) for name in sorted(needed)}, ensure_ascii=False)
