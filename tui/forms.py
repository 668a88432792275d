"""A form generated from a JSON Schema (a pydantic model's `model_json_schema()`).

The form only collects raw values; validation is the backend's (the same pydantic
model the command uses), so the form shows exactly the errors the command would
raise — inline, per field — and the caller sends nothing until there are none.
"""

from __future__ import annotations

import re
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.content import Content
from textual.widgets import Input, Label, Select, Static, Switch

__all__ = ["ParamsForm", "field_kind", "humanize", "parse_value"]

_PYDANTIC_WORDS = (  # pydantic's phrasing -> the form's
    (r"Value error, ", ""),
    (r"Input should be a valid number, unable to parse string as a number", "not a number"),
    (r"Input should be a valid integer, unable to parse string as an integer", "not a whole number"),
    (r"Input should be a valid integer, got a number with a fractional part", "must be a whole number"),
    (r"Input should be a finite number", "must be a finite number"),
    (r"Input should be greater than or equal to", "must be at least"),
    (r"Input should be greater than", "must be greater than"),
    (r"Input should be less than or equal to", "must be at most"),
    (r"Input should be less than", "must be less than"),
)


def _nullable(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`anyOf: [X, null]` → (X, True)."""
    options = prop.get("anyOf")
    if options:
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            return {**prop, **rest[0]}, len(rest) < len(options)
    return prop, False


def humanize(message: str, properties: dict[str, dict[str, Any]]) -> str:
    """A validation message in the form's words: its labels for parameter names (a rule
    across fields said `gr_shale`; the form says "GR shale (API)") and plain phrases for
    pydantic's."""
    for pattern, plain in _PYDANTIC_WORDS:
        message = re.sub(pattern, plain, message)
    for name, prop in properties.items():
        title = prop.get("title")
        if title and title != name:
            message = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w])", title, message)
    return message


def field_kind(prop: dict[str, Any]) -> str:
    """One of `enum`, `boolean`, `integer`, `number`, `string`."""
    prop, _ = _nullable(prop)
    if "enum" in prop:
        return "enum"
    kind = prop.get("type", "string")
    return kind if kind in ("boolean", "integer", "number") else "string"


def parse_value(prop: dict[str, Any], text: str) -> Any:
    """Text from an input → the value to validate. Unparseable text is passed on as
    text, so the validator reports it in its own words."""
    inner, nullable = _nullable(prop)
    text = text.strip()
    if text == "":
        return None if nullable else text
    kind = field_kind(inner)
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    return text


class ParamsForm(Widget):
    """Fields for every property of `schema`, defaults filled in, errors shown inline."""

    DEFAULT_CSS = """
    ParamsForm { height: auto; }
    ParamsForm .form-row { height: auto; }
    ParamsForm .form-label { width: 22; padding: 1 1 0 0; }
    ParamsForm .form-field { width: 1fr; height: auto; }
    ParamsForm .form-field Input, ParamsForm .form-field Select { width: 1fr; }
    ParamsForm .form-error { color: $error; height: auto; padding: 0 0 0 23; }
    ParamsForm .form-error.-empty { display: none; }
    """

    class Changed(Message):
        """A value changed; `values` is what the form would send now."""

        def __init__(self, form: "ParamsForm", values: dict[str, Any], field: str | None = None) -> None:
            super().__init__()
            self.form = form
            self.values = values
            self.field = field  # the parameter the user changed

        @property
        def control(self) -> "ParamsForm":
            return self.form

    def __init__(self, schema: dict[str, Any], values: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.schema = schema
        self.properties: dict[str, dict[str, Any]] = dict(schema.get("properties") or {})
        self.initial = {name: (values or {}).get(name, prop.get("default"))
                        for name, prop in self.properties.items()}
        self._shown: dict[str, Any] = {}  # values put in fields by code, not typed by the user

    def compose(self) -> ComposeResult:
        if not self.properties:
            yield Static("[dim]This UDF has no parameters.[/]")
        for name, prop in self.properties.items():
            with Vertical(classes="form-row"):
                with Horizontal(classes="form-row"):
                    yield Label(Content(prop.get("title") or name), classes="form-label")  # a plugin's words
                    with Vertical(classes="form-field"):
                        yield self._field(name, prop)
                yield Static("", id=f"error-{name}", classes="form-error -empty")

    def _field(self, name: str, prop: dict[str, Any]) -> Widget:
        value = self.initial.get(name)
        kind = field_kind(prop)
        tooltip = prop.get("description")
        if kind == "enum":
            inner, _ = _nullable(prop)
            widget: Widget = Select([(str(v), v) for v in inner["enum"]], value=value,
                                    allow_blank=False, id=f"field-{name}")
        elif kind == "boolean":
            widget = Switch(bool(value), id=f"field-{name}")
        else:
            placeholder = "(none)" if _nullable(prop)[1] else ""
            widget = Input("" if value is None else str(value), placeholder=placeholder,
                           id=f"field-{name}",
                           type="text" if kind == "string" else "number" if kind == "number" else "integer")
        widget.tooltip = tooltip
        return widget

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, prop in self.properties.items():
            found = self.query(f"#field-{name}")
            if not found:  # still being composed (the UDF was just changed): not a value yet
                continue
            widget = found.first()
            if isinstance(widget, Input):
                out[name] = parse_value(prop, widget.value)
            elif isinstance(widget, Switch):
                out[name] = widget.value
            elif isinstance(widget, Select):
                out[name] = widget.value
        return out

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show one message under each field in `errors`; clear the others."""
        for name, prop in self.properties.items():
            boxes, fields = self.query(f"#error-{name}"), self.query(f"#field-{name}")
            if not boxes or not fields:  # still being composed
                continue
            box, widget = boxes.first(Static), fields.first()
            message = errors.get(name)
            if message and isinstance(widget, Input) and not widget.value.strip():
                # pydantic would say "unable to parse string as an integer" about nothing
                default = prop.get("default")
                message = "a value is required" + (f" (the default is {default})" if default is not None else "")
            box.update(Content(f"⚠ {humanize(message, self.properties)}") if message else "")
            box.set_class(not message, "-empty")
            widget.set_class(bool(message), "-invalid")

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        widget_id = getattr(getattr(event, "control", None), "id", None) or ""
        field = widget_id.removeprefix("field-") if widget_id.startswith("field-") else None
        values = self.values()
        if field is not None and values.get(field) == self._shown.get(field, self.initial.get(field)):
            field = None  # a widget announcing the value it was given (a Select on mount)
        elif field is not None:
            self._shown[field] = values.get(field)
        self.post_message(self.Changed(self, values, field))

    def show_value(self, name: str, value: Any) -> None:
        """Show `value` in field `name` without it counting as the user's change (no `Changed`)."""
        found = self.query(f"#field-{name}")
        if not found:
            return
        widget = found.first()
        self._shown[name] = value
        with widget.prevent(Input.Changed, Switch.Changed, Select.Changed):
            if isinstance(widget, Select):
                widget.value = value
            elif isinstance(widget, Switch):
                widget.value = bool(value)
            elif isinstance(widget, Input):
                widget.value = "" if value is None else str(value)
