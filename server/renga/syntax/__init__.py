"""Syntax: documents (text plus an incrementally edited tree-sitter tree) and the languages
loaded from ``grammars/``."""
