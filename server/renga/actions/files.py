"""The files an edit is computed against: the open document's text and version when the editor
has it open (the user's unsaved text is what counts), else the file on disk."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pygls.uris import from_fs_path, to_fs_path

from renga.syntax.document import Document
from renga.syntax.languages import Language, registry
from renga.syntax.positions import Encoding


@dataclass
class FileText:
    path: Path
    uri: str
    text: str
    # The open document's version; None for a file read from disk (or one to be created).
    version: int | None
    exists: bool
    language: Language | None

    def document(self, encoding: Encoding) -> Document:
        """A document of this text (positions in the negotiated encoding, a parsed tree)."""
        return Document(self.uri, self.text, language=self.language, encoding=encoding)


def uri_of(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def path_of(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(os.path.realpath(fs)) if fs else None


class Files:
    def __init__(
        self,
        folders: list[Path],
        documents: Mapping[str, Document],
        encoding: Encoding,
        max_bytes: int = 2_000_000,
    ) -> None:
        self.folders = [Path(os.path.realpath(f)) for f in folders]
        self.documents = documents
        self.encoding: Encoding = encoding
        self.max_bytes = max_bytes
        self._open: dict[Path, Document] = {}
        # The first read of a file is the snapshot the whole job works against: the model saw
        # that text, its edits are checked against it, and its version is the one sent.
        self._snapshots: dict[Path, FileText] = {}
        for uri, doc in documents.items():
            path = path_of(uri)
            if path is not None:
                self._open[path] = doc

    @property
    def root(self) -> Path | None:
        return self.folders[0] if self.folders else None

    def locate(self, name: str) -> Path:
        """A path the model named (relative to the workspace folder, or absolute), resolved:
        symlinks and ``..`` are followed, so the workspace check sees where it really points."""
        raw = Path(name)
        if not raw.is_absolute():
            raw = (self.root or Path.cwd()) / raw
        return Path(os.path.realpath(raw))

    def relative(self, path: Path) -> str:
        for folder in self.folders:
            if path.is_relative_to(folder):
                return path.relative_to(folder).as_posix()
        return str(path)

    def is_open(self, path: Path) -> bool:
        return path in self._open

    def read(self, path: Path) -> FileText:
        """The file's text as first read; raises OSError/UnicodeDecodeError/ValueError when it
        cannot be read."""
        if path not in self._snapshots:
            self._snapshots[path] = self._read(path)
        return self._snapshots[path]

    def _read(self, path: Path) -> FileText:
        doc = self._open.get(path)
        if doc is not None:
            language = doc.language or registry().for_document(doc.language_id, path)
            return FileText(path, doc.uri, doc.text, doc.version, True, language)
        language = registry().for_document(None, path)
        if not path.exists():
            return FileText(path, uri_of(path), "", None, False, language)
        if path.stat().st_size > self.max_bytes:
            raise ValueError(f"{self.relative(path)} is larger than {self.max_bytes} bytes")
        text = path.read_bytes().decode("utf-8")
        return FileText(path, uri_of(path), text, None, True, language)

    def changed_since(self, snapshot: FileText) -> bool:
        """Whether the file no longer holds the text the edit was computed against: a new
        version of the open document, or other bytes on disk for a file that is not open."""
        doc = self._open.get(snapshot.path)
        if snapshot.version is not None or doc is not None:
            return doc is None or doc.version != snapshot.version
        try:
            now = snapshot.path.read_bytes().decode("utf-8") if snapshot.path.exists() else None
        except (OSError, UnicodeDecodeError):
            return True
        return now != (snapshot.text if snapshot.exists else None)
