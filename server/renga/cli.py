"""renga: Claude's inline completions, code actions and refactors as a language server.

Commands: serve (the language server editors start), complete (the suggestion at a cursor),
context (the request a completion would send, offline), doctor (check the setup), usage
(tokens, spend and acceptance).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from renga import __version__

if TYPE_CHECKING:
    from renga.config import Settings


# Exit codes of `renga complete` and `renga context`, one table for --help and the README.
EXIT_OK = 0  # printed the suggestion (complete) or the request (context)
EXIT_NO_SUGGESTION = 1  # the model had nothing to add at that cursor
EXIT_USAGE = 2  # bad arguments, an unreadable file, a position outside the file
EXIT_NOT_CONFIGURED = 3  # credentials missing: nothing was sent
EXIT_MODEL_ERROR = 4  # the model service answered with an error (key rejected, rate limit, ...)
EXIT_EXCLUDED = 5  # the file is excluded by the privacy settings: nothing was sent
EXIT_UNREACHABLE = 6  # the model service could not be reached (connection refused, timeout)

EXIT_CODES = """exit codes:
  0  printed the suggestion (complete) or the request (context)
  1  the model had no suggestion at that cursor
  2  bad arguments, an unreadable file, or a position outside the file
  3  credentials missing (e.g. ANTHROPIC_API_KEY): nothing was sent
  4  the model service answered with an error (key rejected, rate limited, model not found, ...)
  5  the file is excluded by the privacy settings: nothing was sent
  6  the model service could not be reached (connection refused, DNS, timeout)"""


def _redact(value: str) -> str:
    return value[:7] + "…" + value[-4:] if len(value) > 16 else "***"


def cmd_serve(args: argparse.Namespace) -> int:
    from renga.server import serve

    serve(tcp=args.tcp)
    return 0


def _service(settings: Settings) -> str:
    """Where model requests go, in words for an error message."""
    if settings.provider == "bedrock":
        return f"Amazon Bedrock (region {settings.aws_region or os.environ.get('AWS_REGION', '?')})"
    if settings.provider == "vertex":
        region = settings.vertex_region or os.environ.get("CLOUD_ML_REGION", "?")
        return f"Vertex AI (region {region})"
    url = settings.base_url or os.environ.get("ANTHROPIC_BASE_URL")
    return url if url else "https://api.anthropic.com (the default; ANTHROPIC_BASE_URL changes it)"


def cmd_complete(args: argparse.Namespace) -> int:
    from renga.config import from_env
    from renga.model.credentials import credentials_problem
    from renga.syntax.files import Skipped, read_source

    settings, errors = from_env()
    for error in errors:
        print(f"renga: ignoring invalid environment setting: {error}", file=sys.stderr)
    path = Path(args.file)
    source = read_source(path, settings.context.max_file_bytes)
    if isinstance(source, Skipped):
        print(f"renga: cannot read {path}: {source.reason}", file=sys.stderr)
        return EXIT_USAGE
    # Before the SDK is imported (most of a second): a missing key is reported at once.
    problem = credentials_problem(settings)
    if problem:
        print(f"renga: cannot complete: {problem}.", file=sys.stderr)
        print("Run `renga doctor` for the whole configuration.", file=sys.stderr)
        return EXIT_NOT_CONFIGURED
    text = source.text
    from renga.completion.pipeline import complete
    from renga.cost import CostGate
    from renga.model.client import ModelClient
    from renga.model.errors import Failure, ModelError
    from renga.privacy import Privacy, redact_body
    from renga.syntax.document import Document
    from renga.syntax.languages import registry
    from renga.usage import Ledger

    if Privacy([Path.cwd()], settings).excluded(str(path.resolve())):
        print(f"renga: {path} is excluded by the privacy settings; nothing sent", file=sys.stderr)
        return EXIT_EXCLUDED
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
    language = registry().for_document(None, path)
    doc = Document(path.resolve().as_uri(), text, language=language, encoding="utf-16")
    offset = doc.offset_at(args.line, args.character)

    async def run() -> int:
        try:
            suggestion = await complete(doc, offset, settings, model)
        except ModelError as exc:
            if exc.failure in (Failure.CONNECTION, Failure.TIMEOUT):
                print(
                    f"renga: no answer from the model service at {_service(settings)}: {exc}",
                    file=sys.stderr,
                )
                return EXIT_UNREACHABLE
            print(f"renga: the model call to {_service(settings)} failed: {exc}", file=sys.stderr)
            return EXIT_MODEL_ERROR
        finally:
            await model.aclose()
        if suggestion is None:
            print("renga: the model had no suggestion here", file=sys.stderr)
            return EXIT_NO_SUGGESTION
        sys.stdout.write(suggestion.text + ("\n" if not suggestion.text.endswith("\n") else ""))
        return EXIT_OK

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
    parser = argparse.ArgumentParser(
        prog="renga",
        description=__doc__,
        epilog="Exit codes of complete and context:\n" + EXIT_CODES.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"renga {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser(
        "serve",
        help="run the language server (stdio by default)",
        description="Run the language server. Editors start this themselves; credentials come "
        "from its environment (ANTHROPIC_API_KEY).",
    )
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.set_defaults(func=cmd_serve)

    complete = sub.add_parser(
        "complete",
        help="print the inline suggestion at a cursor",
        description=(
            "Print the inline suggestion the server would show at a cursor (0-based line and\n"
            "character, as in LSP), asking the model as an editor would. Needs ANTHROPIC_API_KEY\n"
            "(or another provider's credentials); ANTHROPIC_BASE_URL and the RENGA_* variables\n"
            "of the README's configuration table apply."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    complete.add_argument("file", help="the source file")
    complete.add_argument("--line", type=int, required=True, help="0-based line")
    complete.add_argument("--character", type=int, required=True, help="0-based UTF-16 column")
    complete.set_defaults(func=cmd_complete)

    context = sub.add_parser(
        "context",
        help="print the request an inline completion at a cursor would send (offline)",
        description=(
            "Print the exact Messages API body an inline completion at a cursor would send,\n"
            "without sending it (no key needed)."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    context.add_argument("file", help="the source file")
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
