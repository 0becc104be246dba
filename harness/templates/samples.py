"""Profiles to render a template against: seeded Faker profiles plus hand-made edge cases.

Realistic samples stand for members of the source audience ("EXISTS email AND NOT EXISTS ansira_uuid"), so
each carries a valid, lowercase email; other fields are missing from about one profile in ten, as real
profiles are patchy. Edge cases take one complete profile and spoil one field at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

LONG_LENGTH = 1_000_001  # one past Ansira's/Lytics' 1 MB body limit, so a value copied verbatim trips it
MISSING_RATE = 0.1
UNICODE_TEXT = "Zoë Ñandú 测试 🐶"
UNICODE_EMAIL = "zoë.ñandú@exämple.com"


@dataclass(frozen=True)
class Sample:
    label: str  # how reports name it: "sample #12", "edge case: email = null"
    profile: dict[str, Any]
    edge: bool = False


def _generators(fake: Faker) -> dict[str, Callable[[], Any]]:
    return {
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "phone": fake.phone_number,
        "city": fake.city,
        "state": fake.state_abbr,
        "postal_code": fake.postcode,
        "country": fake.country_code,
        "_uid": lambda: fake.hexify("^" * 32),
        "_created": lambda: fake.date_time_between("-3y", "-1d", tzinfo=UTC).isoformat(),
    }


def _value_for(name: str, fake: Faker) -> Any:
    """A plausible value for an exported field the base schema lacks, guessed from its name."""
    low = name.lower()
    if "email" in low:
        return fake.email()
    if "phone" in low:
        return fake.phone_number()
    if "zip" in low or "postal" in low:
        return fake.postcode()
    if "uuid" in low:
        return fake.uuid4()
    if low.endswith(("_at", "_date", "_ts", "date")):
        return fake.date_time_between("-3y", "-1d", tzinfo=UTC).isoformat()
    if low.endswith(("_ct", "count", "_num")) or low.startswith("num_"):
        return fake.random_int(0, 50)
    if "first" in low and "name" in low:
        return fake.first_name()
    if "last" in low and "name" in low:
        return fake.last_name()
    if "name" in low:
        return fake.name()
    if low.startswith(("is_", "has_")):
        return fake.boolean()
    if "code" in low or "key" in low:
        return fake.bothify("??####").upper()
    return fake.word()


def realistic(n: int, *, seed: int, extra_fields: Iterable[str] = ()) -> list[Sample]:
    """`n` seeded profiles: the base schema plus a value for each of `extra_fields` (e.g. the export list)."""
    fake = Faker()
    fake.seed_instance(seed)
    gens = _generators(fake)
    extras = sorted({f for f in extra_fields if f not in gens and f != "email" and f != "segment_events"})
    out: list[Sample] = []
    for i in range(n):
        profile: dict[str, Any] = {"email": fake.email()}
        for name, gen in gens.items():
            value = gen()
            if name.startswith("_") or fake.random.random() >= MISSING_RATE:
                profile[name] = value
        for name in extras:
            value = _value_for(name, fake)
            if fake.random.random() >= MISSING_RATE:
                profile[name] = value
        out.append(Sample(f"sample #{i + 1}", profile))
    return out


def complete_profile(*, seed: int, extra_fields: Iterable[str] = ()) -> dict[str, Any]:
    """One profile with every field present: the base the edge cases spoil."""
    fake = Faker()
    fake.seed_instance(seed + 1_000_003)
    profile: dict[str, Any] = {"email": fake.email()}
    profile.update({name: gen() for name, gen in _generators(fake).items()})
    for name in sorted(set(extra_fields) - set(profile) - {"segment_events"}):
        profile[name] = _value_for(name, fake)
    return profile


def _edge_values(name: str, value: Any, base: dict[str, Any]) -> list[tuple[str, Any]]:
    is_email = isinstance(value, str) and "@" in value
    long_value = "a" * LONG_LENGTH + ("@example.com" if is_email else "")
    cases: list[tuple[str, Any]] = [
        ("null", None),
        ('""', ""),
        ("unicode", UNICODE_EMAIL if is_email else UNICODE_TEXT),
        (f"{LONG_LENGTH:,}-character value", long_value),
        ("wrong type", 12345 if isinstance(value, str) else "not-a-" + type(value).__name__),
    ]
    if is_email:
        display = f"{base.get('first_name', 'Pat')} {base.get('last_name', 'Doe')} <{value}>"
        cases += [("uppercase", value.upper()), ("display name", display)]
    return cases


def edge_cases(base: dict[str, Any], fields: Sequence[str]) -> list[Sample]:
    """Per field: missing, null, empty, unicode, very long, wrong type (+ uppercase/display-name emails)."""
    out: list[Sample] = []
    for name in fields:
        if name not in base:
            continue
        spoiled = {k: v for k, v in base.items() if k != name}
        out.append(Sample(f"edge case: {name} missing", spoiled, edge=True))
        for what, value in _edge_values(name, base[name], base):
            out.append(Sample(f"edge case: {name} {what}", {**base, name: value}, edge=True))
    return out


def segment_events(segment_ids: Sequence[str], *, seed: int) -> list[dict[str, Any]]:
    """The trigger a runner sends with an enrichment call: one `enter` into the job's first audience."""
    seg_id = segment_ids[0] if segment_ids else hashlib.md5(b"source_audience").hexdigest()
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=seed % 100_000)
    return [{"id": seg_id, "slug": "source_audience", "event": "enter", "enter": when.isoformat()}]
