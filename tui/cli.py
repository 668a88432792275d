"""`dataforge` — start the terminal app, or run one backend operation from the shell.

Subcommands never load Textual; only starting the app does. Errors are one clear
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .words import count

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose epilog can be computed when help is asked for
    (`epilog_fn`): the list of invokable commands costs an import nobody else needs."""

    def __init__(self, *args: Any, epilog_fn: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog_fn = epilog_fn

    def format_help(self) -> str:
        if self.epilog_fn is not None:
            self.epilog = self.epilog_fn()
        return super().format_help()


DEFAULT_WORKSPACE_HELP = ("workspace name, created if missing (default: the oldest workspace, "
                          "which is 'Demo' in a new data dir)")
DEMO_HELP = ("add a workspace with three synthetic demo wells, named 'Demo' (or 'Demo 2', "
             "'Demo 3', ... if taken); existing data is kept")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dataforge",
        description="DataForge Compute: a terminal well-log workbench on a Tauri-style state-sync core.",
    )
    p.add_argument("--data-dir", metavar="DIR",
                   help="data directory (default: $DATAFORGE_DATA_DIR or the user data dir)")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("run", help="start the terminal app (the default)")
    imp = sub.add_parser("import", help="import LAS files as wells",
                         description="Import LAS files as wells, each into the workspace given "
                                     "with --workspace, or else the oldest workspace ('Demo' in a "
                                     "new data dir). Each imported well is reported with its workspace.")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--workspace", metavar="NAME", help=DEFAULT_WORKSPACE_HELP)
    exp = sub.add_parser("export", help="export a well to LAS 2.0",
                         description="Export a well to a LAS 2.0 file. An existing FILE is left "
                                     "alone unless --force is given.")
    exp.add_argument("well", metavar="WELL", help="well id or name (give the id if two wells share the name)")
    exp.add_argument("file", metavar="FILE", help="the LAS file to write (must not exist, unless --force)")
    exp.add_argument("--curves", metavar="MNEMONICS", help="comma-separated curves (default: all)")
    exp.add_argument("--force", action="store_true", help="overwrite FILE if it already exists")
    inv = sub.add_parser("invoke", help="invoke any command; JSON result on stdout",
                         description="Invoke one backend command with JSON args; the result is\n"
                                     "printed as JSON. Without COMMAND, list the commands.",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog_fn=commands_help)
    inv.add_argument("command", nargs="?", metavar="COMMAND", help="one of the commands below")
    inv.add_argument("args", nargs="?", default="{}", metavar="JSON_ARGS",
                     help='the args as a JSON object, e.g. \'{"workspaceId": 1}\' (default: {})')
    inv.add_argument("--no-wait", action="store_true",
                     help="execute_udf: return the execution id without waiting")
    sub.add_parser("schema", help="JSON Schema of every command and event")
    sub.add_parser("demo", help=DEMO_HELP, description=DEMO_HELP[0].upper() + DEMO_HELP[1:] + ".")
    shots = sub.add_parser("screenshots", help="write SVG screenshots of the main screens")
    shots.add_argument("--out", default="screenshots", metavar="DIR")
    return p


def _command_specs() -> dict[str, Any]:
    """The commands `dataforge invoke` can call: those `build_app` registers, without opening a data dir."""
    from core._commands import get_spec
    from core.dataforge.commands import COMMANDS

    return {spec.name: spec for spec in map(get_spec, COMMANDS)}


def commands_help() -> str:
    """The epilog of `dataforge invoke --help`: every command, its JSON keys and what it does."""
    lines = ["commands (JSON keys; [optional]):"]
    specs = _command_specs()
    width = max(map(len, specs))
    for name in sorted(specs):
        spec = specs[name]
        keys = ", ".join(a.camel if a.required else f"[{a.camel}]" for a in spec.args) or "-"
        doc = spec.doc.splitlines()[0] if spec.doc else ""
        lines.append(f"  {name:<{width}}  {keys}" + (f"  — {doc}" if doc else ""))
    lines.append("")
    lines.append("`dataforge schema` gives the JSON Schema of every command's args and result.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.data_dir:
        os.environ["DATAFORGE_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    cmd = args.cmd or "run"
    if cmd == "invoke" and args.command is None:  # `dataforge invoke`: what can I invoke?
        parser.parse_args(["invoke", "--help"])  # prints the help with the commands, exits 0
    try:
        if cmd == "run":
            return _run_app()
        if cmd == "screenshots":
            from .screenshots import write_screenshots

            for path in write_screenshots(Path(args.out)):
                print(path)
            return 0
        return asyncio.run(_backend_command(cmd, args))
    except KeyboardInterrupt:
        return 130
    except _CliError as exc:
        print(f"dataforge: {exc}", file=sys.stderr)
        return EXIT_ERROR


class _CliError(Exception):
    pass


def _run_app() -> int:
    from .app import DataForgeApp

    app = DataForgeApp()
    app.run()
    return app.return_code or 0


async def _backend_command(cmd: str, args: argparse.Namespace) -> int:
    from core import InvokeError
    from core.dataforge.app import build_app, close_app

    try:
        app = build_app(demo=cmd != "demo", watch=False)
    except Exception as exc:
        raise _CliError(f"cannot open the data dir: {exc}") from exc
    app.bind()  # events from worker threads (UDF runs) are delivered on this loop
    try:
        return await _dispatch(cmd, args, app)
    except InvokeError as exc:
        raise _CliError(str(exc)) from exc
    finally:
        close_app(app)


async def _dispatch(cmd: str, args: argparse.Namespace, app) -> int:
    from core.dataforge.schema import app_schema, to_jsonable

    if cmd == "schema":
        print(json.dumps(app_schema(app), indent=2))
        return 0
    if cmd == "demo":
        from core.dataforge.context import DataForge
        from core.dataforge.demo import create_demo

        df = app.state(DataForge)
        before = {w.id for w in df.db.list_workspaces()}
        ws = await asyncio.to_thread(create_demo, df.db)
        print(f"created workspace {ws.name!r} (id {ws.id}) with {ws.well_count} demo wells")
        for other in df.db.list_workspaces():
            if other.id not in before and other.id != ws.id:
                print(f"created workspace {other.name!r} (id {other.id}) with "
                      f"{other.well_count} sample wells")
        return 0
    if cmd == "import":
        return await _import(app, args)
    if cmd == "export":
        return await _export(app, args)
    if cmd == "invoke":
        try:
            payload = json.loads(args.args)
        except json.JSONDecodeError as exc:
            raise _CliError(f"JSON_ARGS is not valid JSON: {exc.msg} at column {exc.colno}") from exc
        result = await app.invoke(args.command, payload)  # an unknown name says "did you mean"
        if args.command == "execute_udf" and not args.no_wait:
            result = await _follow_execution(app, result.execution_id)
        print(json.dumps(to_jsonable(result), indent=2))
        return 0
    raise _CliError(f"unknown command {cmd!r}")


async def _workspace_id(app, name: str | None) -> int | None:
    if name is None:
        return None
    workspaces = await app.invoke("list_workspaces")
    for ws in workspaces:  # the exact name, else the same name in other case (demo -> Demo)
        if ws.name == name.strip():
            return ws.id
    for ws in workspaces:
        if ws.name.lower() == name.strip().lower():
            return ws.id
    return (await app.invoke("create_workspace", {"name": name})).id


async def _workspace_names(app) -> dict[int, str]:
    return {ws.id: ws.name for ws in await app.invoke("list_workspaces")}


async def _import(app, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from core import InvokeError

    console = Console(stderr=True)
    ws = await _workspace_id(app, args.workspace)
    failures = 0
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        job = bar.add_task("importing", total=len(args.files))
        for file in args.files:
            bar.update(job, description=f"importing {Path(file).name}")
            try:
                res = await app.invoke("import_las", {"path": str(Path(file).resolve()),
                                                      "workspaceId": ws})
            except InvokeError as exc:
                failures += 1
                console.print(f"[red]✗[/] {exc}", highlight=False, soft_wrap=True)
            else:
                ws_id = res.well.workspace_id
                ws_name = (await _workspace_names(app)).get(ws_id, "?")
                default = "" if args.workspace is not None else ", the default"
                console.print(f"[green]✓[/] {Path(file).name}: well {res.well.name!r} "
                              f"(id {res.well.id}), {count(len(res.curves), 'curve')}, in workspace "
                              f"{ws_name!r} (id {ws_id}{default})", highlight=False, soft_wrap=True)
                for warning in res.warnings:
                    console.print(f"  [yellow]![/] {warning}", highlight=False)
            bar.advance(job)
    return EXIT_ERROR if failures else 0


async def _export(app, args: argparse.Namespace) -> int:
    from core.dataforge.las_io import las_mnemonics

    well = await _find_well(app, args.well)
    curves = await app.invoke("list_curves", {"wellId": well.id})
    exported = curves
    if args.curves:
        wanted = [m.strip().upper() for m in args.curves.split(",") if m.strip()]
        by_name = {c.mnemonic.upper(): c for c in curves}
        missing = [m for m in wanted if m not in by_name]
        if missing:
            raise _CliError(f"well {well.name!r} has no curve(s) {', '.join(missing)}; "
                            f"it has {', '.join(sorted(by_name))}")
        exported = [by_name[m] for m in wanted]
    target = Path(args.file).resolve()
    if os.path.lexists(target) and not args.force:  # said with the way out; the export checks again
        what = "is a folder" if target.is_dir() else "already exists"
        hint = "" if target.is_dir() else "; use --force to overwrite it"
        raise _CliError(f"{target} {what}: not exported{hint}")
    out = await app.invoke("export_las", {"wellId": well.id, "path": str(target), "overwrite": bool(args.force),
                                          "curveIds": [c.id for c in exported] if args.curves else None})
    names = [c.mnemonic for c in exported]
    for name, written in zip(names, las_mnemonics(names)):
        if name != written:  # said, not silent: a LAS mnemonic ends at '.', ':' or a space
            print(f"dataforge: {name} written as {written} (a LAS mnemonic cannot hold "
                  f"'.', ':' or spaces)", file=sys.stderr)
    print(out)
    return 0


async def _find_well(app, ref: str):
    wells = []
    for ws in await app.invoke("list_workspaces"):
        wells += await app.invoke("list_wells", {"workspaceId": ws.id})
    for w in wells:
        if str(w.id) == ref:  # an id wins over a well named like one
            return w
    named = [w for w in wells if w.name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(str(w.id) for w in sorted(named, key=lambda w: w.id))
        raise _CliError(f"{len(named)} wells are named {ref!r} (ids {ids}): give the id")
    names = ", ".join(f"{w.id}:{w.name}" for w in wells[:20])
    raise _CliError(f"no well {ref!r}; wells are {names}")


async def _follow_execution(app, execution_id: str) -> Any:
    from rich.console import Console
    from rich.progress import Progress

    from core.tasks import TaskManager

    tasks = app.state(TaskManager)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        job = bar.add_task(execution_id, total=1.0)
        app.listen("execution-progress", lambda ev: ev.payload["id"] == execution_id and bar.update(
            job, completed=ev.payload["fraction"], description=ev.payload.get("message") or ""))
        info = await tasks.wait(execution_id)
    if info.state == "failed":
        raise _CliError(f"execution {execution_id} failed: {info.error}")
    if info.state == "cancelled":
        raise _CliError(f"execution {execution_id} was cancelled")
    return {"execution_id": execution_id, "state": info.state, **(tasks.result(execution_id) or {})}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
