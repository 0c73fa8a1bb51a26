"""The ``renga`` command: serve, complete, doctor, and (later) context and usage."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from renga import __version__


def _redact(value: str) -> str:
    return value[:7] + "…" + value[-4:] if len(value) > 16 else "***"


def cmd_serve(args: argparse.Namespace) -> int:
    from renga.server import serve

    serve(tcp=args.tcp)
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    from renga.config import from_env
    from renga.syntax.document import Document
    from renga.syntax.files import Skipped, read_source
    from renga.syntax.languages import registry

    settings, errors = from_env()
    for error in errors:
        print(f"renga: ignoring invalid environment setting: {error}", file=sys.stderr)
    path = Path(args.file)
    source = read_source(path, settings.context.max_file_bytes)
    if isinstance(source, Skipped):
        print(f"renga: cannot read {path}: {source.reason}", file=sys.stderr)
        return 2
    text = source.text
    from renga.completion.pipeline import complete
    from renga.cost import CostGate
    from renga.model.client import ModelClient
    from renga.model.errors import ModelError
    from renga.privacy import Privacy, redact_body
    from renga.usage import Ledger

    # The name given counts as well as the file it is: renga.privacy resolves links itself.
    if Privacy([Path.cwd()], settings).excluded(str(path.absolute())):
        print(f"renga: {path} is excluded by the privacy settings; nothing sent", file=sys.stderr)
        return 1
    ledger = Ledger()

    def redactor(body: dict[str, object]) -> None:
        if settings.privacy.redact_secrets:
            redact_body(body)

    model = ModelClient(
        settings,
        on_usage=ledger.record,
        redactor=redactor,
        gate=CostGate(lambda: settings, ledger.spend_today).check,
    )
    problem = model.problem()
    if problem:
        print(f"renga: cannot complete: {problem}.", file=sys.stderr)
        print("Run `renga doctor` for the whole configuration.", file=sys.stderr)
        return 3
    language = registry().for_document(None, path)
    doc = Document(path.resolve().as_uri(), text, language=language, encoding="utf-16")
    offset = doc.offset_at(args.line, args.character)

    async def run() -> int:
        try:
            suggestion = await complete(doc, offset, settings, model)
        except ModelError as exc:
            print(f"renga: the model call failed: {exc}", file=sys.stderr)
            return 4
        finally:
            await model.aclose()
        if suggestion is None:
            print("renga: the model had no suggestion here", file=sys.stderr)
            return 1
        sys.stdout.write(suggestion.text + ("\n" if not suggestion.text.endswith("\n") else ""))
        return 0

    return asyncio.run(run())


def cmd_doctor(args: argparse.Namespace) -> int:
    from renga.config import from_env, to_wire
    from renga.model.client import ModelClient
    from renga.model.errors import ModelError
    from renga.model.request import ModelRequest
    from renga.syntax.languages import registry

    settings, errors = from_env()
    ok = True
    print(f"renga {__version__} (Python {sys.version.split()[0]})")
    print("\nConfiguration (defaults overlaid with environment variables):")
    print(json.dumps(to_wire(settings), indent=2))
    for error in errors:
        ok = False
        print(f"  invalid: {error}")
    print("\nCredentials:")
    for var in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "AWS_REGION",
        "CLOUD_ML_REGION",
        "ANTHROPIC_VERTEX_PROJECT_ID",
    ):
        value = os.environ.get(var)
        shown = (
            (_redact(value) if "KEY" in var or "TOKEN" in var else value) if value else "(not set)"
        )
        print(f"  {var}: {shown}")
    model = ModelClient(settings)
    print(f"\nProvider: {settings.provider}")
    print(f"  fast role:  {', '.join(model.models('fast'))}")
    print(f"  smart role: {', '.join(model.models('smart'))}")
    print("\nGrammars:")
    for name, installed in registry().installed().items():
        print(f"  {name}: {'installed' if installed else 'MISSING (grammar wheel not importable)'}")
    problem = model.problem()
    print("\nModel service:")
    if problem:
        print(f"  NOT CONFIGURED: {problem}")
        return 1

    async def probe() -> bool:
        request = ModelRequest(
            role="fast",
            feature="doctor",
            system=[],
            messages=[{"role": "user", "content": "ping"}],
            max_tokens=1,
            interactive=True,
        )
        try:
            if settings.provider == "bedrock":
                await model.create(request)
                print("  answers (a 1-token message)")
            else:
                tokens = await model.count_tokens(request)
                print(f"  answers (count_tokens: {tokens} tokens, a free call)")
            return True
        except ModelError as exc:
            print(f"  FAILED: {exc}")
            return False
        finally:
            await model.aclose()

    ok = asyncio.run(probe()) and ok
    return 0 if ok else 1


def cmd_context(args: argparse.Namespace) -> int:
    from renga.context.inspect import run

    return run(args.file, args.line, args.character, args.json, args.root)


def cmd_usage(args: argparse.Namespace) -> int:
    from renga.usage import Ledger

    ledger = Ledger()
    summary = ledger.periods()
    summary["spendTodayUsd"] = round(ledger.spend_today(), 6)
    summary["ledger"] = str(ledger.path)
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        from renga.usage import render_markdown

        sys.stdout.write(render_markdown({"periods": summary, "ledger": summary["ledger"]}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renga", description=__doc__)
    parser.add_argument("--version", action="version", version=f"renga {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.set_defaults(func=cmd_serve)

    complete = sub.add_parser("complete", help="print the inline suggestion at a cursor")
    complete.add_argument("file")
    complete.add_argument("--line", type=int, required=True, help="0-based line")
    complete.add_argument("--character", type=int, required=True, help="0-based UTF-16 column")
    complete.set_defaults(func=cmd_complete)

    context = sub.add_parser(
        "context", help="print the request an inline completion at a cursor would send (offline)"
    )
    context.add_argument("file")
    context.add_argument("--line", type=int, required=True, help="0-based line")
    context.add_argument("--character", type=int, required=True, help="0-based UTF-16 column")
    context.add_argument("--json", action="store_true", help="the body and what made it (meta)")
    context.add_argument("--root", help="the workspace folder (default: the nearest .git above)")
    context.set_defaults(func=cmd_context)

    doctor = sub.add_parser("doctor", help="check the configuration and the model service")
    doctor.set_defaults(func=cmd_doctor)

    usage = sub.add_parser(
        "usage", help="tokens, cost, acceptance and stage timings: today, 7 days, all time"
    )
    usage.add_argument("--json", action="store_true", help="machine-readable output")
    usage.set_defaults(func=cmd_usage)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
