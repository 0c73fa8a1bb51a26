"""What may be read (renga.privacy.paths): the built-in exclusions, ignore files, the setting,
and symlinks, judged where they lead as well as by their name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from renga.actions.files import Files
from renga.actions.validate import where_allowed
from renga.config import PrivacySettings, Settings
from renga.context.index import WorkspaceIndex
from renga.privacy import Privacy, global_excludes_files


def settings(*exclude: str, redact_secrets: bool = True) -> Settings:
    return Settings(privacy=PrivacySettings(exclude=list(exclude), redact_secrets=redact_secrets))


# -- exclusion -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        ".env.production",
        "config/prod.env",
        "certs/server.pem",
        "tls/server.key",
        "store.p12",
        "store.pfx",
        "home/.ssh/id_rsa",
        "home/.ssh/id_rsa.pub",
        "id_ed25519",
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".aws/credentials",
        "credentials.json",
        "vault.kdbx",
        "infra/terraform.tfstate",
        ".git/config",
    ],
)
def test_default_exclusions(tmp_path: Path, name: str) -> None:
    privacy = Privacy([tmp_path], settings())
    assert privacy.excluded(str(tmp_path / name))
    assert privacy.excluded((tmp_path / name).as_uri())


@pytest.mark.parametrize(
    "name",
    ["main.py", "src/env.py", "environment.ts", "keys.py", "README.md", "docs/credentials.md.txt"],
)
def test_ordinary_files_are_not_excluded(tmp_path: Path, name: str) -> None:
    # credentials.md.txt does match credentials*: the default errs on the side of not sending.
    privacy = Privacy([tmp_path], settings())
    assert privacy.excluded(str(tmp_path / name)) == name.startswith("docs/credentials")


def test_gitignore_rengaignore_and_setting(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n*.log\nsecret_*\n!secret_ok.py\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".gitignore").write_text("generated.py\n")
    (tmp_path / ".rengaignore").write_text("vendor/\n# a comment\nprivate_notes.md\n")
    privacy = Privacy([tmp_path], settings("fixtures/**", "*.sql"))
    for path, expected in [
        ("build/out.py", True),
        ("app.log", True),
        ("secret_plan.py", True),
        ("secret_ok.py", False),  # negated
        ("pkg/generated.py", True),  # nested .gitignore
        ("generated.py", False),  # ... applies only below its folder
        ("vendor/lib/x.js", True),
        ("private_notes.md", True),
        ("fixtures/data/a.json", True),
        ("db/schema.sql", True),
        ("src/main.py", False),
    ]:
        assert privacy.excluded(str(tmp_path / path)) is expected, path


def test_a_repository_gitignore_above_the_workspace_folder_counts(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*.generated.ts\n")
    workspace = tmp_path / "packages" / "web"
    workspace.mkdir(parents=True)
    (workspace / ".gitignore").write_text("!keep.generated.ts\n")
    privacy = Privacy([workspace], settings())
    assert privacy.excluded(str(workspace / "api.generated.ts"))
    assert not privacy.excluded(str(workspace / "keep.generated.ts"))  # the deeper file wins
    assert not privacy.excluded(str(workspace / "api.ts"))
    # A file outside every workspace folder still meets the defaults.
    assert privacy.excluded(str(tmp_path / "elsewhere" / ".env"))


def test_without_a_repository_ignore_files_above_the_workspace_are_not_read(
    tmp_path: Path,
) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert not Privacy([workspace], settings()).excluded(str(workspace / "main.py"))


def test_the_users_global_gitignore_counts_weakest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("*.secretnotes\nscratch/\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    privacy = Privacy([repo], settings())
    assert privacy.excluded(str(repo / "plans.secretnotes"))
    assert privacy.excluded(str(repo / "scratch" / "try.py"))
    assert not privacy.excluded(str(repo / "main.py"))
    # The repository's own files override it, as in git.
    (repo / ".gitignore").write_text("!keep.secretnotes\n")
    assert not Privacy([repo], settings()).excluded(str(repo / "keep.secretnotes"))


def test_core_excludes_file_in_the_global_git_config_is_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        '[user]\n\tname = A\n[core]\n\teditor = vim\n\texcludesFile = "~/my ignores"\n'
    )
    env = {"HOME": str(home)}
    assert global_excludes_files(env) == [home / "my ignores"]
    (home / ".gitconfig").write_text("[core]\n    excludesfile = /etc/team-ignore ; shared\n")
    assert global_excludes_files(env) == [Path("/etc/team-ignore")]
    (home / ".gitconfig").write_text("[alias]\n\texcludesFile = nope\n")
    assert global_excludes_files(env) == [home / ".config" / "git" / "ignore"]
    assert global_excludes_files({"HOME": str(home), "XDG_CONFIG_HOME": "/xdg"}) == [
        Path("/xdg/git/ignore")
    ]


def test_an_edited_ignore_file_takes_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import renga.privacy.paths

    monkeypatch.setattr(renga.privacy.paths, "RECHECK_SECONDS", 0.0)
    privacy = Privacy([tmp_path], settings())
    target = str(tmp_path / "notes.txt")
    assert not privacy.excluded(target)
    (tmp_path / ".rengaignore").write_text("notes.txt\n")
    assert privacy.excluded(target)


def test_unreadable_ignore_file_does_not_crash(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").mkdir()  # a folder where a file was expected
    privacy = Privacy([tmp_path], settings())
    assert not privacy.excluded(str(tmp_path / "a.py"))


# -- symlinks: judged where they lead, and by their name -----------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A workspace with links to an ignored file, a .env, a .rengaignored file, out of the
    workspace, and an ordinary link inside it."""
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / ".gitignore").write_text("local_settings.py\n")
    (ws / ".rengaignore").write_text("private/\n")
    (ws / "private").mkdir()
    (ws / "private" / "notes.py").write_text("def private_notes(): ...\n")
    (ws / "local_settings.py").write_text("def local_setting(): ...\n")
    (ws / ".env").write_text("TOKEN=abc\n")
    (ws / "helpers.py").write_text("def helper(): ...\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.py").write_text("def shared_elsewhere(): ...\n")
    for name, target in {
        "settings_link.py": ws / "local_settings.py",
        "env_link.py": ws / ".env",
        "notes_link.py": ws / "private" / "notes.py",
        "shared.py": outside / "shared.py",
        "helpers_link.py": ws / "helpers.py",
        ".env.local": ws / "helpers.py",
    }.items():
        (ws / name).symlink_to(target)
    return ws


EXCLUDED_LINKS = ["settings_link.py", "env_link.py", "notes_link.py", "shared.py", ".env.local"]


@pytest.mark.parametrize("name", EXCLUDED_LINKS)
def test_a_link_is_excluded_when_its_target_or_its_name_is(linked: Path, name: str) -> None:
    privacy = Privacy([linked], settings())
    assert privacy.excluded(str(linked / name))
    assert privacy.excluded((linked / name).as_uri())


def test_an_ordinary_link_inside_the_workspace_is_not_excluded(linked: Path) -> None:
    privacy = Privacy([linked], settings())
    verdict = privacy.judge(str(linked / "helpers_link.py"))
    assert not verdict.excluded
    assert verdict.real == linked / "helpers.py" and verdict.root == linked


def test_a_link_out_of_the_workspace_is_outside_it(linked: Path) -> None:
    verdict = Privacy([linked], settings()).judge(str(linked / "shared.py"))
    assert verdict.excluded and verdict.root is None
    assert "links out of the workspace" in str(verdict.reason)
    # The same file opened where it really is: outside every folder, judged like any other.
    assert not Privacy([linked], settings()).excluded(str(linked.parent / "outside" / "shared.py"))


def test_a_workspace_opened_through_a_link_still_holds_its_files(linked: Path) -> None:
    alias = linked.parent / "alias"
    alias.symlink_to(linked)
    privacy = Privacy([alias], settings())
    assert not privacy.excluded(str(alias / "helpers.py"))
    assert privacy.excluded(str(alias / "local_settings.py"))  # the .gitignore still applies
    assert privacy.excluded(str(alias / "settings_link.py"))
    assert privacy.excluded(str(alias / "shared.py"))  # still a link out


def test_the_index_holds_no_file_a_link_leads_to_that_may_not_be_read(
    linked: Path, tmp_path: Path
) -> None:
    privacy = Privacy([linked], settings())
    index = WorkspaceIndex([linked], excluded=privacy.excluded, cache_file=tmp_path / "i.sqlite")
    try:
        index.build()
        names = {d.name for path in index.files() for d in index.definitions_in(path)}
    finally:
        index.close()
    assert "helper" in names  # the ordinary files (and the ordinary link) are there
    for name in ("local_setting", "private_notes", "shared_elsewhere"):
        assert name not in names
    assert not any(os.path.basename(p) in EXCLUDED_LINKS for p in index.files())


def test_an_edit_may_not_go_through_a_link_out_of_the_workspace(linked: Path) -> None:
    privacy = Privacy([linked], settings())
    files = Files([linked], {}, "utf-16")

    def excluded(path: Path) -> bool:
        return privacy.excluded(str(path))

    assert where_allowed(linked / "helpers_link.py", files, excluded) is None
    assert "outside the workspace" in str(where_allowed(linked / "shared.py", files, excluded))
    assert "excluded" in str(where_allowed(linked / "settings_link.py", files, excluded))


def renga(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "RENGA_"))}
    env["XDG_CACHE_HOME"] = str(cwd.parent / "cache")
    return subprocess.run(
        [sys.executable, "-m", "renga", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", ["settings_link.py", "shared.py"])
def test_the_cli_refuses_a_link_to_an_excluded_file_or_out_of_the_workspace(
    linked: Path, name: str
) -> None:
    context = renga("context", name, "--line", "0", "--character", "0", "--json", cwd=linked)
    assert context.returncode == 5 and "excluded" in context.stderr
    assert context.stdout == ""
    complete = renga("complete", name, "--line", "0", "--character", "0", cwd=linked)
    assert complete.returncode == 5 and "excluded" in complete.stderr
    # The ordinary link is read as usual.
    ordinary = renga("context", "helpers_link.py", "--line", "0", "--character", "4", cwd=linked)
    assert ordinary.returncode == 0, ordinary.stderr
    assert "helper(): ..." in ordinary.stdout
