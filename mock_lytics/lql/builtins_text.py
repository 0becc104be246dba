"""String, email, URL and hash builtins (semantics checked against lytics/qlbridge `expr/builtins`).

A list argument is read as its first element, as qlbridge does for these one-value functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from .registry import register
from .values import LISTS, first_str, to_str

# ---- strings ----------------------------------------------------------------------------------------


@register("string.lowercase", "tolower", args=1, kind="string")
def lowercase(v: Any) -> str | None:
    s = first_str(v)
    return None if s is None else s.lower()


@register("string.uppercase", args=1, kind="string")
def uppercase(v: Any) -> str | None:
    s = first_str(v)
    return None if s is None else s.upper()


@register("string.titlecase", args=1, kind="string")
def titlecase(v: Any) -> str | None:
    s = first_str(v)
    return None if s is None else s.title()


@register("strip", "string.strip", args=1)
def strip(v: Any) -> str | list[str] | None:
    if isinstance(v, LISTS):
        return [s.strip(" \n\t\r") for s in (to_str(x) for x in v) if s is not None]
    s = first_str(v)
    return None if s is None else s.strip(" \n\t\r")


@register("replace", args=(2, 3), kind="string")
def replace(v: Any, old: Any, new: Any = "") -> str | None:
    s, o = first_str(v), to_str(old)
    if s is None or not o:
        return s
    return s.replace(o, to_str(new) or "")


@register("contains", args=2, kind="bool")
def contains(v: Any, sub: Any) -> bool | None:
    s, n = first_str(v), to_str(sub)
    if s is None or not n:
        return None
    return n in s


@register("hasprefix", args=2, kind="bool")
def hasprefix(v: Any, prefix: Any) -> bool | None:
    p = to_str(prefix)
    if not p:
        return None
    return (first_str(v) or "").startswith(p)


@register("hassuffix", args=2, kind="bool")
def hassuffix(v: Any, suffix: Any) -> bool | None:
    p = to_str(suffix)
    if not p:
        return None
    return (first_str(v) or "").endswith(p)


@register("split", "string.split", args=2, kind="[]string")
def split(v: Any, sep: Any) -> list[str] | None:
    s, d = first_str(v), to_str(sep)
    if s is None or d is None:
        return None
    return s.split(d) if d else list(s)


@register("join", args=(2, None), kind="string")
def join(*args: Any) -> str | None:
    """join(a, b, ..., sep): the last argument is the separator; lists are spread, empties skipped."""
    sep = to_str(args[-1])
    if sep is None:
        return None
    parts: list[str] = []
    for v in args[:-1]:
        for item in v if isinstance(v, LISTS) else (v,):
            s = to_str(item)
            if s:
                parts.append(s)
    return sep.join(parts) if parts else None


# ---- email ------------------------------------------------------------------------------------------

# Character sets only; the dot-atom and hostname-label rules are checked in code (a cheaper, flat regex).
_ADDR = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+)@([A-Za-z0-9.-]+)")
_QUOTED_PAIR = re.compile(r"\\(.)")


def parse_address(text: str) -> tuple[str, str, str] | None:
    """(name, local part, domain) from "Bob <bob@x.com>" or "bob@x.com" (roughly Go net/mail's rules)."""
    name, addr = "", text.strip()
    if addr.endswith(">"):  # "Display Name <addr>": string ops, not a regex, as this runs on every event
        lt = addr.rfind("<")
        if lt == -1:
            return None
        name, addr = addr[:lt].strip(), addr[lt + 1 : -1].strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = _QUOTED_PAIR.sub(r"\1", name[1:-1]) if "\\" in name else name[1:-1]
        elif '"' in name or "<" in name or ">" in name:
            return None
    a = _ADDR.fullmatch(addr)
    if a is None:
        return None
    local, domain = a.groups()
    if local[0] == "." or local[-1] == "." or ".." in local:
        return None
    if domain[0] in ".-" or domain[-1] in ".-" or ".." in domain or ".-" in domain or "-." in domain:
        return None  # an empty label, or a label starting or ending with a hyphen
    return name, local, domain


@register("email", args=1, kind="string")
def email(v: Any) -> str | None:
    """The bare address, lower-cased: email("Bob <Bob@X.com>") -> "bob@x.com"; not an email -> None."""
    s = first_str(v)
    parsed = parse_address(s) if s else None
    return None if parsed is None else f"{parsed[1]}@{parsed[2]}".lower()


@register("emailname", args=1, kind="string")
def emailname(v: Any) -> str | None:
    s = first_str(v)
    parsed = parse_address(s) if s else None
    return None if parsed is None or not parsed[0] else parsed[0]


@register("emaildomain", args=1, kind="string")
def emaildomain(v: Any) -> str | None:
    s = first_str(v)
    parsed = parse_address(s) if s else None
    return None if parsed is None else parsed[2].lower()


# ---- urls -------------------------------------------------------------------------------------------

# Multi-label public suffixes common in marketing data; a full Public Suffix List is not bundled.
_SUFFIXES_2 = frozenset(
    f"{sld}.{tld}"
    for tld, slds in {
        "uk": "co org ac gov me ltd plc net sch nhs", "au": "com net org edu gov asn id",
        "nz": "co org net ac govt geek", "jp": "co ne or ac go", "br": "com net org gov",
        "mx": "com org gob", "cn": "com net org gov", "tw": "com org", "hk": "com org", "in": "co net org",
        "za": "co org", "sg": "com org", "tr": "com org", "kr": "co or", "ar": "com org", "il": "co org",
    }.items()
    for sld in slds.split()
)  # fmt: skip


def _split_url(v: Any, *, lower: bool = True) -> Any:
    s = first_str(v)
    if s is None:
        return None
    s = s.strip()
    if lower:
        s = s.lower()
    if "://" not in s[:12] and not s.startswith("/"):
        s = "http://" + s
    return urlsplit(s)


@register("url", "urlmain", args=1, kind="string")
def url(v: Any) -> str | None:
    """host + path with scheme, query string and fragment removed: "Example.com/a?b=1" -> "example.com/a"."""
    u = _split_url(v, lower=False)
    if u is None or not u.hostname:
        return None
    return f"{u.hostname}{u.path}"


@register("host", args=1, kind="string")
def host(v: Any) -> str | None:
    u = _split_url(v)
    return None if u is None or not u.netloc else u.netloc.rsplit("@", 1)[-1]


@register("path", args=1, kind="string")
def path(v: Any) -> str | None:
    u = _split_url(v)
    return None if u is None or not u.path else u.path


@register("domain", args=1, kind="string")
def domain(v: Any) -> str | None:
    """Registered domain (eTLD+1): "http://www.shop.example.co.uk/x" -> "example.co.uk"."""
    u = _split_url(v)
    name = u.hostname if u is not None else None
    if not name or "." not in name or re.fullmatch(r"[\d.]+", name):
        return None
    labels = name.strip(".").split(".")
    keep = 3 if ".".join(labels[-2:]) in _SUFFIXES_2 else 2
    return ".".join(labels[-keep:]) if len(labels) >= keep else None


def _qs(v: Any, param: Any, *, lower: bool) -> str | None:
    key = to_str(param)
    u = _split_url(v, lower=lower)
    if u is None or not key:
        return None
    vals = parse_qs(u.query).get(key)
    return vals[0] if vals and vals[0] else None


@register("qs", args=2, kind="string")
def qs(v: Any, param: Any) -> str | None:
    """Query-string value. Like Lytics' (deprecated) qs, the URL is lower-cased first; qs2 keeps case."""
    return _qs(v, param, lower=True)


@register("qs2", args=2, kind="string")
def qs2(v: Any, param: Any) -> str | None:
    return _qs(v, param, lower=False)


@register("urldecode", args=1, kind="string")
def urldecode(v: Any) -> str | None:
    s = first_str(v)
    return None if s is None else unquote_plus(s, errors="strict")


# ---- hashes and encodings ---------------------------------------------------------------------------


def _hasher(algo: str) -> Any:
    def fn(v: Any) -> str | None:
        s = first_str(v)
        return None if s is None else hashlib.new(algo, s.encode("utf-8")).hexdigest()

    fn.__name__ = f"hash_{algo}"
    return fn


for _algo in ("md5", "sha1", "sha256", "sha512"):
    register(f"hash.{_algo}", args=1, kind="string")(_hasher(_algo))


@register("encoding.b64encode", args=1, kind="string")
def b64encode(v: Any) -> str | None:
    s = first_str(v)
    return None if s is None else base64.b64encode(s.encode("utf-8")).decode("ascii")


@register("encoding.b64decode", args=1, kind="string")
def b64decode(v: Any) -> str | None:
    s = first_str(v)
    if s is None:
        return None
    try:
        return base64.b64decode(s, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None

