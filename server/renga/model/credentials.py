"""What the configured provider still needs before a model call can be made.

Kept apart from ``client.py`` (the HTTP client and, on first use, the anthropic SDK) so that
``renga complete`` without a key says so before importing either.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from renga.config import Settings


def _extra_install(extra: str) -> str:
    # renga installs from a checkout (it is not on the package index), into its own environment.
    return f"run `{sys.executable} -m pip install '.[{extra}]'` in the renga checkout"


def credentials_problem(settings: Settings, environ: Mapping[str, str] | None = None) -> str | None:
    """What is missing for the configured provider, in words for the user; None when ready."""
    env = os.environ if environ is None else environ
    if settings.provider == "anthropic":
        if env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN"):
            return None
        return (
            "no API key: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), or choose the bedrock "
            "or vertex provider (setting `provider`, or RENGA_PROVIDER)"
        )
    if settings.provider == "bedrock":
        missing = []
        if not (settings.aws_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
            missing.append("AWS_REGION (or the `awsRegion` setting)")
        try:
            import boto3  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
        except ImportError:
            missing.append(f"the bedrock extra: {_extra_install('bedrock')}")
        return "Bedrock needs " + " and ".join(missing) if missing else None
    missing = []
    if not (settings.vertex_region or env.get("CLOUD_ML_REGION")):
        missing.append("CLOUD_ML_REGION (or the `vertexRegion` setting)")
    if not (settings.vertex_project_id or env.get("ANTHROPIC_VERTEX_PROJECT_ID")):
        missing.append("ANTHROPIC_VERTEX_PROJECT_ID (or the `vertexProjectId` setting)")
    try:
        import google.auth  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        missing.append(f"the vertex extra: {_extra_install('vertex')}")
    return "Vertex AI needs " + " and ".join(missing) if missing else None
