"""Where a generated unit test goes, decided from the project's layout and the language's facts."""

from __future__ import annotations

from pathlib import Path

from renga.actions.facts import facts_of
from renga.actions.testfile import example_test, where_tests_go
from renga.syntax.languages import registry


def facts(language: str):  # type: ignore[no-untyped-def]
    return facts_of(registry().get(language))


def make(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def test_the_deepest_mirrored_test_folder_wins(tmp_path: Path) -> None:
    make(tmp_path, "server/renga/actions/catalog.py", "tests/actions/", "tests/syntax/")
    source = tmp_path / "server/renga/actions/catalog.py"
    assert (
        where_tests_go(source, tmp_path, facts("python"))
        == tmp_path / "tests/actions/test_catalog.py"
    )


def test_a_flat_test_folder_takes_the_test(tmp_path: Path) -> None:
    make(tmp_path, "pkg/geometry.py", "test/")
    assert where_tests_go(tmp_path / "pkg/geometry.py", tmp_path, facts("python")) == (
        tmp_path / "test/test_geometry.py"
    )


def test_without_a_test_folder_the_usual_one_is_created(tmp_path: Path) -> None:
    make(tmp_path, "geometry.py")
    assert where_tests_go(tmp_path / "geometry.py", tmp_path, facts("python")) == (
        tmp_path / "tests/test_geometry.py"
    )


def test_go_tests_sit_beside_the_source(tmp_path: Path) -> None:
    make(tmp_path, "geo/area.go", "tests/")
    assert (
        where_tests_go(tmp_path / "geo/area.go", tmp_path, facts("go"))
        == tmp_path / "geo/area_test.go"
    )


def test_java_tests_mirror_the_package_under_src_test_java(tmp_path: Path) -> None:
    make(tmp_path, "src/main/java/com/acme/Shape.java", "src/test/java/")
    assert where_tests_go(
        tmp_path / "src/main/java/com/acme/Shape.java", tmp_path, facts("java")
    ) == (tmp_path / "src/test/java/com/acme/ShapeTest.java")


def test_typescript_test_names_keep_the_extension(tmp_path: Path) -> None:
    make(tmp_path, "src/area.ts", "__tests__/")
    assert where_tests_go(tmp_path / "src/area.ts", tmp_path, facts("typescript")) == (
        tmp_path / "__tests__/area.test.ts"
    )


def test_a_language_without_test_facts_gets_no_location(tmp_path: Path) -> None:
    assert where_tests_go(tmp_path / "x.sh", tmp_path, facts("bash")) is None


def test_an_example_test_is_found_near_the_destination(tmp_path: Path) -> None:
    make(tmp_path, "tests/test_other.py")
    (tmp_path / "tests/test_other.py").write_text("import pytest\n")
    found = example_test(tmp_path / "tests/test_new.py", facts("python"))
    assert found == (tmp_path / "tests/test_other.py", "import pytest\n")
    assert example_test(tmp_path / "nowhere/test_x.py", facts("python")) is None
