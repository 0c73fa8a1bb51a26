"""What never leaves the machine: excluded files, and secrets in the text that is sent.

Two mechanisms, applied at the two places every byte of a prompt passes:

* **Exclusion** (:meth:`Privacy.excluded`): a built-in list of files that hold secrets
  (``.env*``, keys and certificates, SSH keys, credentials files, password databases), anything
  ignored by a ``.gitignore`` (or ``.git/info/exclude``, or the user's global gitignore), a
  ``.rengaignore`` in the workspace (gitignore syntax), and the ``privacy.exclude`` setting. An
  excluded file gets no completions and never contributes context.
* **Redaction** (:meth:`Privacy.redact`, :func:`redact_body`): secrets found in text that is
  sent (API keys of common services, tokens, private key blocks, passwords in URLs and
  assignments) are replaced by ``[REDACTED:kind]`` in the request body, just before it leaves.
"""

from __future__ import annotations

import functools
import os
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pathspec

from renga.config import Settings

# Files that hold secrets by their nature (gitignore syntax, matched at any depth).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".env*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.crt",
    "*.cer",
    "*.der",
    "*.ovpn",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    ".htpasswd",
    "credentials*",
    "*.kdbx",
    "*.tfstate",
    "*.tfstate.*",
    # A repository's own metadata is never context.
    ".git/",
)

IGNORE_FILES = (".gitignore", ".rengaignore")
# What a redacted secret becomes: "[REDACTED:kind]".
REDACTED = "[REDACTED:"
# How long a parsed ignore file is trusted before its mtime is looked at again.
RECHECK_SECONDS = 2.0


def _spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(lines))


def to_path(path_or_uri: str) -> Path:
    """A filesystem path from a path or a ``file:`` URI (other schemes keep their path part)."""
    if "://" in path_or_uri[:16]:
        return Path(unquote(urlsplit(path_or_uri).path))
    return Path(path_or_uri)


def global_excludes_files(environ: dict[str, str] | None = None) -> list[Path]:
    """The user's global gitignore: ``core.excludesFile`` from the global git config, else
    git's default ``$XDG_CONFIG_HOME/git/ignore`` (``~/.config/git/ignore``). Read from the
    config files directly (no git process); ``[include]`` directives are not followed."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    configured: str | None = None
    # Later files win, as in git: the XDG config, then ~/.gitconfig.
    for config in (config_home / "git" / "config", home / ".gitconfig"):
        try:
            text = config.read_text("utf-8", errors="replace")
        except OSError:
            continue
        section = ""
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("["):
                section = line[1 : line.find("]")].strip().lower() if "]" in line else ""
                continue
            key, sep, value = line.partition("=")
            if section == "core" and sep and key.strip().lower() == "excludesfile":
                value = value.split(" #")[0].split(" ;")[0].strip().strip('"')
                configured = value or None
    if configured:
        return [home / configured[2:] if configured.startswith("~/") else Path(configured)]
    return [config_home / "git" / "ignore"]


@dataclass
class _IgnoreFile:
    mtime: float
    checked: float
    spec: pathspec.GitIgnoreSpec | None


class Privacy:
    """Exclusions for one workspace (its folders are ``roots``) and secret redaction."""

    def __init__(self, roots: Iterable[str | Path], settings: Settings) -> None:
        self.given = tuple(str(r) for r in roots)
        self.roots = [Path(os.path.abspath(to_path(r))) for r in self.given if r]
        self.settings = settings
        self._defaults = _spec(DEFAULT_EXCLUDES)
        self._user = _spec(settings.privacy.exclude)
        self._files: dict[Path, _IgnoreFile] = {}
        # Recent answers (path -> (when, verdict)): the index asks about every file.
        self._verdicts: dict[str, tuple[float, bool]] = {}
        self._repositories: dict[Path, Path | None] = {}
        self._global = global_excludes_files()

    # -- exclusion -----------------------------------------------------------------------

    def excluded(self, path: str) -> bool:
        """True when ``path`` (a path or ``file:`` URI) must never be sent to the model."""
        now = time.monotonic()
        cached = self._verdicts.get(path)
        if cached is not None and now - cached[0] < RECHECK_SECONDS:
            return cached[1]
        try:
            verdict = self._excluded(Path(os.path.abspath(to_path(path))))
        except (OSError, ValueError):
            # A path that cannot even be looked at is not worth the risk.
            verdict = True
        if len(self._verdicts) > 50_000:
            self._verdicts.clear()
        self._verdicts[path] = (now, verdict)
        return verdict

    def _root_of(self, path: Path) -> Path | None:
        best: Path | None = None
        for root in self.roots:
            inside = path == root or root in path.parents
            if inside and (best is None or len(root.parts) > len(best.parts)):
                best = root
        return best

    def _excluded(self, path: Path) -> bool:
        root = self._root_of(path)
        relative = path.relative_to(root).as_posix() if root else path.as_posix().lstrip("/")
        if self._defaults.match_file(relative) or self._defaults.match_file(path.name):
            return True
        if self._user.match_file(relative):
            return True
        return self._ignored(path, root)

    def _repository_of(self, directory: Path) -> Path | None:
        """The nearest folder at or above ``directory`` holding a ``.git``, remembered."""
        if directory in self._repositories:
            return self._repositories[directory]
        found: Path | None = None
        for folder in (directory, *directory.parents):
            if (folder / ".git").exists():
                found = folder
                break
        self._repositories[directory] = found
        return found

    def _ignored(self, path: Path, root: Path | None) -> bool:
        """Whether ignore files between the top (the repository's, else the workspace folder)
        and ``path`` exclude it, with git's rule that the deeper file and the later line win."""
        top = self._repository_of(path.parent) or root or path.parent
        chain = [path.parent]
        while chain[-1] != top and chain[-1].parent != chain[-1]:
            chain.append(chain[-1].parent)
        verdict: bool | None = None
        for directory in reversed(chain):
            sources = [directory / name for name in IGNORE_FILES]
            if directory == top:
                # git's order, weakest first: the user's global excludes, the repository's
                # info/exclude, then each folder's ignore files (the deeper one wins).
                sources[:0] = [*self._global, directory / ".git" / "info" / "exclude"]
            relative = path.relative_to(directory).as_posix()
            for source in sources:
                spec = self._load(source)
                if spec is None:
                    continue
                result = spec.check_file(relative)
                if result.include is not None:
                    verdict = result.include
        return bool(verdict)

    def _load(self, source: Path) -> pathspec.GitIgnoreSpec | None:
        now = time.monotonic()
        cached = self._files.get(source)
        if cached is not None and now - cached.checked < RECHECK_SECONDS:
            return cached.spec
        try:
            mtime = source.stat().st_mtime
        except OSError:
            self._files[source] = _IgnoreFile(-1.0, now, None)
            return None
        if cached is not None and cached.mtime == mtime:
            cached.checked = now
            return cached.spec
        try:
            lines = source.read_text("utf-8", errors="replace").splitlines()
            spec: pathspec.GitIgnoreSpec | None = _spec(lines)
        except (OSError, ValueError):
            spec = None
        self._files[source] = _IgnoreFile(mtime, now, spec)
        return spec

    # -- redaction -----------------------------------------------------------------------

    def redact(self, text: str) -> tuple[str, int]:
        """``text`` with every secret found replaced, and how many were replaced."""
        return redact(text)


# -- secret patterns -----------------------------------------------------------------------
#
# Redaction runs on every request, so it must cost well under a millisecond on a whole prompt.
# Python's ``re`` is fast only when a pattern starts with a literal: patterns start with the
# service's fixed prefix, token boundaries are checked on the (rare) matches instead of with a
# leading look-behind, and case-insensitive patterns are written in lower case and run on an
# ASCII-lowered copy of the text (same length, so its spans apply to the original).


@dataclass(frozen=True)
class SecretPattern:
    """A kind of secret: ``regex`` finds it; ``group`` is the part replaced (0: all of it).

    ``lower``: the regex is written in lower case and runs on the ASCII-lowered text.
    ``boundary``: the match must not continue a word (checked on the character before it).
    ``anchors``: when given, the regex is tried only where one of these literals starts (found
    with ``str.find``, far faster than letting ``re`` scan for an alternation).
    ``line_prefix``: the text between the start of the line and the match must match this.
    ``lead``: the character just before the match must be one of these, and is part of the
    secret (so the regex itself can start with a literal)."""

    kind: str
    regex: re.Pattern[str]
    group: int = 0
    lower: bool = False
    boundary: bool = False
    anchors: tuple[str, ...] = ()
    line_prefix: re.Pattern[str] | None = None
    lead: str = ""


def _p(
    kind: str, pattern: str, group: int = 0, *, lower: bool = False, boundary: bool = True
) -> SecretPattern:
    return SecretPattern(kind, re.compile(pattern), group, lower, boundary)


def _i(kind: str, pattern: str, group: int = 0) -> SecretPattern:
    return _p(kind, pattern, group, lower=True, boundary=False)


def _keyed(kind: str, pattern: str, group: int, line_prefix: str | None = None) -> SecretPattern:
    """A case-insensitive pattern that starts with one of the secret names."""
    return SecretPattern(
        kind,
        re.compile(pattern, re.MULTILINE),
        group,
        lower=True,
        anchors=_NAME_ANCHORS,
        line_prefix=re.compile(line_prefix) if line_prefix else None,
    )


# Names whose value is a secret when they end a variable or key name (db_password, API_KEY,
# client_secret, authToken). Names that merely start with one (secret_name, token_type) do not.
_SECRET_NAME = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"secret[_-]?key|private[_-]?key|auth[_-]?key|credentials?|"
    r"signing[_-]?key|encryption[_-]?key|master[_-]?key|session[_-]?key)"
)
# Literal starts of the names above, "[_-]?" spelt out: rarer than "api" alone, so fewer tries.
_NAME_ANCHORS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    *(
        f"{word}{sep}key"
        for word in ("api", "access", "private", "auth", "signing", "encryption", "master")
        for sep in ("", "_", "-")
    ),
    *(f"session{sep}key" for sep in ("", "_", "-")),
)

# Values that are obviously not secrets: placeholders, templates, masks (text is lowered).
_NOT_A_VALUE = r"(?![$%{<*]|x{3,}|\.\.\.|changeme|example|placeholder|your[_-]|\[redacted)"
_TAIL = r"(?![A-Za-z0-9_])"

PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        boundary=False,
    ),
    _p("anthropic", r"sk-ant-[a-z]+\d*-[A-Za-z0-9_\-]{20,}"),
    _p("openai", r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}"),
    _p("openai", r"sk-[A-Za-z0-9]{20,}T3BlbkFJ[A-Za-z0-9]{20,}"),
    _p("openai", r"sk-[A-Za-z0-9]{32,}" + _TAIL),
    _p("aws-access-key-id", r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|ROA|NPA|IPA)[A-Z0-9]{16}" + _TAIL),
    _i(
        "aws-secret-access-key",
        r"aws_?secret(?:_?access)?_?key[\"']?\s*[:=]+\s*[\"']?([a-z0-9/+=]{40})(?![a-z0-9/+=])",
        1,
    ),
    _p("github", r"gh[pousr]_[A-Za-z0-9]{36,255}" + _TAIL),
    _p("github", r"github_pat_[A-Za-z0-9_]{22,255}"),
    _p("gitlab", r"glpat-[A-Za-z0-9_\-]{20,}"),
    _p("slack", r"xox[abposre]-(?:\d+-)?[A-Za-z0-9\-]{10,}"),
    _p("slack-webhook", r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}"),
    SecretPattern(
        "stripe", re.compile(r"k_(?:live|test)_[A-Za-z0-9]{16,}"), boundary=True, lead="srp"
    ),
    _p("stripe", r"whsec_[A-Za-z0-9]{24,}"),
    _p("google-api-key", r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"),
    _p("google-oauth", r"GOCSPX-[A-Za-z0-9_\-]{20,}"),
    _p("google-oauth", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    _p("huggingface", r"hf_[A-Za-z0-9]{30,}" + _TAIL),
    _p("npm", r"npm_[A-Za-z0-9]{36}" + _TAIL),
    _p("pypi", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    _p("sendgrid", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),
    _p("mailgun", r"key-[0-9a-f]{32}" + _TAIL),
    _p("digitalocean", r"do[opr]_v1_[a-f0-9]{64}" + _TAIL),
    _p("shopify", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _TAIL),
    _i("azure-storage", r"accountkey=([a-z0-9+/=]{40,})", 1),
    _p("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    _i("bearer", r"bearer\s+([a-z0-9\-._~+/]{16,}=*)", 1),
    _i(
        "authorization",
        r"authorization[\"']?\s*[:=]\s*[\"']?(?:basic|token|digest)\s+([a-z0-9\-._~+/]{8,}=*)",
        1,
    ),
    # The password of user:password@host in any URL or DSN (postgres, mongodb+srv, redis, amqp).
    _p("url-password", r"://[^\s:/@'\"`]*:" + _NOT_A_VALUE + r"([^\s@/'\"`]+)@", 1, boundary=False),
    # ADO.NET / ODBC / JDBC connection strings: a Password or Pwd key between semicolons.
    _i("connection-string-password", r";\s*(?:password|pwd)\s*=\s*([^;\s\"']{3,})", 1),
    _i("connection-string-password", r"(?:password|pwd)=([^;\s\"'()]{3,});(?=\s*\w+\s*=)", 1),
    # password = "...", "apiKey": "...", :token => '...', API_KEY := `...`, secret: str = "..."
    _keyed(
        "assignment",
        _SECRET_NAME + r"(?![a-z0-9])[\"'\]]?"
        r"(?:\s*:\s*[a-z_][\w\[\].]*(?:\s*\|\s*none)?)?"
        r"\s*(?::=|=>|[:=])\s*[rbfu]?([\"'`])"
        + _NOT_A_VALUE
        # A value with an interpolation in it (f"x-{uuid4()}", "${VAR}", "{{ vault }}") is built
        # at run time, not a secret written in the code.
        + r"(?!(?:(?!\1)[^\n])*?\{[^{}\n]*\})"
        + r"((?:(?!\1)[^\\\n]|\\.){4,})\1",
        2,
    ),
    # .env, .properties, shell: DB_PASSWORD=s3cret9 (unquoted; a digit, so not a plain word)
    _keyed(
        "env-assignment",
        r"(?:password|passwd|secret|token|api_?key|access_key|private_key|credentials?)"
        r"[ \t]*[=:][ \t]*"
        + _NOT_A_VALUE
        + r"(?=[^\s\"'#]*\d)([a-z0-9_\-+/=.~!@%^&*][a-z0-9_\-+/=.~!@#%^&*]{7,})[ \t]*$",
        1,
        line_prefix=r"[ \t]*(?:export[ \t]+)?[a-z0-9_.\-]*",
    ),
)

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _lowered(text: str) -> str:
    """``text`` in lower case, of the same length so its spans apply to ``text``.

    ``str.lower`` is C-fast; ``str.translate`` costs 1.7 ms on a 14,000-character prompt, most
    of the redaction time. ``lower`` lengthens a few characters (U+0130 becomes two): only then
    is the slow ASCII-only table used. Its other non-ASCII mappings can only add a match (the
    Kelvin sign becomes "k"), so they never hide a secret."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _matches(
    pattern: SecretPattern, haystack: str, found: dict[tuple[int, str], list[int]]
) -> Iterator[re.Match[str]]:
    if not pattern.anchors:
        yield from pattern.regex.finditer(haystack)
        return
    starts: set[int] = set()
    for anchor in pattern.anchors:
        # Patterns share anchors: find each literal once per text.
        key = (id(haystack), anchor)
        if key not in found:
            positions = []
            position = haystack.find(anchor)
            while position >= 0:
                positions.append(position)
                position = haystack.find(anchor, position + 1)
            found[key] = positions
        starts.update(found[key])
    reached = 0
    for position in sorted(starts):
        if position < reached:
            continue
        match = pattern.regex.match(haystack, position)
        if match:
            reached = match.end()
            yield match


def find_secrets(
    text: str, patterns: Iterable[SecretPattern] = PATTERNS
) -> list[tuple[int, int, str]]:
    """Spans of the secrets in ``text`` as (start, end, kind), sorted, overlaps merged."""
    lowered: str | None = None
    spans: list[tuple[int, int, int, str]] = []
    found: dict[tuple[int, str], list[int]] = {}
    # Where two patterns find the same secret, the earlier (more specific) one names it.
    for rank, pattern in enumerate(patterns):
        haystack = text
        if pattern.lower:
            if lowered is None:
                lowered = _lowered(text)
            haystack = lowered
        for match in _matches(pattern, haystack, found):
            start, end = match.span(pattern.group)
            if start < 0 or start == end:
                continue
            if pattern.lead:
                if start == 0 or text[start - 1] not in pattern.lead:
                    continue
                start -= 1
            if (
                pattern.boundary
                and start > 0
                and (text[start - 1].isalnum() or text[start - 1] == "_")
            ):
                continue
            if pattern.line_prefix is not None:
                line_start = haystack.rfind("\n", 0, match.start()) + 1
                if not pattern.line_prefix.fullmatch(haystack, line_start, match.start()):
                    continue
            spans.append((start, rank, end, pattern.kind))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, _rank, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def redact(text: str, patterns: Iterable[SecretPattern] = PATTERNS) -> tuple[str, int]:
    """``text`` with every secret replaced by ``[REDACTED:kind]``, and the count replaced."""
    spans = find_secrets(text, patterns)
    if not spans:
        return text, 0
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(text[position:start])
        out.append(f"{REDACTED}{kind}]")
        position = end
    out.append(text[position:])
    return "".join(out), len(spans)


@functools.lru_cache(maxsize=256)
def _redact_cached(text: str) -> tuple[str, int]:
    # Stable prompt blocks (system prompt, cached context sections) repeat on every keystroke.
    return redact(text)


def redact_body(
    body: dict[str, Any], redactor: Callable[[str], tuple[str, int]] = _redact_cached
) -> int:
    """Redact, in place, every text of a Messages API request body that carries prompt content
    (system prompt, messages, the assistant prefill), and return the count of secrets replaced."""
    total = 0

    def walk(value: Any) -> Any:
        nonlocal total
        if isinstance(value, str):
            redacted, n = redactor(value)
            total += n
            return redacted
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    for key in ("system", "messages"):
        if key in body:
            body[key] = walk(body[key])
    return total
