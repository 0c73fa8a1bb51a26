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
from typing import TYPE_CHECKING, Any

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
    # First, and before the key: an excluded file is refused whatever else is set, unread.
    # The name given counts as well as the file it is: renga.privacy resolves links itself.
    from renga.privacy import Privacy

    if Privacy([Path.cwd()], settings).excluded(str(path.absolute())):
        print(f"renga: {path} is excluded by the privacy settings; nothing sent", file=sys.stderr)
        return EXIT_EXCLUDED
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
    from renga.privacy import redact_body
    from renga.syntax.document import Document
    from renga.syntax.languages import registry
    from renga.usage import Ledger

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
    print("\nGrammars:")
    for name, installed in registry().installed().items():
        print(f"  {name}: {'installed' if installed else 'MISSING (grammar wheel not importable)'}")
    problem = model.problem()
    if problem:
        _doctor_models(model, reachable=None)
        print("\nModel service:")
        print(f"  NOT CONFIGURED: {problem}")
        return 1

    async def lineup() -> list[dict[str, object]] | None:
        if settings.provider != "anthropic":
            return None
        task = model.start_lineup()
        if task is not None:
            await task  # a failed read is logged and leaves the lineup empty
        return [vars(m) for m in model.lineup.models] if model.lineup else None

    _doctor_models(model, reachable=asyncio.run(lineup()))
    print("\nModel service:")

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


def _doctor_models(model: Any, reachable: list[dict[str, Any]] | None) -> None:
    """Per role the model used and why; the models the key reaches, with prices; and what each
    fast model would have cost on this user's own recent usage (from the ledger)."""
    from renga.cost import repriced
    from renga.model.catalog import MODELS, days_until, facts_of, price_known, price_of
    from renga.usage import Ledger

    def price(m: str) -> str:
        if not price_known(m):
            return "price unknown (costed at the dearest current model)"
        p = price_of(m)
        tiers = (
            f"; {p.long_factor:g}x on every token of a prompt over {p.long_prompt_tokens:,}"
            if p.long_prompt_tokens
            else ""
        )
        return (
            f"${p.input:g} in / ${p.output:g} out, cache write ${p.cache_write:g}, "
            f"cache read ${p.cache_read:g} per MTok{tiers}"
        )

    source = "the Models API" if model.lineup else "the built-in table (no Models API answer)"
    print(f"\nModels (lifecycle from {source}):")
    for role in ("fast", "smart"):
        resolution = model.resolution(role)
        used = resolution.used
        print(f"  {role} role: {used.model}  [{used.why}]")
        for step in resolution.steps:
            state = f"skipped: {step.skipped}" if step.skipped else "usable"
            facts = facts_of(step.model)
            retires = step.retires_at or (
                facts.retires_at if facts and facts.lifecycle == "deprecated" else None
            )
            if not step.skipped and retires:
                days = days_until(retires)
                state += f"; deprecated, retires {str(retires)[:10]}" + (
                    f" (in {days} days)" if days is not None and days >= 0 else ""
                )
            print(f"    {step.why:<10} {step.model}: {state}")
        for notice in resolution.notices:
            print(f"    note: {notice.removeprefix('renga: ')}")
    if reachable is not None:
        print("\nModels this key can reach (Models API):")
        for m in reachable:
            if m.get("lifecycle") == "retired":
                continue
            when = f", retires {str(m['retires_at'])[:10]}" if m.get("retires_at") else ""
            print(f"  {m['id']} ({m.get('lifecycle')}{when}): {price(str(m['id']))}")
    else:
        print("\nPrices (built-in table, USD):")
        for family, facts in MODELS.items():
            if facts.lifecycle != "retired":
                print(f"  claude-{family} ({facts.lifecycle}): {price('claude-' + family)}")
    usage = Ledger().fast_role_usage(30)
    settings = model.settings.models
    # The configured fast model and every current Haiku (the fast line).
    haikus = [
        f"claude-{f}" for f, m in MODELS.items() if m.line == "haiku" and m.lifecycle != "retired"
    ]
    candidates = list(dict.fromkeys([settings.fast, *haikus]))
    calls = sum(int(t["calls"]) for t in usage.values())
    print("\nThe fast role on your usage (completions, quick actions, refactor steps, 30 days):")
    if not calls:
        print("  no calls recorded yet")
        return
    for m in candidates:
        print(f"  {m}: ${repriced(usage, m):.4f} for your {calls} calls")


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
