"""What is redacted (renga.privacy.redaction): a corpus of realistic secrets in the contexts they
are found in must be gone from the redacted text, ordinary code must come back unchanged, and
renga's prompt scaffolding is never touched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import sysconfig
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from renga.config import PrivacySettings, Settings
from renga.privacy import Privacy, find_secrets, redact, redact_body

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]


def settings(*exclude: str, redact_secrets: bool = True) -> Settings:
    return Settings(privacy=PrivacySettings(exclude=list(exclude), redact_secrets=redact_secrets))


# -- the secrets corpus ----------------------------------------------------------------------


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(rng: random.Random) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": str(rng.randrange(10**9)), "name": rand(rng, ALNUM, 8), "iat": 1700000000}
    payload = b64url(json.dumps(claims).encode())
    key = rng.randbytes(32)
    signature = b64url(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def pem(rng: random.Random, label: str) -> str:
    body = base64.b64encode(rng.randbytes(rng.choice([121, 400, 1190]))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def password(rng: random.Random) -> str:
    return (
        rand(rng, ALNUM, rng.randrange(6, 14)) + rng.choice("0123456789") + rand(rng, "!#%^&*-_", 1)
    )


# Each generator returns the secret in its real format.
GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "anthropic": lambda r: "sk-ant-api03-" + rand(r, B64URL, 93) + "AA",
    "anthropic-admin": lambda r: "sk-ant-admin01-" + rand(r, B64URL, 93) + "AA",
    "openai-project": lambda r: "sk-proj-" + rand(r, B64URL, 74) + "T3BlbkFJ" + rand(r, B64URL, 74),
    "openai-legacy": lambda r: "sk-" + rand(r, ALNUM, 20) + "T3BlbkFJ" + rand(r, ALNUM, 20),
    "openai-svcacct": lambda r: "sk-svcacct-" + rand(r, B64URL, 120),
    "aws-access-key-id": lambda r: (
        r.choice(["AKIA", "ASIA"]) + rand(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    ),
    "github-classic": lambda r: (
        r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + rand(r, ALNUM, 36)
    ),
    "github-fine-grained": lambda r: "github_pat_" + rand(r, ALNUM, 22) + "_" + rand(r, ALNUM, 59),
    "gitlab": lambda r: "glpat-" + rand(r, B64URL, 20),
    "slack-bot": lambda r: (
        f"xoxb-{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-" + rand(r, ALNUM, 24)
    ),
    "slack-user": lambda r: (
        f"xoxp-{r.randrange(10**11, 10**12)}-{r.randrange(10**11, 10**12)}-"
        f"{r.randrange(10**12, 10**13)}-" + rand(r, HEX, 32)
    ),
    "slack-webhook": lambda r: (
        "https://hooks.slack.com/services/T"
        + rand(r, string.ascii_uppercase + string.digits, 8)
        + "/B"
        + rand(r, string.ascii_uppercase + string.digits, 10)
        + "/"
        + rand(r, ALNUM, 24)
    ),
    "stripe-secret": lambda r: (
        r.choice(["sk_live_", "sk_test_", "rk_live_"]) + rand(r, ALNUM, r.choice([24, 99]))
    ),
    "stripe-webhook": lambda r: "whsec_" + rand(r, ALNUM, 32),
    "google-api-key": lambda r: "AIza" + rand(r, B64URL, 35),
    "google-oauth-secret": lambda r: "GOCSPX-" + rand(r, B64URL, 28),
    "google-oauth-token": lambda r: "ya29.a0" + rand(r, B64URL, 150),
    "huggingface": lambda r: "hf_" + rand(r, ALNUM, 34),
    "npm": lambda r: "npm_" + rand(r, ALNUM, 36),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + rand(r, B64URL, 120),
    "sendgrid": lambda r: "SG." + rand(r, B64URL, 22) + "." + rand(r, B64URL, 43),
    "mailgun": lambda r: "key-" + rand(r, HEX, 32),
    "digitalocean": lambda r: "dop_v1_" + rand(r, HEX, 64),
    "shopify": lambda r: "shpat_" + rand(r, HEX, 32),
    "jwt": jwt,
}

# Contexts a token appears in; {s} is the secret.
TOKEN_CONTEXTS = [
    'client = Client(api_key="{s}")\n',
    "const token = '{s}';\n",
    "export const config = {{ key: `{s}` }};\n",
    "KEY={s}\n",
    "headers:\n  X-Api-Key: {s}\n",
    '{{"credentials": {{"value": "{s}"}}}}\n',
    "curl -H 'x-api-key: {s}' https://api.example.com/v1\n",
    "# old key, rotated: {s}\n",
    'let k = "{s}".to_string();\n',
    '    cfg.Set("k", "{s}")\n',
]

PASSWORD_CONTEXTS = [
    'password = "{s}"\n',
    "DB_PASSWORD = '{s}'\n",
    'db_password: str = "{s}"\n',
    '  "password": "{s}",\n',
    "    :password => '{s}',\n",
    "'db_pass' => '{s}',\n",
    'String adminPassword = "{s}";\n',
    'secret := "{s}"\n',
    "export DB_PASSWORD={s}\n",
    "spring.datasource.password={s}\n",
    "  password: {s}\n",
    "postgres://app:{s}@db.internal:5432/app\n",
    'DATABASE_URL = "postgresql://admin:{s}@10.0.0.5/prod"\n',
    "mongodb+srv://svc:{s}@cluster0.abcde.mongodb.net/test\n",
    "redis://:{s}@cache:6379/0\n",
    "amqp://guest:{s}@rabbit:5672/\n",
    "https://deploy:{s}@git.example.com/repo.git\n",
    'conn = "Server=db;Database=app;User Id=sa;Password={s};"\n',
    "Driver={{ODBC Driver 18}};Server=tcp:x;Uid=app;Pwd={s};Encrypt=yes;\n",
    "client_secret = '{s}'\n",
]

BEARER_CONTEXTS = [
    "Authorization: Bearer {s}\n",
    'headers = {{"Authorization": "Bearer {s}"}}\n',
    "curl -H 'Authorization: Bearer {s}' https://api.example.com\n",
    'req.Header.Set("Authorization", "bearer {s}")\n',
]

AWS_SECRET_CONTEXTS = [
    "aws_secret_access_key = {s}\n",
    "AWS_SECRET_ACCESS_KEY={s}\n",
    '"aws_secret_access_key": "{s}"\n',
]

KEY_LABELS = [
    "RSA PRIVATE KEY",
    "PRIVATE KEY",
    "EC PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "DSA PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
]


@dataclass
class Case:
    kind: str
    secret: str
    text: str
    # Substrings that must not survive (the secret, or each line of a key's body).
    pieces: list[str]


def corpus(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for kind, make in GENERATORS.items():
        for context in TOKEN_CONTEXTS:
            secret = make(rng)
            cases.append(Case(kind, secret, context.format(s=secret), [secret]))
    for context in PASSWORD_CONTEXTS:
        for _ in range(10):
            secret = password(rng)
            cases.append(Case("password", secret, context.format(s=secret), [secret]))
    for context in BEARER_CONTEXTS:
        for _ in range(8):
            secret = rand(rng, ALNUM + "-._~", rng.randrange(24, 64))
            cases.append(Case("bearer", secret, context.format(s=secret), [secret]))
            token = jwt(rng)
            cases.append(Case("bearer-jwt", token, context.format(s=token), [token]))
    for _ in range(10):
        account_key = base64.b64encode(rng.randbytes(64)).decode()
        text = (
            "DefaultEndpointsProtocol=https;AccountName=acct"
            f"{rng.randrange(1000)};AccountKey={account_key};EndpointSuffix=core.windows.net\n"
        )
        cases.append(Case("azure-storage", account_key, text, [account_key]))
        basic = base64.b64encode(f"deploy:{password(rng)}".encode()).decode()
        text = f"curl -H 'Authorization: Basic {basic}' https://ci.example.com/api\n"
        cases.append(Case("basic-auth", basic, text, [basic]))
    for context in AWS_SECRET_CONTEXTS:
        for _ in range(5):
            secret = rand(rng, ALNUM + "/+", 40)
            cases.append(Case("aws-secret-access-key", secret, context.format(s=secret), [secret]))
    for label in KEY_LABELS:
        for _ in range(3):
            block = pem(rng, label)
            body = block.splitlines()[1:-1]
            cases.append(Case("private-key", block, f"KEY = '''\n{block}\n'''\n", body))
            # As in a service account JSON file: the newlines escaped.
            escaped = json.dumps({"type": "service_account", "private_key": block + "\n"})
            cases.append(Case("private-key-json", block, escaped, body))
        # Cut off by the context window: no END line in the text that is sent.
        block = pem(rng, label)
        head = "\n".join(block.splitlines()[:-2])
        cases.append(Case("private-key-truncated", head, f"x = 1\n{head}", head.splitlines()[1:]))
    return cases


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_redaction_suite_has_zero_leaks(seed: int) -> None:
    cases = corpus(seed)
    assert len(cases) >= 500
    leaks = []
    per_kind: Counter[str] = Counter()
    for case in cases:
        redacted, count = redact(case.text)
        per_kind[case.kind] += 1
        if count < 1 or any(piece in redacted for piece in case.pieces):
            leaks.append((case.kind, case.text, redacted))
    assert leaks == [], f"{len(leaks)} of {len(cases)} leaked: {leaks[:5]}"
    assert len(per_kind) >= 30


def test_redaction_of_a_file_full_of_secrets_leaves_the_code_around_them() -> None:
    # A key block without its END line redacts to the end of the text: leave those out here.
    cases = [c for c in corpus(seed=11) if c.kind != "private-key-truncated"]
    text = "".join(case.text for case in cases)
    redacted, count = redact(text)
    for case in cases:
        for piece in case.pieces:
            assert piece not in redacted
    assert count >= len(cases)
    assert 'client = Client(api_key="[REDACTED:anthropic]")' in redacted
    assert "postgres://app:[REDACTED:url-password]@db.internal:5432/app" in redacted
    assert "Authorization: Bearer [REDACTED:" in redacted


@pytest.mark.parametrize("before", ["# naïve → ünïcode\n", "# İstanbul İzmir\n", "# ǅ ẞ\n"])
def test_case_insensitive_secrets_after_non_ascii_text_keep_their_place(before: str) -> None:
    # Case-insensitive patterns run on a lowered copy; "İ".lower() is two characters long, which
    # would shift every span after it if the copy were used as is.
    text = (
        before
        + 'DB_PASSWORD = "Zq8vT2mK9pLx"\nheaders = {"Authorization": "Bearer abcdefghijklmnop123"}\n'
    )
    redacted, count = redact(text)
    assert count == 2
    assert redacted == (
        before + 'DB_PASSWORD = "[REDACTED:assignment]"\n'
        'headers = {"Authorization": "Bearer [REDACTED:bearer]"}\n'
    )


def test_redaction_is_stable_and_idempotent() -> None:
    text = "".join(case.text for case in corpus(seed=3)[:200])
    once, _ = redact(text)
    twice, count = redact(once)
    assert twice == once
    assert count == 0


def ordinary_sources() -> list[Path]:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted((REPO / "server").rglob("*.py")) + sorted((REPO / "grammars").rglob("*.scm"))
    for package in ("pygls", "lsprotocol", "pathspec", "platformdirs", "tree_sitter"):
        files += sorted((site / package).rglob("*.py"))
    files += sorted((site / "anthropic" / "resources").rglob("*.py"))
    return files


# Snippets of ordinary code that talk about secrets without containing any.
ORDINARY_SNIPPETS = """
token = f"renga-refactor-{uuid.uuid4().hex[:8]}"
password: "{{ vault_db_password }}"
password = os.environ["DB_PASSWORD"]
token = request.headers.get("Authorization", "").removeprefix("Bearer ")
api_key: str | None = None
if password == confirm_password:
    pass
secret_name = "prod/db"
token_type = "bearer"
max_tokens = 256
headers = {"Authorization": f"Bearer {token}"}
url = f"postgres://{user}:{password}@{host}/{db}"
const apiKey = process.env.OPENAI_API_KEY;
password_hash = bcrypt.hash(password)
DB_PASSWORD=${DB_PASSWORD}
export API_TOKEN="$(vault read -field=token secret/ci)"
password: "{{ vault_db_password }}"
git clone git@github.com:org/repo.git
http://localhost:8080/api/v1/items?page=2
ssh://git@example.com:2222/repo.git
sk-learn is not a key; task-scheduler neither
AKIA is the prefix of AWS access key ids
self.tokens = tokenize(source)
password = getpass.getpass("Password: ")
if not token: raise ValueError("token required")
"""


def test_no_false_positives_on_ordinary_code() -> None:
    files = ordinary_sources()
    assert len(files) > 200
    found = []
    size = 0
    for path in files:
        text = path.read_text("utf-8", errors="replace")
        size += len(text)
        for start, end, kind in find_secrets(text):
            found.append((str(path), kind, text[max(0, start - 30) : end + 5]))
    assert size > 2_000_000
    assert found == []
    assert find_secrets(ORDINARY_SNIPPETS) == []


def test_redact_body_covers_system_messages_and_prefill() -> None:
    key = "sk-ant-api03-" + "a1B2" * 23 + "AA"
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "system": [{"type": "text", "text": f"files: {key}"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": f"api_key = '{key}'"}]},
            {"role": "assistant", "content": f"token = '{key}"},
        ],
    }
    assert redact_body(body) == 3
    assert key not in json.dumps(body)
    assert body["model"] == "claude-haiku-4-5"


def test_privacy_redact_method() -> None:
    privacy = Privacy([], settings())
    text, count = privacy.redact("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
    assert (text, count) == ("AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]\n", 1)


def test_redacting_paragraph_by_paragraph_gives_the_same_text() -> None:
    from renga.privacy.redaction import redact_cached
    from renga.privacy.samples import corpus as placements

    texts = [p.text for p in placements(seed=4)[:600]]
    text = "\n\n".join(texts) + "\n\n  \n" + "".join(texts[:50])
    assert redact_cached(text) == redact(text)
    # A paragraph seen before costs nothing the second time, and still comes back redacted.
    again, count = redact_cached(text)
    assert count == redact(text)[1] and again == redact(text)[0]
