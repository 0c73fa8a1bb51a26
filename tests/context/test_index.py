"""The workspace index on real folders and a real SQLite cache file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from renga.context.index import MATCH_SLICE, Progress, WorkspaceIndex, definitions_of
from renga.syntax.languages import registry
from renga.syntax.tags import extract

GEOMETRY = '''"""Shapes."""

import math


class Circle:
    """A circle around the origin."""

    def area(self) -> float:
        """Its area."""
        return math.pi * self.r**2


def unit_circle() -> Circle:
    return Circle()
'''

STORE_GO = """package store

// Store keeps items by key.
type Store struct {
	items map[string]string
}

// Get returns the item under key.
func (s *Store) Get(key string) string {
	return s.items[key]
}
"""

CART_TS = """/** A cart of items. */
export class Cart {
  total(): number {
    return 0;
  }
}
"""


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(
        root,
        {
            "geometry.py": GEOMETRY,
            "go/store.go": STORE_GO,
            "web/cart.ts": CART_TS,
            "README.md": "# not source\n",
        },
    )
    return root


def index_for(root: Path, tmp_path: Path, **kwargs: object) -> WorkspaceIndex:
    return WorkspaceIndex([root], cache_file=tmp_path / "cache" / "index.sqlite3", **kwargs)  # type: ignore[arg-type]


def test_lookup_gives_signature_and_doc_of_definitions_in_every_language(
    ws: Path, tmp_path: Path
) -> None:
    index = index_for(ws, tmp_path)
    stats = index.build()
    assert stats.files == 3 and stats.parsed == 3 and stats.reused == 0

    (circle,) = index.lookup("Circle")
    assert circle.path == str(ws / "geometry.py")
    assert circle.kind == "class" and circle.line == 5
    assert circle.summary == 'class Circle:\n    """A circle around the origin."""'
    (area,) = index.lookup("area")
    assert area.kind == "function"
    assert area.summary == 'def area(self) -> float:\n    """Its area."""'
    # The body is never part of a summary.
    assert "math.pi" not in area.summary

    (get,) = index.lookup("Get")
    assert get.kind == "method"
    assert (
        get.summary == "// Get returns the item under key.\nfunc (s *Store) Get(key string) string"
    )
    (store,) = index.lookup("Store")
    assert store.summary.startswith("// Store keeps items by key.\ntype Store struct")

    (cart,) = index.lookup("Cart")
    assert cart.summary == "/** A cart of items. */\nclass Cart"
    assert index.lookup("nowhere") == []

    assert index.files() == sorted(
        str(ws / p) for p in ("geometry.py", "go/store.go", "web/cart.ts")
    )
    names = [d.name for d in index.definitions_in(str(ws / "geometry.py"))]
    assert names == ["Circle", "area", "unit_circle"]
    index.close()


def test_a_big_build_parses_in_a_separate_process_with_the_same_result(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "ws"
    files: dict[str, str | bytes] = {
        f"m{i:02}.py": f'def f{i:02}() -> int:\n    """Number {i}."""\n    return {i}\n'
        for i in range(30)
    }
    files["bad.py"] = b"\xff\xfe not text"
    write(root, files)
    here = index_for(root, tmp_path / "here", process_threshold=10_000)
    there = index_for(root, tmp_path / "there", process_threshold=1)
    with caplog.at_level("INFO", logger="renga.context.index"):
        assert there.build().parsed == 30
    assert here.build().parsed == 30
    assert "bad.py: not UTF-8" in caplog.text
    for i in range(30):
        assert there.lookup(f"f{i:02}") == here.lookup(f"f{i:02}")
    assert there.lookup("f07")[0].summary.endswith('"""Number 7."""')
    assert there.parser_pid is None  # the process is gone once the build is done
    here.close()
    there.close()


def test_types_and_functions_come_before_fields_and_variables(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "a.py": "class Config:\n    name = 'a'\n",
            "b.py": "name = 'module constant'\n",
            "c.py": "def name() -> str:\n    return 'x'\n",
        },
    )
    index = index_for(root, tmp_path)
    index.build()
    found = index.lookup("name", limit=3)
    assert [(Path(d.path).name, d.kind) for d in found] == [
        ("c.py", "function"),
        ("a.py", "field"),
        ("b.py", "constant"),
    ]
    assert len(index.lookup("name", limit=1)) == 1


def test_skips_ignored_excluded_vendored_large_binary_and_undecodable_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            ".gitignore": "build/\n*.gen.py\n!keep.gen.py\n",
            "src/.gitignore": "local_*.py\n",
            "src/app.py": "def app(): pass\n",
            "src/local_settings.py": "def local(): pass\n",
            "src/deep/local_too.py": "def local_too(): pass\n",
            "build/out.py": "def built(): pass\n",
            "x.gen.py": "def generated(): pass\n",
            "keep.gen.py": "def kept(): pass\n",
            "node_modules/lib/index.js": "function vendored() {}\n",
            ".git/hooks/pre-commit.py": "def hook(): pass\n",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site.py": "def in_venv(): pass\n",
            "secrets/keys.py": "def secret(): pass\n",
            "big.py": "def big(): pass\n" + "#" * 5000 + "\n",
            "binary.py": b"def binary(): pass\n\x00\x01\x02",
            "latin1.py": "def latin(): return 'caf\xe9'\n".encode("latin-1"),
        },
    )
    index = index_for(
        root,
        tmp_path,
        excluded=lambda p: Path(p).is_relative_to(root / "secrets"),
        max_file_bytes=4000,
    )
    with caplog.at_level("INFO", logger="renga.context.index"):
        stats = index.build()
    indexed = {Path(p).relative_to(root).as_posix() for p in index.files()}
    assert indexed == {"src/app.py", "keep.gen.py"}
    assert index.lookup("app") and index.lookup("kept")
    assert stats.skipped == 3
    logged = caplog.text
    assert "big.py" in logged and "binary.py: binary" in logged and "latin1.py: not UTF-8" in logged


def test_restart_rereads_only_what_changed(ws: Path, tmp_path: Path) -> None:
    first = index_for(ws, tmp_path)
    assert first.build().parsed == 3
    first.close()

    geometry = ws / "geometry.py"
    geometry.write_text(GEOMETRY.replace("unit_circle", "origin_circle"), encoding="utf-8")
    # Same size, new mtime: still re-read.
    store = ws / "go" / "store.go"
    stat = store.stat()
    os.utime(store, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    (ws / "web" / "cart.ts").unlink()
    write(ws, {"lib/util.rb": "# Helps.\ndef help_me\n  1\nend\n"})

    second = index_for(ws, tmp_path)
    seen: list[Progress] = []
    stats = second.build(progress=seen.append)
    assert (stats.files, stats.reused, stats.parsed, stats.removed) == (3, 0, 3, 1)
    assert second.lookup("origin_circle") and not second.lookup("unit_circle")
    assert not second.lookup("Cart")
    assert second.lookup("help_me")[0].summary == "# Helps.\ndef help_me"
    assert seen and seen[0].total == 3
    second.close()

    third = index_for(ws, tmp_path)
    stats = third.build()
    assert (stats.reused, stats.parsed, stats.removed) == (3, 0, 0)
    # What comes from the cache is what was parsed.
    assert third.lookup("Get") == second.lookup("Get")
    assert third.lookup("Circle")[0].summary.endswith('"""A circle around the origin."""')
    third.close()


def test_a_corrupt_cache_file_is_rebuilt(ws: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "index.sqlite3"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"this is not a database" * 100)
    index = WorkspaceIndex([ws], cache_file=cache)
    assert index.build().parsed == 3
    assert index.lookup("Circle")
    index.close()

    # One file's stored entry damaged: that file is read again, the others come from the cache.
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE files SET definitions = ? WHERE path LIKE ?", (b"junk", "%.py"))
    again = WorkspaceIndex([ws], cache_file=cache)
    stats = again.build()
    assert (stats.parsed, stats.reused) == (1, 2)
    assert again.lookup("Circle")
    again.close()


def test_the_cache_lives_in_the_user_cache_directory(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    index = WorkspaceIndex([ws])
    index.build()
    index.close()
    assert index.cache_file.is_relative_to(tmp_path / "xdg" / "renga")
    assert index.cache_file.stat().st_size > 0


def test_update_remove_and_open_document_text(ws: Path, tmp_path: Path) -> None:
    index = index_for(ws, tmp_path)
    index.build()
    geometry = ws / "geometry.py"

    assert index.update_text(geometry, GEOMETRY + "\ndef unsaved() -> None:\n    pass\n")
    assert index.lookup("unsaved")
    # Unsaved text is not persisted: a restart knows the file as it is on disk.
    restarted = index_for(ws, tmp_path)
    restarted.build()
    assert not restarted.lookup("unsaved")

    geometry.write_text("def saved() -> None:\n    pass\n", encoding="utf-8")
    assert index.update(geometry)
    assert index.lookup("saved") and not index.lookup("Circle") and not index.lookup("unsaved")

    new = ws / "pkg" / "new.py"
    write(ws, {"pkg/new.py": "class Fresh:\n    pass\n"})
    assert index.update(new)
    assert index.lookup("Fresh")[0].path == str(new)

    new.unlink()
    assert not index.update(new)
    assert not index.lookup("Fresh")

    # A folder event (created, or moved in): its source files are read, ignore rules apply.
    write(
        ws, {"moved/a.py": "def moved_a(): pass\n", "moved/node_modules/x.js": "function nm() {}\n"}
    )
    assert index.update(ws / "moved")
    assert index.lookup("moved_a") and not index.lookup("nm")
    # A folder deleted: everything under it goes.
    shutil.rmtree(ws / "moved")
    index.remove(ws / "moved")
    assert not index.lookup("moved_a")
    index.remove(ws / "go" / "store.go")
    assert not index.lookup("Get")
    assert str(ws / "go" / "store.go") not in index.files()
    # Not source, or outside the workspace: ignored.
    assert not index.update(ws / "README.md")
    assert not index.update_text(tmp_path / "elsewhere.py", "def out(): pass\n")
    index.close()

    again = index_for(ws, tmp_path)
    stats = again.build()
    assert again.lookup("saved")
    # store.go was removed from the index but is still on disk: read again, the rest reused.
    assert (stats.parsed, stats.reused) == (1, 2)
    assert again.lookup("Get")


def test_lookups_during_the_build_see_what_is_indexed_so_far(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, {f"m{i:02}.py": f"def f{i:02}() -> int:\n    return {i}\n" for i in range(20)})
    index = index_for(root, tmp_path)
    seen: list[int] = []

    def cancelled() -> bool:
        # Called before each file: what earlier files defined is already found.
        seen.append(sum(bool(index.lookup(f"f{i:02}")) for i in range(20)))
        return False

    index.background(index.build, None, cancelled).result(timeout=60)
    assert seen == list(range(20))
    index.close()


def test_a_big_file_is_matched_in_slices_without_losing_a_definition_or_a_doc() -> None:
    go = registry().get("go")
    assert go is not None
    parts = ["package big\n\n"]
    for i in range(2500):
        # Docs of several lines: a slice boundary must not fall between a doc and its function.
        parts.append(
            f"// F{i} adds {i}.\n// It is number {i}.\nfunc F{i}(x int) int {{\n\treturn x + {i}\n}}\n\n"
        )
    source = "".join(parts).encode()
    assert len(source) > 3 * MATCH_SLICE
    whole = extract(go, go.parser().parse(source), source, definitions_only=True)
    sliced = definitions_of(go, source)
    assert sliced == whole.definitions
    functions = [d for d in sliced if d.kind == "function"]
    assert len(functions) == 2500 and all(d.doc is not None for d in functions)


def test_search_ranks_prefix_then_substring_then_letters_in_order(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(
        root,
        {
            "a.py": "def parse_config(): pass\ndef config(): pass\ndef read_config(): pass\n"
            "def cfg_reader(): pass\ndef unrelated(): pass\n",
        },
    )
    index = index_for(root, tmp_path)
    index.build()
    assert [d.name for d in index.search("config")] == ["config", "read_config", "parse_config"]
    assert [d.name for d in index.search("CFG")] == [
        "cfg_reader",
        "config",
        "read_config",
        "parse_config",
    ]
    assert [d.name for d in index.search("cnfg")] == ["config", "read_config", "parse_config"]
    assert len(index.search("", limit=3)) == 3


def test_build_time_is_reported(ws: Path, tmp_path: Path) -> None:
    index = index_for(ws, tmp_path)
    began = time.monotonic()
    stats = index.build()
    assert 0 < stats.seconds <= time.monotonic() - began
    assert stats.definitions == len(index)
