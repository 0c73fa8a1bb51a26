"""What may be read: the one place that resolves a path and judges whether renga may read it.

A path (or ``file:`` URI) is judged at the name it was given *and* at the file it really is
(``realpath``): a link named ``.env``, or a link leading to a gitignored, ``.rengaignore``d or
``.env`` file, is excluded either way. A link that leads out of every workspace folder is
outside the workspace: it is judged where it leads and is never part of the workspace (the
index does not hold it, edits may not touch it). Excluded are: a built-in list of files that
hold secrets (``.env*``, keys and certificates, SSH keys, credentials files, password
databases), anything a ``.gitignore`` (or ``.git/info/exclude``, or the user's global gitignore)
ignores, anything a ``.rengaignore`` (gitignore syntax) lists, and the ``privacy.exclude``
setting. The server (open documents), the workspace index, the context sources, the edit checks
and the CLI all ask :meth:`Privacy.excluded` (or :meth:`Privacy.judge`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pathspec

from renga.config import Settings
from renga.privacy.redaction import redact

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


def resolve(path: str | os.PathLike[str]) -> Path:
    """The file a path really is: absolute, every symlink followed (``realpath``). The one
    resolution every exclusion and workspace check uses."""
    return Path(os.path.realpath(to_path(os.fspath(path))))


def inside(path: str | os.PathLike[str], folders: Iterable[str | os.PathLike[str]]) -> bool:
    """Whether ``path`` really lies in one of ``folders`` (both resolved)."""
    real = resolve(path)
    return any(real.is_relative_to(resolve(folder)) for folder in folders)


@dataclass(frozen=True)
class Verdict:
    """What a path really is (``real``), the workspace folder it really lies in (``root``, None
    when outside every folder), and why it may not be read (``reason``, None when it may)."""

    real: Path
    root: Path | None
    reason: str | None

    @property
    def excluded(self) -> bool:
        return self.reason is not None


@dataclass
class _IgnoreFile:
    mtime: float
    checked: float
    spec: pathspec.GitIgnoreSpec | None


class Privacy:
    """What may be read in one workspace (its folders are ``roots``)."""

    def __init__(self, roots: Iterable[str | Path], settings: Settings) -> None:
        self.given = tuple(str(r) for r in roots)
        # Folders are resolved too, so a workspace opened through a link still contains its files.
        self.roots = [resolve(r) for r in self.given if r]
        self._named = [Path(os.path.abspath(to_path(r))) for r in self.given if r]
        self.settings = settings
        self._defaults = _spec(DEFAULT_EXCLUDES)
        self._user = _spec(settings.privacy.exclude)
        self._files: dict[Path, _IgnoreFile] = {}
        # Recent answers (path -> (when, verdict)): the index asks about every file.
        self._verdicts: dict[str, tuple[float, Verdict]] = {}
        self._repositories: dict[Path, Path | None] = {}
        self._global = global_excludes_files()

    # -- judging a path ------------------------------------------------------------------

    def judge(self, path: str) -> Verdict:
        """Where ``path`` (a path or ``file:`` URI) really is and whether it may be read,
        remembered for a moment (the index asks about every file)."""
        now = time.monotonic()
        cached = self._verdicts.get(path)
        if cached is not None and now - cached[0] < RECHECK_SECONDS:
            return cached[1]
        try:
            verdict = self._judge(Path(os.path.abspath(to_path(path))))
        except (OSError, ValueError):
            # A path that cannot even be looked at is not worth the risk.
            verdict = Verdict(Path(path), None, "the path cannot be resolved")
        if len(self._verdicts) > 50_000:
            self._verdicts.clear()
        self._verdicts[path] = (now, verdict)
        return verdict

    def excluded(self, path: str) -> bool:
        """True when ``path`` (a path or ``file:`` URI) must never be sent to the model."""
        return self.judge(path).excluded

    def _judge(self, given: Path) -> Verdict:
        real = resolve(given)
        root = self._root_of(real)
        # The name it was given counts too: a link named .env is excluded wherever it leads.
        for candidate in (given, real) if real != given else (given,):
            if self._excluded(candidate):
                return Verdict(real, root, f"{candidate} is excluded")
        if root is None and (self._root_of(given) or self._root_of(given, self._named)):
            # Inside the workspace by its name only: the file is elsewhere, and a workspace
            # folder holding a link is no consent to send what the link leads to.
            return Verdict(real, None, f"{given} links out of the workspace to {real}")
        return Verdict(real, root, None)

    def _root_of(self, path: Path, roots: list[Path] | None = None) -> Path | None:
        best: Path | None = None
        for root in self.roots if roots is None else roots:
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

    # -- redaction (what is redacted lives in renga.privacy.redaction) -------------------

    def redact(self, text: str) -> tuple[str, int]:
        """``text`` with every secret found replaced, and how many were replaced."""
        return redact(text)
