"""UDF runner: pick a UDF, fill its generated form, run it on the selected well.

Every edit is checked by `check_udf_request` (the backend's own validation, per
field), so errors show inline and Run stays disabled until the request is valid.
Progress comes from `execution-progress` events, so a second runner or the
Executions pane shows the same run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from core.dataforge.context import CURVE_UNIT_PARAMETERS
from core.dataforge.api import UdfCheck
from core.dataforge.models import CurveInfo
from core.dataforge.udfs import UdfInfo

from ..forms import ParamsForm, humanize
from ..pane import Pane, register_pane

__all__ = ["UdfRunnerPane"]

_AUTO = "auto"


@register_pane
class UdfRunnerPane(Pane):
    KIND = "udf-runner"
    TITLE = "UDF runner"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("ctrl+k", "cancel", "Cancel run", priority=True),
    ]

    SETTINGS = {**Pane.SETTINGS, "udf_id": str, "parameters": dict[str, Any],
                "inputs": dict[str, int | None], "chosen_units": list[str], "execution": str}

    udf_id: reactive[str | None] = reactive(None)
    execution_id: reactive[str | None] = reactive(None)
    check: reactive[UdfCheck | None] = reactive(None, always_update=True)  # same errors, new text to explain

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="udf-body"):
            yield Select([], prompt="Choose a UDF", id="udf-select")
            yield Static("", id="udf-description", classes="udf-description")
            yield Label("Input curves", classes="section")
            yield Static("", id="udf-inputs-box")
            yield Label("Parameters", classes="section")
            yield Static("", id="udf-form-box")
            with Horizontal(classes="form-row"):
                yield Label("Output mnemonic", classes="form-label")
                yield Input(placeholder="default", id="udf-output", max_length=32)
            yield Static("", id="udf-check", classes="udf-check")
        with Horizontal(id="udf-actions"):
            yield Button("Run", id="udf-run", variant="primary", disabled=True)
            yield Button("Cancel", id="udf-cancel", variant="error", disabled=True)
            yield ProgressBar(total=1.0, id="udf-progress", show_eta=False)
        yield Static("", id="udf-status", classes="udf-status")

    def on_core_ready(self) -> None:
        self._udfs: dict[str, UdfInfo] = {}
        self._curves: list[CurveInfo] = []
        self._loaded_well: int | None = -1
        self._check_seq = 0
        self._early_ends: dict[str, Any] = {}  # end events of runs not yet known as ours
        self._inputs_lock = asyncio.Lock()
        # Unit parameters (density_unit, ...) follow the input curve's unit until the user
        # picks one: they are left out of the request and show what the backend resolved.
        self._auto_units: set[str] = set(CURVE_UNIT_PARAMETERS) - set(self.pane_settings.get("chosen_units") or ())
        for end in ("complete", "failed", "cancelled"):
            self.listen(f"execution-{end}", self._on_end)
        self.listen("execution-progress", self._on_progress)
        self.listen("curve-added", self._on_curves_changed)
        self.listen("curve-deleted", self._on_curves_changed)
        self.listen("curve-updated", self._on_curves_changed)
        self.run_worker(self._load_udfs, group="udfs")

    # ---- loading -------------------------------------------------------------------
    async def reload_udfs(self) -> None:
        """Re-read the UDF list (after a plugin was added)."""
        await self._load_udfs()

    async def _load_udfs(self) -> None:
        udfs: list[UdfInfo] | None = await self.try_invoke("list_udfs")
        if udfs is None:
            return
        self._udfs = {u.id: u for u in udfs}
        select = self.query_one("#udf-select", Select)
        ordered = sorted(udfs, key=lambda u: (u.category, u.name))
        select.set_options([(Text(f"{u.category} · {u.name}"), u.id) for u in ordered])
        saved = self.pane_settings.get("udf_id")
        if saved in self._udfs:
            select.value = saved
        await self._load_curves()
        await self._adopt_running()

    async def _adopt_running(self) -> None:
        """A split or close rebuilds every pane: take back the run this pane started (its id
        is in the pane's settings), or say how it ended meanwhile."""
        eid = self.pane_settings.get("execution")
        if not eid or self.execution_id is not None:
            return
        runs = await self.try_invoke("list_executions") or []
        run = next((r for r in runs if r.id == eid), None)
        bar = self.query_one("#udf-progress", ProgressBar)
        if run is not None and run.state == "running":
            self.execution_id = eid
            bar.update(total=1.0, progress=run.fraction)
            self._status(Content(f"⚙ {eid}: {run.message or ''} {run.fraction:.0%}"))
            early = self._early_ends.pop(eid, None)
            if early is not None:
                self._on_end(early)
            return
        self.save_settings(execution=None)
        if run is not None:  # it ended while the pane was being rebuilt
            bar.update(total=1.0, progress=1.0 if run.state == "completed" else 0.0)
            self._status({"completed": "[green]✓ done[/]",
                          "failed": Content.from_markup("[red]✗ failed[/]: $error", error=str(run.error)),
                          "cancelled": "[yellow]cancelled[/]: nothing was saved"}[run.state])

    async def _load_curves(self) -> None:
        well = self.selection.well_id
        if well != self._loaded_well and self._loaded_well != -1 and self.execution_id is None:
            self._status("")  # "✓ done: saved PHID" was about the other well
            self.query_one("#udf-progress", ProgressBar).update(progress=0.0)
        self._loaded_well = well
        self._well = await self.try_invoke("get_well", {"wellId": well}) if well is not None else None
        curves = await self.try_invoke("list_curves", {"wellId": well}) if well is not None else []
        self._curves = curves or []
        await self._build_inputs()
        self._schedule_check()

    def _on_curves_changed(self, event) -> None:
        if event.payload.get("well_id") == self.selection.well_id:
            self.run_worker(self._load_curves, group="curves", exclusive=True)

    def watch_selection(self, old, new) -> None:
        if self.is_mounted and hasattr(self, "_udfs") and new.well_id != self._loaded_well:
            self.run_worker(self._load_curves, group="curves", exclusive=True)

    # ---- the form ------------------------------------------------------------------------
    @on(Select.Changed, "#udf-select")
    async def _udf_chosen(self, event: Select.Changed) -> None:
        event.stop()
        udf_id = event.value if event.value is not Select.NULL else None
        if udf_id != self.udf_id:  # a name typed for another UDF's result is not this one's
            self.query_one("#udf-output", Input).value = ""
        self.udf_id = udf_id
        if self.execution_id is None:
            self._status("")  # the last run's "done" is about another UDF
        udf = self._udfs.get(udf_id or "")
        self.query_one("#udf-description", Static).update("" if udf is None else Content.from_markup(
            "$description\n[dim]→ $mnemonic ($unit)  · $source[/]", description=udf.description,
            mnemonic=udf.output.mnemonic, unit=udf.output.unit or "no unit", source=udf.source))
        box = self.query_one("#udf-form-box", Static)
        await box.remove_children()
        if udf is not None:
            await box.mount(ParamsForm(udf.params_schema, self._saved_parameters(udf), id="udf-form"))
            self.save_settings(udf_id=udf_id)
        await self._build_inputs()
        self._schedule_check()

    def _saved_parameters(self, udf: UdfInfo) -> dict[str, Any] | None:
        """The parameters saved for `udf`, less choices it no longer offers (its enum changed
        since, or a hand-edited layout): a Select given a value it does not list raises."""
        if self.pane_settings.get("udf_id") != udf.id:
            return None
        saved = dict(self.pane_settings.get("parameters") or {})
        for name, prop in (udf.params_schema.get("properties") or {}).items():
            choices = [o["enum"] for o in (prop, *prop.get("anyOf", ())) if "enum" in o]
            if name in saved and choices and saved[name] not in choices[0]:
                del saved[name]
        return saved

    async def _build_inputs(self) -> None:
        # One rebuild at a time: a UDF change and a well change both rebuild, and a Select
        # removed while it was still mounting crashed inside Textual (NoMatches '#label').
        async with self._inputs_lock:
            await self._build_inputs_now()

    async def _build_inputs_now(self) -> None:
        box = self.query_one("#udf-inputs-box", Static)
        kept = {sel.id: sel.value for sel in box.query(Select)}  # a rebuild keeps the user's picks
        await box.remove_children()
        udf = self._udfs.get(self.udf_id or "")
        if udf is None:
            return
        if self.selection.well_id is None:
            await box.mount(Static("[dim]Select a well to choose its curves.[/]"))
            return
        options = [(Text.assemble(c.mnemonic, " ", (c.unit or "", "dim")), c.id) for c in self._curves]
        ids = {c.id for c in self._curves}
        for spec in udf.inputs:
            hint = _input_hint(spec)
            before = kept.get(f"input-{spec.name}", (self.pane_settings.get("inputs") or {}).get(spec.name))
            if spec.aliases:
                select = Select([("auto (match by mnemonic)", _AUTO), *options],
                                value=before if before in ids else _AUTO,
                                allow_blank=False, id=f"input-{spec.name}", classes="form-field")
            else:  # accepts any curve: nothing to match, so start from the selected curve
                chosen = before if before in ids else self.selection.curve_id
                select = Select(options, prompt="choose a curve", allow_blank=True,
                                value=chosen if chosen in ids else Select.NULL,
                                id=f"input-{spec.name}", classes="form-field")
            await box.mount(Horizontal(Label(Content(hint), classes="form-label"), select, classes="form-row"))

    def _request(self) -> dict[str, Any] | None:
        udf = self._udfs.get(self.udf_id or "")
        if udf is None or self.selection.well_id is None:
            return None
        forms = self.query(ParamsForm)
        params = forms.first().values() if forms else {}
        params = {k: v for k, v in params.items() if k not in self._auto_units}
        inputs = {}
        for spec in udf.inputs:
            for select in self.query(f"#input-{spec.name}").results(Select):
                if select.value not in (_AUTO, Select.NULL):
                    inputs[spec.name] = int(select.value)
        output = self.query_one("#udf-output", Input).value.strip() or None
        return {"udf_id": udf.id, "well_id": self.selection.well_id,
                "workspace_id": self.selection.workspace_id, "parameters": params,
                "inputs": inputs or None, "output_mnemonic": output}

    @on(ParamsForm.Changed)
    @on(Select.Changed)
    @on(Input.Changed, "#udf-output")
    def _edited(self, event) -> None:
        control = getattr(event, "control", None)
        if isinstance(event, Select.Changed) and (control.id or "").startswith("input-"):
            self.save_settings(inputs={**(self.pane_settings.get("inputs") or {}), control.id[6:]:
                                       None if event.value in (_AUTO, Select.NULL) else event.value})
        if isinstance(event, ParamsForm.Changed):
            if event.field in self._auto_units:  # the user chose this unit: it no longer follows
                self._auto_units.discard(event.field)
                self.save_settings(chosen_units=sorted(CURVE_UNIT_PARAMETERS - self._auto_units))
            self.save_settings(parameters=event.values)
        self._schedule_check()

    def _schedule_check(self) -> None:
        self.run_worker(self._check, group="check", exclusive=True)

    async def _check(self) -> None:
        request = self._request()
        if request is None:
            self.check = None
            return
        try:
            check = await self.invoke("check_udf_request", {"request": request}, quiet=True)
        except Exception as exc:  # InvokeError: the request itself is malformed
            check = UdfCheck(ok=False, error=str(exc))
        udf = self._udfs[request["udf_id"]]
        missing = [s.name for s in udf.inputs if not s.aliases and s.name not in (request["inputs"] or {})]
        if missing and not check.param_errors:  # in the form's words, not the API's overrides={...}
            check = check.model_copy(update={"ok": False, "error": f"choose the curve for input '{missing[0]}' above"})
        self.check = check

    def watch_check(self, check: UdfCheck | None) -> None:
        self._show_matches(check)
        forms = self.query(ParamsForm)
        if forms:
            forms.first().show_errors(check.param_errors if check else {})
            if check is not None and check.ok:
                for name in self._auto_units & set(check.parameters):  # as the curve says
                    forms.first().show_value(name, check.parameters[name])
        message: str | Content = ""
        if check is not None and not check.ok:
            fields = set(forms.first().properties) if forms else set()
            # errors about no one field (gr_shale must exceed gr_clean) have no field to sit under
            loose = [humanize(m, forms.first().properties) for k, m in check.param_errors.items()
                     if k not in fields]
            lines = ([check.error] if check.error else []) + loose
            message = Content("\n".join(f"⚠ {m}" for m in lines if m) or (
                "⚠ fix the highlighted parameters" if check.param_errors else ""))
        elif check is not None:
            well = self._well_name()
            message = Content.from_markup(
                "[green]✓[/] will write [b]$output[/] ($unit)" + (" to well [b]$well[/]" if well else ""),
                output=check.output_mnemonic, unit=check.output_unit or "no unit", well=well or "")
        box = self.query_one("#udf-check", Static)
        box.update(message)
        box.set_class(check is not None and not check.ok, "-error")
        self._update_buttons()

    def _show_matches(self, check: UdfCheck | None) -> None:
        """Under each input left on "auto", the curve the backend matched ("→ GR_1"), or
        that none matches: auto must never hide which curve a run will read."""
        udf = self._udfs.get(self.udf_id or "")
        if udf is None:
            return
        names = {c.id: c.mnemonic for c in self._curves}
        for spec in udf.inputs:
            select = next(iter(self.query(f"#input-{spec.name}").results(Select)), None)
            labels = select.parent.query(Label) if select is not None and select.parent is not None else ()
            if not spec.aliases or not labels:  # not an auto input, or its row is being rebuilt
                continue
            label = labels.first()
            matched = (check.inputs if check else {}).get(spec.name)
            if select.value != _AUTO or check is None:
                label.update(Content(_input_hint(spec)))
            elif matched in names:
                label.update(Content.assemble(_input_hint(spec), "\n", (f"→ {names[matched]}", "dim")))
            elif spec.name in check.input_errors:
                label.update(Content.assemble(_input_hint(spec), "\n", ("→ no match", "red")))

    # ---- running ----------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.execution_id is not None
        self.query_one("#udf-run", Button).disabled = running or not (self.check and self.check.ok)
        self.query_one("#udf-cancel", Button).disabled = not running

    def watch_execution_id(self) -> None:
        self._update_buttons()

    @on(Button.Pressed, "#udf-run")
    async def action_run(self) -> None:
        request = self._request()
        if request is None or not (self.check and self.check.ok) or self.execution_id is not None:
            if self.check is not None and not self.check.ok:
                self.show_error("The request is not valid yet: see the messages in the form.")
            return
        result = await self.try_invoke("execute_udf", {"request": request})
        if result is None:
            return
        self.execution_id = result.execution_id
        self.save_settings(execution=result.execution_id)  # found again if the pane is rebuilt
        self.query_one("#udf-progress", ProgressBar).update(total=1.0, progress=0.0)
        self._status(Content(f"⚙ {result.execution_id} running…"))
        early = self._early_ends.pop(result.execution_id, None)
        if early is not None:  # it finished before execute_udf had even answered
            self._on_end(early)

    @on(Button.Pressed, "#udf-cancel")
    async def action_cancel(self) -> None:
        if self.execution_id is None:
            self.notify("Nothing is running in this pane.", title=self.TITLE, timeout=3)
            return
        await self.try_invoke("cancel_execution", {"executionId": self.execution_id})

    def _on_progress(self, event) -> None:
        payload = event.payload
        if payload["id"] != self.execution_id:
            return
        self.query_one("#udf-progress", ProgressBar).update(progress=payload["fraction"])
        self._status(Content(f"⚙ {payload['id']}: {payload.get('message') or ''} {payload['fraction']:.0%}"))

    def _on_end(self, event) -> None:
        payload = event.payload
        if payload["id"] != self.execution_id:
            if self.execution_id is None:  # maybe ours, with execute_udf's answer still on its way
                self._early_ends[payload["id"]] = event
                while len(self._early_ends) > 8:
                    self._early_ends.pop(next(iter(self._early_ends)))
            return
        self.execution_id = None
        self.save_settings(execution=None)
        end = event.event.removeprefix("execution-")
        bar = self.query_one("#udf-progress", ProgressBar)
        if end == "complete":
            bar.update(progress=1.0)
            curve = (payload.get("result") or {}).get("curve")
            self._status(Content.from_markup("[green]✓ done[/]: saved $name", name=curve["mnemonic"])
                         if curve else "[green]✓ done[/]")
        elif end == "failed":
            bar.update(progress=0.0)
            self._status(Content.from_markup("[red]✗ failed[/]: $error", error=str(payload.get("error"))))
            self.show_error(f"UDF failed: {payload.get('error')}")
        else:
            bar.update(progress=0.0)
            self._status("[yellow]cancelled[/]: nothing was saved")

    def _well_name(self) -> str | None:
        """The selected well's name (the run's target), from the curves loaded for it."""
        return self._well.name if getattr(self, "_well", None) is not None else None

    def _status(self, text: str | Content) -> None:
        """Markup in a str (fixed words only); anything from data comes as `Content`."""
        self.query_one("#udf-status", Static).update(text)

    def palette_commands(self) -> list:
        from textual.app import SystemCommand

        return [SystemCommand(f"Run UDF ({self.pane_id})", "Run the UDF on the selected well",
                              self.action_run),
                SystemCommand(f"Cancel UDF run ({self.pane_id})", "Stop the running UDF",
                              self.action_cancel)]


def _input_hint(spec: Any) -> str:
    """'GR (GR, GAMMA, SGR, CGR)': an input's name and the first mnemonics it matches."""
    return spec.name + (f" ({', '.join(spec.aliases[:4])})" if spec.aliases else "")
