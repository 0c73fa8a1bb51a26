"""Checked edits as one ``WorkspaceEdit`` the editor applies atomically.

Sent as versioned ``documentChanges`` (the open document's version: an editor refuses the edit
when the user changed the document meanwhile) with a change annotation that asks for
confirmation, so editors that can preview an edit (VS Code's refactor preview) show it first.
Clients that do not support ``documentChanges`` get plain ``changes``; the server's own version
check (:func:`stale`) protects them.
"""

from __future__ import annotations

from lsprotocol import types

from renga.actions.files import Files
from renga.actions.validate import CheckedFile
from renga.syntax.positions import Encoding

ANNOTATION = "renga"


def _text_edits(
    checked: CheckedFile, encoding: Encoding, annotated: bool
) -> list[types.TextEdit | types.AnnotatedTextEdit]:
    doc = checked.file.document(encoding)
    out: list[types.TextEdit | types.AnnotatedTextEdit] = []
    for start, end, new in checked.edits:
        sl, sc = doc.position_at(start)
        el, ec = doc.position_at(end)
        rng = types.Range(start=types.Position(sl, sc), end=types.Position(el, ec))
        text = new.decode("utf-8", errors="surrogatepass")
        if annotated:
            out.append(types.AnnotatedTextEdit(range=rng, new_text=text, annotation_id=ANNOTATION))
        else:
            out.append(types.TextEdit(range=rng, new_text=text))
    return out


def build(
    checked: list[CheckedFile],
    label: str,
    description: str,
    encoding: Encoding,
    capabilities: types.ClientCapabilities,
) -> types.WorkspaceEdit:
    caps = capabilities.workspace.workspace_edit if capabilities.workspace else None
    versioned = bool(caps and caps.document_changes)
    annotated = bool(versioned and caps and caps.change_annotation_support)
    operations = (caps.resource_operations if caps else None) or []
    can_create = types.ResourceOperationKind.Create in operations
    ordered = sorted(checked, key=lambda c: str(c.file.path))
    if not versioned:
        return types.WorkspaceEdit(
            changes={
                c.file.uri: [
                    e for e in _text_edits(c, encoding, False) if type(e) is types.TextEdit
                ]
                for c in ordered
            }
        )
    changes: list[
        types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile
    ] = []
    for c in ordered:
        if c.creates and can_create:
            changes.append(
                types.CreateFile(
                    uri=c.file.uri,
                    options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True),
                    annotation_id=ANNOTATION if annotated else None,
                )
            )
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=c.file.uri, version=c.file.version
                ),
                edits=_text_edits(c, encoding, annotated),
            )
        )
    annotations = (
        {
            ANNOTATION: types.ChangeAnnotation(
                label=label, needs_confirmation=True, description=description
            )
        }
        if annotated
        else None
    )
    return types.WorkspaceEdit(document_changes=changes, change_annotations=annotations)


def stale(checked: list[CheckedFile], files: Files) -> list[str]:
    """Files the user changed since the edit was computed: such an edit is never sent."""
    return [files.relative(c.file.path) for c in checked if files.changed_since(c.file)]
