"""Secrets generated from the format descriptions in ``secrets.toml`` (never real keys), and a
corpus placing each format in ten kinds of file, for the tests and ``bench/privacy.py``.

A description is literal text with generators in braces: ``glptt-{hex:40}`` is ``glptt-``
followed by 40 random hex digits. In a shape sample (a whole line in some syntax), ``[[...]]``
marks the secret; elsewhere the whole sample is the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import string
import textwrap
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from renga.privacy.redaction import FORMATS, SecretFormat

ALNUM = string.ascii_letters + string.digits
ALPHABETS = {
    "alnum": ALNUM,
    "upper": string.ascii_uppercase + string.digits,
    "lower": string.ascii_lowercase + string.digits,
    "letters": string.ascii_letters,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "b64": ALNUM + "+/",
    "b64url": ALNUM + "-_",
    "digits": string.digits,
    "base32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_GENERATOR = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": str(rng.randrange(10**9)), "name": rand(rng, ALNUM, 8), "iat": 1700000000}
    payload = _b64url(json.dumps(claims).encode())
    signature = _b64url(
        hmac.new(rng.randbytes(32), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    )
    return f"{header}.{payload}.{signature}"


def pem(rng: random.Random, label: str) -> str:
    body = base64.b64encode(rng.randbytes(rng.choice([121, 400, 1190]))).decode()
    lines = textwrap.wrap(body, 70 if "OPENSSH" in label else 64)
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def password(rng: random.Random) -> str:
    return (
        rand(rng, ALNUM, rng.randrange(6, 14))
        + rng.choice(string.digits)
        + rand(rng, "!#%^&*-_", 1)
    )


def _pembody(rng: random.Random, label: str) -> str:
    """A key block as a window that starts inside it: after the header, mid-line."""
    lines = pem(rng, label).splitlines()[1:]
    cut = rng.randrange(1, 40)
    return "\n".join([lines[0][cut:], *lines[1:]])


SPECIAL: dict[str, Callable[[random.Random, str], str]] = {
    "uuid": lambda rng, _: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "password": lambda rng, _: password(rng),
    "jwt": lambda rng, _: jwt(rng),
    "pem": pem,
    "pembody": _pembody,
    "b64pem": lambda rng, label: base64.b64encode(pem(rng, label).encode()).decode(),
    "basic": lambda rng, _: base64.b64encode(f"deploy:{password(rng)}".encode()).decode(),
}


def generate(description: str, rng: random.Random) -> str:
    """A value made from ``description`` (see the module doc)."""

    def one(match: re.Match[str]) -> str:
        name, argument = match.group(1), match.group(2) or ""
        if name in ALPHABETS:
            return rand(rng, ALPHABETS[name], int(argument))
        return SPECIAL[name](rng, argument)

    return _GENERATOR.sub(one, description)


@dataclass
class Sample:
    kind: str
    text: str
    secret: str
    # The text around the secret in a shape sample, which must come back unchanged.
    before: str = ""
    after: str = ""

    @property
    def pieces(self) -> list[str]:
        """What must not survive redaction: the secret, or each line of a multi-line one."""
        lines = [line.strip().strip("\"',") for line in re.split(r"\n|\\n", self.secret)]
        return [line for line in lines if len(line) >= 8 and "-----" not in line] or [self.secret]


def sample(fmt: SecretFormat, description: str, rng: random.Random) -> Sample:
    """One sample of ``fmt``: for a shape, the generated line with its marked secret."""
    if "[[" in description:
        before, rest = description.split("[[", 1)
        inner, after = rest.split("]]", 1)
        head, secret, tail = generate(before, rng), generate(inner, rng), generate(after, rng)
        return Sample(fmt.kind, head + secret + tail, secret, head, tail)
    secret = generate(description, rng)
    return Sample(fmt.kind, secret, secret)


# How ten kinds of file hold a value: {name} (snake case), {NAME}, {dotted} and {s}, the secret.
FILE_TYPES: dict[str, list[str]] = {
    "python": [
        '{name} = "{s}"\n',
        'client = Client(api_key="{s}")\n',
        'settings = {{"{name}": "{s}"}}\n',
        "os.environ.setdefault('{NAME}', '{s}')\n",
    ],
    "javascript": [
        "const {name} = '{s}';\n",
        "export const config = {{ key: `{s}` }};\n",
        'process.env.{NAME} ??= "{s}";\n',
    ],
    "yaml": [
        "{name}: {s}\n",
        '{name}: "{s}"\n',
        "environment:\n  - {NAME}={s}\n",
        "env:\n  - name: {NAME}\n    value: {s}\n",
        "args:\n  - {s}\n",
    ],
    "json": ['{{"{name}": "{s}"}}\n', '{{"credentials": {{"value": "{s}"}}}}\n'],
    "toml": ['[service]\n{name} = "{s}"\n', "{name} = '{s}'\n"],
    "ini": ["[default]\n{name} = {s}\n", "[auth]\n{name}={s}\n"],
    "properties": ["{dotted}={s}\n", "{dotted} = {s}\n", "{dotted}: {s}\n"],
    "dockerfile": [
        "ENV {NAME}={s}\n",
        "ENV {NAME} {s}\n",
        "ARG {NAME}={s}\n",
        'RUN curl -fsS -H "Authorization: Bearer {s}" https://x.example.com/api\n',
    ],
    "shell": [
        'export {NAME}="{s}"\n',
        "{NAME}={s} ./deploy.sh\n",
        "curl -H 'x-api-key: {s}' https://api.example.com/v1\n",
    ],
    "env": ["{NAME}={s}\n", '{NAME}="{s}"\n'],
}

# A multi-line secret (a key block) in each kind of file; {e} is it with escaped line breaks.
MULTILINE_TYPES: dict[str, list[str]] = {
    "python": ['{name} = """\n{s}\n"""\n'],
    "javascript": ["const {name} = `\n{s}\n`;\n"],
    "yaml": ["{name}: |\n{indented}\n"],
    "json": ['{{"{name}": "{e}\\n"}}\n'],
    "toml": ["{name} = '''\n{s}\n'''\n"],
    "ini": ["[tls]\n{name} =\n{indented}\n"],
    "properties": ["{dotted}={e}\n"],
    "dockerfile": ['RUN printf "{e}" > /run/key\n'],
    "shell": ['export {NAME}="{s}"\n'],
    "env": ['{NAME}="{e}"\n'],
}


@dataclass
class Placement:
    kind: str
    file_type: str
    text: str
    secret: str
    # The text around the secret, which must come back unchanged (a redaction is bounded).
    before: str
    after: str

    @property
    def pieces(self) -> list[str]:
        return Sample(self.kind, self.text, self.secret).pieces


def token_formats(formats: Iterable[SecretFormat] = FORMATS) -> list[SecretFormat]:
    """The formats whose samples are tokens that may stand anywhere (not whole shapes)."""
    return [f for f in formats if not f.shape and f.samples]


def corpus(seed: int = 7, formats: Iterable[SecretFormat] = FORMATS) -> list[Placement]:
    """Every token format's samples placed in every kind of file, in every way it holds one."""
    rng = random.Random(seed)
    placements: list[Placement] = []
    for fmt in token_formats(formats):
        name = fmt.name or fmt.kind.upper().replace("-", "_") + "_KEY"
        names = {
            "name": name.lower(),
            "NAME": name.upper(),
            "dotted": name.lower().replace("_", "."),
        }
        for file_type in FILE_TYPES:
            for description in fmt.samples:
                secret = generate(description, rng)
                if "\n" in secret and not secret.startswith("-----BEGIN"):
                    # A window that starts inside a key block: the text starts with the secret.
                    templates = ["{s}\n" + FILE_TYPES[file_type][0].replace("{s}", "x1")]
                elif "\n" in secret:
                    templates = MULTILINE_TYPES[file_type]
                else:
                    templates = FILE_TYPES[file_type]
                for template in templates:
                    values = {
                        **names,
                        "s": secret,
                        "e": secret.replace("\n", "\\n"),
                        "indented": textwrap.indent(secret, "  "),
                    }
                    text = template.format(**values)
                    shown = next(
                        v for v in (secret, values["e"], values["indented"].lstrip()) if v in text
                    )
                    at = text.index(shown)
                    placements.append(
                        Placement(
                            fmt.kind,
                            file_type,
                            text,
                            shown,
                            text[:at],
                            text[at + len(shown) :],
                        )
                    )
    return placements


def format_samples(seed: int = 7, formats: Iterable[SecretFormat] = FORMATS) -> list[Sample]:
    """Every row's samples, generated once each."""
    rng = random.Random(seed)
    return [sample(f, d, rng) for f in formats for d in f.samples]
