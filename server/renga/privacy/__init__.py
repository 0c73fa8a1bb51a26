"""What never leaves the machine, in two modules applied where every byte of a prompt passes:

* :mod:`renga.privacy.paths`, what may be read: the one place that resolves a path (symlinks
  followed) and judges it against the built-in exclusions, ``.gitignore``, ``.rengaignore`` and
  the ``privacy.exclude`` setting. An excluded file gets no completions and is never context.
* :mod:`renga.privacy.redaction`, what is redacted: secrets found in the text of a request are
  replaced by ``[REDACTED:kind]`` just before it leaves; the formats are rows of
  ``secrets.toml``.
"""

from renga.privacy.paths import (
    DEFAULT_EXCLUDES,
    IGNORE_FILES,
    Privacy,
    Verdict,
    global_excludes_files,
    inside,
    resolve,
    to_path,
)
from renga.privacy.redaction import (
    FORMATS,
    REDACTED,
    SecretFormat,
    find_secrets,
    redact,
    redact_body,
)

__all__ = [
    "DEFAULT_EXCLUDES",
    "FORMATS",
    "IGNORE_FILES",
    "REDACTED",
    "Privacy",
    "SecretFormat",
    "Verdict",
    "find_secrets",
    "global_excludes_files",
    "inside",
    "redact",
    "redact_body",
    "resolve",
    "to_path",
]
