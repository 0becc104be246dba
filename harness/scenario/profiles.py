"""Profiles for a scenario: explicit ones, plus Faker-generated ones under a seed (same seed, same users)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from faker import Faker

from harness.scenario.model import Generate, Profiles

_UNICODE_LOCALES = ("ja_JP", "ru_RU", "el_GR", "ar_AA", "zh_CN", "hi_IN")


def generate(spec: Generate, seed: int, *, offset: int = 0) -> Iterator[dict[str, Any]]:
    """Yield `spec.count` profiles; the fractions pick which ones get each quirk, independently and seeded.

    `offset` numbers user ids and email suffixes after earlier batches, so later batches add users, not merges.
    """
    rng = random.Random(spec.seed if spec.seed is not None else seed)
    # `pick` draws from its own stream, so adding it to a scenario changes no other field of any user
    picker = random.Random(f"{spec.seed if spec.seed is not None else seed}:pick")
    fake = Faker("en_US")
    fake.seed_instance(rng.randrange(2**31))
    intl = {loc: Faker(loc) for loc in _UNICODE_LOCALES}
    for i, f in enumerate(intl.values()):
        f.seed_instance(rng.randrange(2**31) + i)
    emails: list[str] = []
    for i in range(offset, offset + spec.count):
        names = fake
        if rng.random() < spec.unicode_names:
            names = intl[rng.choice(_UNICODE_LOCALES)]
        first, last = names.first_name(), names.last_name()
        profile: dict[str, Any] = {
            "user_id": f"u{i:07d}",
            "first_name": first,
            "last_name": last,
            "city": fake.city(),
            "postal_code": fake.postcode(),
            **spec.extra,
            **{k: picker.choice(choices) for k, choices in spec.pick.items()},
        }
        roll = rng.random()
        if roll < spec.missing_email:
            pass
        elif roll < spec.missing_email + spec.bad_email:
            profile["email"] = rng.choice([f"{first}.{last}", "not-an-email", f"{last}@", "@example.com"])
        elif emails and roll < spec.missing_email + spec.bad_email + spec.duplicate_email:
            profile["email"] = rng.choice(emails)
        else:
            email = f"{fake.user_name()}.{i}@{fake.free_email_domain()}"
            if rng.random() < spec.uppercase_email:
                email = email.upper()
            emails.append(email.lower())
            profile["email"] = email
        yield profile


def all_profiles(spec: Profiles, seed: int) -> Iterator[dict[str, Any]]:
    yield from spec.explicit
    if spec.generate is not None:
        yield from generate(spec.generate, seed)
