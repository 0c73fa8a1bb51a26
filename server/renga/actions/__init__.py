"""Code actions, refactors and multi-file refactors, with edits checked before they are offered.

- ``catalog``: which actions a cursor offers (no model call: the list answers at once)
- ``facts``: per-language facts for actions, read from ``grammars/<lang>/language.toml``
- ``testfile``: where a generated unit test goes
- ``proposal``: the tool the model answers with, and its answer as typed edits
- ``validate``: the checks every edit passes before it is offered
- ``workspace_edit``: checked edits as one versioned, annotated ``WorkspaceEdit``
- ``engine``: one action or refactor: prompt, model, checks, one retry, cost
- ``multifile``: the plan (smart model) and parallel per-file steps (fast model)
- ``lsp``: what the server's handlers delegate to
"""
