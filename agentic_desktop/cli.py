"""Command-line interface. Parses arguments and runs commands against wired `Services`.

Exit codes: 0 success, 1 a run failed, 2 invalid input (bad flag, file, workflow, symbol).
Every error is one line naming the place and the fix; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import NotFoundError, UserError, ValidationError
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.services import Services

EXIT_OK, EXIT_RUN_FAILED, EXIT_INVALID = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="agentic-desktop",
                     description="Build, schedule and run trading workflows on your machine.")
    parser.add_argument("--data-dir", help="where the database, logs and token live "
                        "(default: $AGENTIC_DESKTOP_HOME or the platform's user data dir)")
    parser.add_argument("--headless", action="store_true",
                        help="run the scheduler, workers and local API without a window")
    parser.add_argument("--api-port", type=int, help="local API port (default 8000)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    run = sub.add_parser("run", help="run a workflow now (manual trigger)")
    run.add_argument("workflow", help="a workflow JSON file or a stored workflow id")
    run.add_argument("--json", action="store_true", help="print the result as JSON")

    validate = sub.add_parser("validate", help="check a workflow file")
    validate.add_argument("file")

    nodes = sub.add_parser("nodes", help="list the node catalog")
    nodes.add_argument("--json", action="store_true")

    workflows = sub.add_parser("workflows", help="manage stored workflows")
    wsub = workflows.add_subparsers(dest="action", required=True, parser_class=_Parser,
                                    metavar="ACTION")
    wlist = wsub.add_parser("list", help="list stored workflows")
    wlist.add_argument("--json", action="store_true")
    wimport = wsub.add_parser("import", help="store a workflow file")
    wimport.add_argument("file")
    wexport = wsub.add_parser("export", help="write a stored workflow as JSON")
    wexport.add_argument("id", type=int)
    wexport.add_argument("file", nargs="?", help="output file (default: stdout)")

    candles = sub.add_parser("import-candles", help="import OHLCV candles from a CSV file")
    candles.add_argument("csv")
    candles.add_argument("--symbol", required=True)
    candles.add_argument("--timeframe", required=True, help="M1 M5 M15 M30 H1 H4 D1 W1")
    candles.add_argument("--tz", default=None,
                         help="time zone of naive times in the file (default UTC)")

    sub.add_parser("api-token", help="print the local API's bearer token")

    account = sub.add_parser("account", help="show the paper account")
    account.add_argument("--json", action="store_true")
    return parser


def fail(message: str, code: int = EXIT_INVALID) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def dispatch(args: argparse.Namespace, services: Services) -> int:
    handlers = {
        "run": cmd_run, "validate": cmd_validate, "nodes": cmd_nodes,
        "workflows": cmd_workflows, "import-candles": cmd_import_candles,
        "account": cmd_account,
    }
    return handlers[args.command](args, services)


def _load_file(path_text: str) -> wf.Workflow:
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"{path_text}: no such file; give a workflow JSON file or a stored id")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"{path_text}: cannot read it ({exc}); is it a workflow JSON file?") from None
    return wf.loads(text, source=path_text)


def _resolve_workflow(ref: str, services: Services) -> tuple[wf.Workflow, int | None]:
    if ref.isdigit() and not Path(ref).exists():
        stored = services.workflows.get(int(ref))
        return stored.workflow, stored.id
    return _load_file(ref), None


def _print_problems(source: str, exc: ValidationError) -> None:
    for problem in exc.problems:
        print(f"error: {source}: {problem}", file=sys.stderr)


def cmd_run(args: argparse.Namespace, services: Services) -> int:
    workflow, workflow_id = _resolve_workflow(args.workflow, services)
    try:
        result = asyncio.run(services.executor.run(workflow, workflow_id=workflow_id))
    except ValidationError as exc:
        _print_problems(args.workflow, exc)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_result(result)
    return EXIT_OK if result.ok else EXIT_RUN_FAILED


def _print_result(result: ExecutionResult) -> None:
    print(f"{result.workflow_name}: {result.status} in {result.metrics.total_time_ms:.1f} ms")
    width = max((len(r.node_id) for r in result.node_runs), default=4)
    for run in result.node_runs:
        detail = run.error or run.skip_reason or _brief(run.output_summary)
        print(f"  {run.node_id:<{width}}  {run.status:<9} {run.duration_ms:8.2f} ms  {detail}")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)


def _brief(outputs: dict[str, Any]) -> str:
    parts = []
    for key, value in outputs.items():
        if isinstance(value, dict):
            value = value.get("last", value.get("status", value.get("last_close", "…")))
        parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= 100 else text[:97] + "..."


def cmd_validate(args: argparse.Namespace, services: Services) -> int:
    workflow = _load_file(args.file)
    symbols = frozenset(s.symbol for s in services.market.symbols())
    problems = wf.validate(workflow, services.catalog, symbols=symbols)
    if problems:
        for problem in problems:
            print(f"error: {args.file}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.file}: valid ({len(workflow.nodes)} nodes, {len(workflow.edges)} edges)")
    return EXIT_OK


def cmd_nodes(args: argparse.Namespace, services: Services) -> int:
    specs = services.catalog.specs()
    if args.json:
        print(json.dumps([s.to_json() for s in specs], indent=2))
        return EXIT_OK
    category = None
    for spec in specs:
        if spec.category != category:
            category = spec.category
            count = sum(s.category == category for s in specs)
            print(f"\n{category} ({count})")
        params = ", ".join(f"{p.name}={p.default!r}" if p.default is not None else p.name
                           for p in spec.params)
        print(f"  {spec.type_id:<24} {spec.title:<20} {params}")
    print(f"\n{len(specs)} nodes")
    return EXIT_OK


def cmd_workflows(args: argparse.Namespace, services: Services) -> int:
    if args.action == "list":
        stored = services.workflows.list()
        if args.json:
            print(json.dumps([{"id": s.id, "name": s.workflow.name,
                               "nodes": len(s.workflow.nodes),
                               "updated_at": s.updated_at.isoformat()} for s in stored],
                             indent=2))
        elif not stored:
            print("no workflows stored: add one with `agentic-desktop workflows import FILE`")
        else:
            for s in stored:
                print(f"{s.id:>4}  {s.workflow.name:<32} {len(s.workflow.nodes):>3} nodes  "
                      f"updated {s.updated_at:%Y-%m-%d %H:%M}")
        return EXIT_OK
    if args.action == "import":
        workflow = _load_file(args.file)
        try:
            wf.require_valid(workflow, services.catalog)
        except ValidationError as exc:
            _print_problems(args.file, exc)
            return EXIT_INVALID
        stored = services.workflows.add(workflow)
        print(f"imported {workflow.name!r} as workflow {stored.id}")
        return EXIT_OK
    stored = services.workflows.get(args.id)
    text = stored.workflow.dumps() + "\n"
    if args.file:
        target = Path(args.file)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{args.file}: cannot write ({exc.strerror})") from None
        print(f"exported workflow {stored.id} to {args.file}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_import_candles(args: argparse.Namespace, services: Services) -> int:
    from agentic_desktop.market.csv_import import import_candles_csv

    count = import_candles_csv(Path(args.csv), symbol=args.symbol, timeframe=args.timeframe,
                               repository=services.candles, tz=args.tz)
    print(f"imported {count} {args.symbol} {args.timeframe} candles from {args.csv}")
    return EXIT_OK


def cmd_account(args: argparse.Namespace, services: Services) -> int:
    async def gather() -> tuple[Any, Any]:
        return await services.broker.account(), await services.broker.recent_orders(10)

    account, orders = asyncio.run(gather())
    if args.json:
        from agentic_desktop.engine.summary import summarize

        print(json.dumps({"account": summarize(account),
                          "positions": [summarize(p) for p in account.positions],
                          "orders": [summarize(o) for o in orders]}, indent=2))
        return EXIT_OK
    print(f"Paper account ({account.currency})")
    print(f"  balance {account.balance:,.2f}   equity {account.equity:,.2f}   "
          f"margin {account.margin:,.2f}   free {account.free_margin:,.2f}")
    print(f"\nOpen positions ({len(account.positions)})")
    for p in account.positions:
        print(f"  #{p.id:<4} {p.symbol:<8} {p.side:<4} {p.volume:>8g} @ {p.open_price:<10g} "
              f"SL {p.stop_loss or '-'}  TP {p.take_profit or '-'}  P/L {p.unrealized_pnl:,.2f}")
    if not account.positions:
        print("  none")
    print(f"\nRecent orders ({len(orders)})")
    for o in orders:
        price = f"@ {o.fill_price:g}" if o.fill_price is not None else ""
        print(f"  #{o.id:<4} {o.created_at:%Y-%m-%d %H:%M} {o.symbol:<8} {o.side:<4} "
              f"{o.type:<6} {o.volume:>8g} {o.status:<9} {price} {o.reason}")
    if not orders:
        print("  none")
    return EXIT_OK


def guarded(fn: Any, *args: Any) -> int:
    """Run a command; turn user errors into one line and exit code 2."""
    try:
        code: int = fn(*args)
        return code
    except NotFoundError as exc:
        return fail(str(exc))
    except ValidationError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    except UserError as exc:
        return fail(str(exc))
