"""Typed settings and the order they are merged in.

Sources, lowest first: built-in defaults, environment variables, then the editor's settings
(``initializationOptions`` at start, replaced by ``workspace/configuration`` answers and
``workspace/didChangeConfiguration`` pushes as they arrive: the same settings, newer).
An invalid value never crashes anything: it is reported once, and the previous value stays.

Settings are nested by section, as editors send them (``{"completion": {"debounceMs": 50}}``);
keys are camelCase on the wire and snake_case here.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin, get_type_hints

PROVIDERS = ("anthropic", "bedrock", "vertex")


@dataclass(frozen=True)
class ModelSettings:
    # Completions and quick actions. Haiku 4.5 is still served and answers quickest without
    # thinking; claude-haiku-5-5 is a tested choice (a tenth of the price, caches from 512 tokens).
    fast: str = "claude-haiku-4-5"
    fast_fallbacks: list[str] = field(default_factory=lambda: ["claude-haiku-4-5-20251001"])
    # Refactors and workspace plans. Sonnet 4.5 was retired on the Claude API on 2026-11-30
    # (still served on Bedrock and Vertex); fallbacks stay in the Sonnet line, and a retired
    # model moves to its line's newest model (renga.model.lineup), never silently to a Haiku.
    smart: str = "claude-sonnet-5-5"
    smart_fallbacks: list[str] = field(default_factory=lambda: ["claude-sonnet-4-6"])
    # "auto" uses assistant prefill where the model accepts it (4.5 models), "on"/"off" force it.
    prefill: str = "auto"
    # How hard the smart model may think on refactors and plans: "off" (no thinking, the
    # default), or an effort level for adaptive thinking where the model has it. Completions and
    # quick actions never think.
    smart_effort: str = "off"


@dataclass(frozen=True)
class CompletionSettings:
    enabled: bool = True
    debounce_ms: int = 75
    # Stretch the debounce to the typing rhythm, so a steady run of keystrokes sends no request.
    adaptive_debounce: bool = True
    # Answer from remembered suggestions (and running streams) while the user types them.
    type_through: bool = True
    # Abort model streams a keystroke, a newer request or $/cancelRequest made useless.
    cancel_stale: bool = True
    max_tokens: int = 256
    timeout_ms: int = 5000
    # Documents in a language renga has no grammar for: plain-text completions, or none.
    plain_text: bool = False


@dataclass(frozen=True)
class ContextSettings:
    token_budget: int = 6000
    max_file_bytes: int = 2_000_000


@dataclass(frozen=True)
class PrivacySettings:
    exclude: list[str] = field(default_factory=list)
    redact_secrets: bool = True


@dataclass(frozen=True)
class CostSettings:
    daily_cap_usd: float = 10.0
    max_tokens_per_request: int = 32000
    confirm_above_usd: float = 0.25


@dataclass(frozen=True)
class RefactorSettings:
    # Per-file steps of a multi-file refactor that run at once.
    concurrency: int = 8
    max_files: int = 40


@dataclass(frozen=True)
class ReliabilitySettings:
    # Background requests (refactors) retry this many times; completions never retry.
    retries: int = 3
    # First backoff between retries; it doubles each time (with jitter), up to 8 s.
    backoff_ms: int = 500
    # A retry-after longer than this is not waited for: the request fails at once instead.
    max_retry_after_ms: int = 20000
    # Consecutive failures of the model service that pause requests (auth failures: at once).
    breaker_failures: int = 5
    # How long requests stay paused before one probe request is let through.
    breaker_pause_ms: int = 30000


@dataclass(frozen=True)
class Settings:
    provider: str = "anthropic"
    base_url: str = ""
    aws_region: str = ""
    aws_profile: str = ""
    vertex_region: str = ""
    vertex_project_id: str = ""
    log_level: str = "info"
    models: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    cost: CostSettings = field(default_factory=CostSettings)
    refactor: RefactorSettings = field(default_factory=RefactorSettings)
    reliability: ReliabilitySettings = field(default_factory=ReliabilitySettings)


# Value rules beyond the type: choices and lower bounds, keyed by dotted snake_case path.
CHOICES: dict[str, tuple[str, ...]] = {
    "provider": PROVIDERS,
    "log_level": ("error", "warning", "info", "debug", "trace"),
    "models.prefill": ("auto", "on", "off"),
    "models.smart_effort": ("off", "low", "medium", "high", "xhigh", "max"),
}
MINIMUM: dict[str, float] = {
    "completion.debounce_ms": 0,
    "completion.max_tokens": 1,
    "completion.timeout_ms": 100,
    "context.token_budget": 256,
    "context.max_file_bytes": 1024,
    "cost.daily_cap_usd": 0,
    "cost.max_tokens_per_request": 256,
    "cost.confirm_above_usd": 0,
    "refactor.concurrency": 1,
    "refactor.max_files": 1,
    "reliability.retries": 0,
    "reliability.backoff_ms": 0,
    "reliability.max_retry_after_ms": 0,
    "reliability.breaker_failures": 1,
    "reliability.breaker_pause_ms": 100,
}

# Environment variables, for servers started by editors that pass no settings and for scripts.
ENV: dict[str, str] = {
    "RENGA_PROVIDER": "provider",
    "ANTHROPIC_BASE_URL": "base_url",
    "RENGA_BASE_URL": "base_url",
    "AWS_REGION": "aws_region",
    "AWS_PROFILE": "aws_profile",
    "CLOUD_ML_REGION": "vertex_region",
    "ANTHROPIC_VERTEX_PROJECT_ID": "vertex_project_id",
    "RENGA_LOG_LEVEL": "log_level",
    "RENGA_FAST_MODEL": "models.fast",
    "RENGA_SMART_MODEL": "models.smart",
    "RENGA_PREFILL": "models.prefill",
    "RENGA_SMART_EFFORT": "models.smart_effort",
    "RENGA_DEBOUNCE_MS": "completion.debounce_ms",
    "RENGA_COMPLETION_TIMEOUT_MS": "completion.timeout_ms",
    "RENGA_TOKEN_BUDGET": "context.token_budget",
    "RENGA_DAILY_CAP_USD": "cost.daily_cap_usd",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class SettingsError(ValueError):
    pass


def _coerce(value: Any, kind: Any, path: str) -> Any:
    """Check ``value`` against the field's type; environment strings are converted."""
    wire = ".".join(camel(p) for p in path.split("."))
    if kind is bool:
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        if not isinstance(value, bool):
            raise SettingsError(f"{wire} must be true or false, not {value!r}")
        return value
    if kind in (int, float):
        if isinstance(value, str):
            try:
                value = kind(value)
            except ValueError:
                raise SettingsError(f"{wire} must be a number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{wire} must be a number, not {value!r}")
        if kind is int and float(value) != int(value):
            raise SettingsError(f"{wire} must be a whole number, not {value!r}")
        value = kind(value)
        if path in MINIMUM and value < MINIMUM[path]:
            raise SettingsError(f"{wire} must be at least {MINIMUM[path]:g}, not {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{wire} must be a string, not {value!r}")
        if path in CHOICES and value not in CHOICES[path]:
            raise SettingsError(f"{wire} must be one of {', '.join(CHOICES[path])}, not {value!r}")
        return value
    if get_origin(kind) is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        (item,) = get_args(kind)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise SettingsError(f"{wire} must be a list of strings, not {value!r}")
        return list(value)
    raise SettingsError(f"{wire}: unsupported setting type")


def _merge(obj: Any, raw: Mapping[str, Any], prefix: str, errors: list[str]) -> Any:
    hints = get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        name = snake(key)
        path = f"{prefix}{name}"
        if name not in names:
            errors.append(f"unknown setting {'.'.join(camel(p) for p in path.split('.'))}")
            continue
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, Mapping):
                errors.append(f"{camel(name)} must be an object, not {value!r}")
                continue
            changes[name] = _merge(getattr(obj, name), value, f"{path}.", errors)
            continue
        if value is None:
            continue
        try:
            changes[name] = _coerce(value, kind, path)
        except SettingsError as exc:
            errors.append(str(exc))
    return dataclasses.replace(obj, **changes) if changes else obj


def merge(base: Settings, raw: Mapping[str, Any] | None) -> tuple[Settings, list[str]]:
    """``base`` updated with the editor's ``raw`` settings; invalid keys are reported, skipped."""
    errors: list[str] = []
    if not raw:
        return base, errors
    if not isinstance(raw, Mapping):
        return base, [f"settings must be an object, not {raw!r}"]
    return _merge(base, raw, "", errors), errors


def _nest(path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    out: dict[str, Any] = {camel(leaf): value}
    for parent in reversed(parents):
        out = {camel(parent): out}
    return out


def from_env(environ: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
    """Defaults overlaid with the environment variables in :data:`ENV`."""
    env = os.environ if environ is None else environ
    settings, errors = Settings(), []
    for var, path in ENV.items():
        if env.get(var):
            settings, errs = merge(settings, _nest(path, env[var]))
            errors += [f"{var}: {e}" for e in errs]
    return settings, errors


def to_wire(settings: Settings) -> dict[str, Any]:
    """Settings as an editor would send them (camelCase), for ``renga doctor`` and docs."""

    def convert(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {camel(f.name): convert(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return obj

    result: dict[str, Any] = convert(settings)
    return result
