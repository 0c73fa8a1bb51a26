"""renga: a language server that puts Claude into every editor."""

__version__ = "0.1.0"
