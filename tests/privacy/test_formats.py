"""The table of secret formats (renga/privacy/secrets.toml): every row's samples are found by the
row itself, every token format placed in ten kinds of file is gone from the redacted text with
the text around it untouched, and renga's own prompt survives false positives."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import pytest

from renga.context.types import CursorContext
from renga.privacy import FORMATS, find_secrets, redact, redact_body
from renga.privacy.redaction import TABLE_DATA, load
from renga.privacy.samples import FILE_TYPES, corpus, format_samples, token_formats
from renga.prompts.completion import CLOSE, HOLE, OPEN, completion_request


def test_the_table_is_well_formed() -> None:
    kinds = [f.kind for f in FORMATS]
    assert len(kinds) == len(set(kinds))
    for fmt in FORMATS:
        assert fmt.samples, f"{fmt.kind} has no samples"
        assert all(k == k.lower() for k in fmt.keywords), fmt.kind
        assert not (fmt.anchored and not fmt.keywords), fmt.kind
    assert load() == TABLE_DATA  # the file read at import is the file on disk


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.kind)
def test_every_rows_samples_are_found_by_that_row(fmt: object) -> None:
    for seed in range(3):
        for sample in format_samples(seed, [fmt]):  # type: ignore[list-item]
            redacted, count = redact(sample.text, [fmt])  # type: ignore[list-item]
            assert count >= 1, sample.text
            leaked = [p for p in sample.pieces if p in redacted]
            assert leaked == [], (sample.text, redacted)
            # Bounded: what stands around the secret in the sample comes back unchanged.
            assert redacted.startswith(sample.before), (sample.text, redacted)
            assert redacted.endswith(sample.after), (sample.text, redacted)
            # ... and by the whole table, named by this row or an earlier, more specific one.
            whole, _ = redact(sample.text)
            assert not any(p in whole for p in sample.pieces), (sample.text, whole)


def test_the_corpus_covers_sixty_formats_in_ten_kinds_of_file() -> None:
    placements = corpus(seed=1)
    assert len(token_formats()) >= 60
    assert {p.kind for p in placements} == {f.kind for f in token_formats()}
    assert set(Counter(p.file_type for p in placements)) == set(FILE_TYPES)
    assert len(FILE_TYPES) == 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_corpus_has_no_leak_and_every_redaction_is_bounded(seed: int) -> None:
    leaks, unbounded = [], []
    for p in corpus(seed):
        redacted, count = redact(p.text)
        if count == 0 or any(piece in redacted for piece in p.pieces):
            leaks.append((p.kind, p.file_type, p.text, redacted))
        elif not (redacted.startswith(p.before) and redacted.endswith(p.after)):
            unbounded.append((p.kind, p.file_type, p.text, redacted))
    assert leaks == [], f"{len(leaks)} leaks, e.g. {leaks[:3]}"
    assert unbounded == [], f"{len(unbounded)} redactions ran past the secret: {unbounded[:3]}"


# The shapes issue 13 found leaking, written out as a user would have them.
ISSUE_SHAPES = {
    "dockerfile ENV": "FROM python:3.12\nENV STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n",
    "dockerfile ARG": "ARG NPM_TOKEN=npm_Xq2Lw9ZtY8cVbN4mKp7Rs3Df6Gh1Jk0AbCdE\n",
    "yaml list item": "environment:\n  - POSTGRES_PASSWORD=Vx8dk2Lmq9Zr\n",
    "curl -u": "curl -fsS -u deploy:Tq7mZ2xLw9 https://ci.example.com/api\n",
    "mysql -p": "mysql -h db -u root -pR3dW1neSky app < dump.sql\n",
    "kubernetes env": "env:\n  - name: DB_PASSWORD\n    value: Kp4xWq9Lm2Zt\n",
    "kubeconfig": "users:\n- name: admin\n  user:\n    client-key-data: "
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVBdTFTVTFMZlZMUEhDb3pN\n",
    "docker auths": '{"auths": {"ghcr.io": {"auth": "ZGVwbG95OlRxN21aMnhMdzk="}}}\n',
    "azure storage": "AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu"
    "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==\n",
    "gitlab trigger": 'trigger_token = "glptt-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"\n',
    "mailchimp": "MAILCHIMP_KEY=3f2a9c0d1e4b5a6f7c8d9e0f1a2b3c4d-us21\n",
    "age": "AGE-SECRET-KEY-1QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
    "QPZRY9X8GF2TVDW0S\n",
    "discord webhook": "url = 'https://discord.com/api/webhooks/112233445566778899/"
    "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6nOp9qRs2tUv5wXy8zAb1dEf4h'\n",
}
SECRETS_IN_SHAPES = {
    "dockerfile ENV": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "dockerfile ARG": "npm_Xq2Lw9ZtY8cVbN4mKp7Rs3Df6Gh1Jk0AbCdE",
    "yaml list item": "Vx8dk2Lmq9Zr",
    "curl -u": "Tq7mZ2xLw9",
    "mysql -p": "R3dW1neSky",
    "kubernetes env": "Kp4xWq9Lm2Zt",
    "kubeconfig": "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt",
    "docker auths": "ZGVwbG95OlRxN21aMnhMdzk=",
    "azure storage": "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu",
    "gitlab trigger": "glptt-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "mailchimp": "3f2a9c0d1e4b5a6f7c8d9e0f1a2b3c4d-us21",
    "age": "AGE-SECRET-KEY-1QPZRY9X8GF2",
    "discord webhook": "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
}


@pytest.mark.parametrize("shape", sorted(ISSUE_SHAPES))
def test_the_shapes_that_leaked_are_redacted(shape: str) -> None:
    redacted, count = redact(ISSUE_SHAPES[shape])
    assert count >= 1 and SECRETS_IN_SHAPES[shape] not in redacted, redacted


def key_block(label: str = "RSA PRIVATE KEY", lines: int = 12) -> tuple[str, list[str]]:
    body = [("MIIEowIBAAKCAQEA" + "x9Kq2Lm7Zt4Vw8Rp" * 4)[:64]]
    body += [f"{i:02d}" + "Qz7Lp2Xk9Vm4Tw8Rb3Nc6Hd1Jf5Gs0Ya"[i % 7 :] * 2 for i in range(lines)]
    body = [line[:64] for line in body]
    return f"-----BEGIN {label}-----\n" + "\n".join(body) + f"\n-----END {label}-----\n", body


@pytest.mark.parametrize("cut", [0, 5, 20, 63, 64, 65, 300])
def test_a_key_block_cut_anywhere_is_redacted_to_its_last_line_and_no_further(cut: int) -> None:
    block, body = key_block()
    start = block.index("\n") + 1 + cut  # the window starts inside the block, after the header
    text = block[start:] + "\ndef after():\n    return 1\n"
    redacted, count = redact(text)
    assert count >= 1
    assert not any(line[-30:] in redacted for line in body if line[-30:] in text), redacted
    assert redacted.endswith("\ndef after():\n    return 1\n")
    # ... and cut at the other end (no END line): the code before it stays.
    end = block.index("\n", 64 * 5)
    head = "x = 1\n" + block[:end]
    redacted, _ = redact(head)
    assert redacted.startswith("x = 1\n[REDACTED:private-key]")
    assert "-----BEGIN" not in redacted


def test_a_file_that_names_a_pem_header_keeps_everything_after_it() -> None:
    text = (
        'PEM_HEADER = "-----BEGIN PRIVATE KEY-----"\n'
        'PEM_FOOTER = "-----END PRIVATE KEY-----"\n\n'
        "def is_pem(data: str) -> bool:\n    return data.startswith(PEM_HEADER)\n"
    )
    assert redact(text) == (text, 0)


def prompt_around(prefix: str, suffix: str) -> dict[str, Any]:
    ctx = CursorContext(
        path="app/keys.py",
        language="python",
        prefix=prefix,
        suffix=suffix,
        first_line=0,
        sections=[],
        multiline=True,
    )
    return completion_request(ctx, max_tokens=64).body("claude-haiku-4-5", prefill=True)


@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [
        # A PEM header with the hole right after it: the marker and the instructions stay.
        ('PEM_HEADER = "-----BEGIN PRIVATE KEY-----', '"\n'),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9Kq2Lm7Zt4Vw8Rpx9Kq2Lm7Zt4Vw8Rpx9Kq2Lm",
            "",
        ),
        # A URL password cut by the hole, a key split around it.
        ('DSN = "postgres://app:hunter2', '@db:5432/app"\n'),
        ('API_KEY = "sk-ant-api03-abcdefghijklmnopqrstu', 'vwxyz0123456789"\n'),
        ("password = ", "\n"),
    ],
)
def test_a_redaction_never_touches_the_prompt_scaffolding(prefix: str, suffix: str) -> None:
    body = prompt_around(prefix, suffix)
    redact_body(body)
    sent = json.dumps(body)
    user = "".join(block["text"] for block in body["messages"][0]["content"])  # type: ignore[index]
    assert user.count(HOLE) == 2, user  # in the file and in the instruction
    assert '<file path="app/keys.py"' in user and "\n</file>\n" in user
    assert user.endswith(f"Fill {HOLE} with a line or a block.")
    assert OPEN in sent and CLOSE in sent


def test_the_scaffolding_pattern_matches_the_prompts_own_pieces() -> None:
    keep = TABLE_DATA.keep
    for piece in (HOLE, OPEN, CLOSE, '<file path="a.py" language="python" first_line="1">'):
        assert keep.fullmatch(piece), piece
    for piece in ("</file>", '<context kind="definition" source="a.py:3">', "</context>"):
        assert keep.fullmatch(piece), piece


def test_find_secrets_spans_are_sorted_and_disjoint() -> None:
    text = "".join(p.text for p in corpus(seed=5)[:400])
    spans = find_secrets(text)
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
