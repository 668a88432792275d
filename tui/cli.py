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

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dataforge",
        description="DataForge Compute: a terminal well-log workbench on a Tauri-style state-sync core.",
    )
    p.add_argument("--data-dir", metavar="DIR",
                   help="data directory (default: $DATAFORGE_DATA_DIR or the user data dir)")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.add_parser("run", help="start the terminal app (the default)")
    imp = sub.add_parser("import", help="import LAS files as wells")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--workspace", metavar="NAME", help="workspace name (created if missing)")
    exp = sub.add_parser("export", help="export a well to LAS 2.0")
    exp.add_argument("well", metavar="WELL", help="well id or name")
    exp.add_argument("file", metavar="FILE")
    exp.add_argument("--curves", metavar="MNEMONICS", help="comma-separated curves (default: all)")
    inv = sub.add_parser("invoke", help="invoke any command; JSON result on stdout")
    inv.add_argument("command", metavar="COMMAND")
    inv.add_argument("args", nargs="?", default="{}", metavar="JSON_ARGS")
    inv.add_argument("--no-wait", action="store_true",
                     help="execute_udf: return the execution id without waiting")
    sub.add_parser("schema", help="JSON Schema of every command and event")
    sub.add_parser("demo", help="recreate the demo data")
    shots = sub.add_parser("screenshots", help="write SVG screenshots of the main screens")
    shots.add_argument("--out", default="screenshots", metavar="DIR")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.data_dir:
        os.environ["DATAFORGE_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    cmd = args.cmd or "run"
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
    app.bus.bind()  # events from worker threads (UDF runs) are delivered on this loop
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
        ws = await asyncio.to_thread(create_demo, df.db)
        print(f"demo data created in workspace {ws}")
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
        result = await app.invoke(args.command, payload)
        if args.command == "execute_udf" and not args.no_wait:
            result = await _follow_execution(app, result.execution_id)
        print(json.dumps(to_jsonable(result), indent=2))
        return 0
    raise _CliError(f"unknown command {cmd!r}")


async def _workspace_id(app, name: str | None) -> int | None:
    if name is None:
        return None
    for ws in await app.invoke("list_workspaces"):
        if ws.name == name:
            return ws.id
    return (await app.invoke("create_workspace", {"name": name})).id


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
                console.print(f"[red]✗[/] {exc}", highlight=False)
            else:
                console.print(f"[green]✓[/] {Path(file).name}: well {res.well.name!r} "
                              f"(id {res.well.id}), {len(res.curves)} curves", highlight=False)
                for warning in res.warnings:
                    console.print(f"  [yellow]![/] {warning}", highlight=False)
            bar.advance(job)
    return EXIT_ERROR if failures else 0


async def _export(app, args: argparse.Namespace) -> int:
    well = await _find_well(app, args.well)
    curve_ids = None
    if args.curves:
        wanted = [m.strip().upper() for m in args.curves.split(",") if m.strip()]
        curves = {c.mnemonic.upper(): c.id for c in await app.invoke("list_curves", {"wellId": well.id})}
        missing = [m for m in wanted if m not in curves]
        if missing:
            raise _CliError(f"well {well.name!r} has no curve(s) {', '.join(missing)}; "
                            f"it has {', '.join(sorted(curves))}")
        curve_ids = [curves[m] for m in wanted]
    out = await app.invoke("export_las", {"wellId": well.id, "path": str(Path(args.file).resolve()),
                                          "curveIds": curve_ids})
    print(out)
    return 0


async def _find_well(app, ref: str):
    wells = []
    for ws in await app.invoke("list_workspaces"):
        wells += await app.invoke("list_wells", {"workspaceId": ws.id})
    for w in wells:
        if str(w.id) == ref or w.name == ref:
            return w
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
