"""Ansira user records: deterministic UUIDs, Faker-made known users, and upsert-by-email.

Everything derived from (seed, email) is a pure function of them, so the same scenario gives the same
UUIDs and the same "activity data" on every run and every machine.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from mock_ansira import reference

PROFILE_FIELDS = (
    "firstName",
    "lastName",
    "middleName",
    "address",
    "pets",
    "subscriptions",
    "petOwnershipPlan",
    "language",
    "nationality",
    "currency",
    "ext",
)
_UUID_EPOCH = datetime(1582, 10, 15, tzinfo=UTC)
_UUID_RANGE_START = datetime(2024, 1, 1, tzinfo=UTC)
_UUID_RANGE_100NS = 2 * 365 * 86_400 * 10**7
_KNOWN_SINCE = datetime(2019, 1, 1, tzinfo=UTC).timestamp()
_KNOWN_SPAN_S = 5 * 365 * 86_400

_faker_lock = threading.Lock()
_faker: Any = None


def _clone(value: Any) -> Any:
    """A copy of JSON data (dicts, lists, scalars): what deepcopy does here, at a fraction of its cost per call."""
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _hash_int(seed: int, *parts: object, size: int = 8) -> int:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:size], "big")


def user_uuid(seed: int, email: str, *, fold_case: bool = True) -> str:
    """A version-1-shaped UUID (time in 2024-2025, random multicast node) fixed by seed and email.

    Ansira's ids look time-based (`xxxxxxxx-a6ba-11ef-...`); a real v1 would differ per run, so the
    time, clock sequence and node all come from a hash instead. `fold_case=False` (case-sensitive emails)
    gives `A@x.com` and `a@x.com` different UUIDs.
    """
    digest = hashlib.sha256(f"{seed}\x00{email.lower() if fold_case else email}".encode()).digest()
    start = int((_UUID_RANGE_START - _UUID_EPOCH).total_seconds()) * 10**7
    ts = start + int.from_bytes(digest[:8], "big") % _UUID_RANGE_100NS
    clock_seq = int.from_bytes(digest[8:10], "big") & 0x3FFF
    node = int.from_bytes(digest[10:16], "big") | (1 << 40)
    fields = (
        ts & 0xFFFFFFFF,
        (ts >> 32) & 0xFFFF,
        ((ts >> 48) & 0x0FFF) | 0x1000,
        (clock_seq >> 8) | 0x80,
        clock_seq & 0xFF,
        node,
    )
    return str(uuid.UUID(fields=fields))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _get_faker() -> Any:
    global _faker
    if _faker is None:
        from faker import Faker  # deferred: Faker takes ~0.2 s to import

        _faker = Faker("en_US")
    return _faker


def fake_emails(seed: int, count: int) -> list[str]:
    """`count` distinct, lowercased, reserved-domain addresses for the seed."""
    emails: list[str] = []
    seen: set[str] = set()
    with _faker_lock:
        fake = _get_faker()
        fake.seed_instance(_hash_int(seed, "emails"))
        while len(emails) < count:
            email = f"{fake.user_name()}@{fake.safe_domain_name()}".lower()
            if email in seen:
                email = email.replace("@", f".{len(emails)}@", 1)
            seen.add(email)
            emails.append(email)
    return emails


def fake_profile(seed: int, email: str) -> dict[str, Any]:
    """Rich "activity data" for a known user: name, address, pets, plan, subscriptions."""
    with _faker_lock:
        fake = _get_faker()
        fake.seed_instance(_hash_int(seed, "profile", email.lower()))
        pets = [_fake_pet(fake) for _ in range(fake.random_int(0, 3))]
        kinds = {pet["petType"]["keyName"] for pet in pets}
        plan_key = "BOTH" if len(kinds) == 2 else (next(iter(kinds)) if kinds else "NONE")
        return {
            "firstName": fake.first_name(),
            "lastName": fake.last_name(),
            "middleName": fake.first_name() if fake.boolean(25) else None,
            "address": {
                "address1": fake.street_address(),
                "address2": fake.secondary_address() if fake.boolean(30) else None,
                "city": fake.city(),
                "state": fake.state_abbr(),
                "postalCode": fake.postcode(),
                "primaryPhone": fake.numerify("###-###-####"),
                "altPhone": fake.numerify("###-###-####") if fake.boolean(20) else None,
                "country": {"name": "United States", "keyName": "US"},
            },
            "pets": pets,
            "petOwnershipPlan": reference.by_key("petownershipplans", plan_key),
            "subscriptions": sorted(fake.random_elements(["PE", "PP", "PU"], length=2, unique=True)),
            "language": "en",
            "nationality": "US",
            "currency": "USD",
            "ext": [],
        }


def _fake_pet(fake: Any) -> dict[str, Any]:
    born = fake.date_between_dates(date(2008, 1, 1), date(2023, 12, 31))
    return {
        "name": fake.first_name(),
        "petType": {"keyName": fake.random_element(["DOG", "CAT"])},
        "size": fake.random_element(["SMALL", "MEDIUM", "LARGE"]),
        "birthDate": born.isoformat(),
        "adoptionDate": fake.date_between_dates(born, date(2024, 6, 30)).isoformat(),
        "color": fake.safe_color_name(),
        "gender": fake.random_element(["MALE", "FEMALE"]),
        "imageUrl": None,
    }


def _recount(user: dict[str, Any]) -> None:
    kinds = [((p.get("petType") or {}).get("keyName") or "").upper() for p in user.get("pets") or []]
    user["dogCount"] = kinds.count("DOG")
    user["catCount"] = kinds.count("CAT")
    user["totalPets"] = len(kinds)


def _empty(value: object) -> bool:
    return value is None or value == [] or value == {} or value == ""


class UserStore:
    """Users keyed by lowercased email, with ids handed out in creation order. Not locked: the backend is.

    `case_sensitive` (the behaviour's `emails_case_sensitive`) keys and stores emails exactly as sent, the way a
    sandbox that does not fold case would; known users are lowercased either way.
    """

    def __init__(self, seed: int, id_start: int, *, case_sensitive: bool = False) -> None:
        self.seed = seed
        self.next_id = id_start
        self.case_sensitive = case_sensitive
        self.by_email: dict[str, dict[str, Any]] = {}

    def key(self, email: str) -> str:
        return email if self.case_sensitive else email.lower()

    def __len__(self) -> int:
        return len(self.by_email)

    def get(self, email: str) -> dict[str, Any] | None:
        user = self.by_email.get(self.key(email))
        return _clone(user) if user is not None else None

    def all(self) -> list[dict[str, Any]]:
        return [_clone(u) for u in self.by_email.values()]

    def seed_known(self, emails: Iterable[str]) -> int:
        """Create known users that do not exist yet; their data comes from Faker, not from requests."""
        added = 0
        for email in emails:
            key = email.lower()
            if key in self.by_email:
                continue
            profile = fake_profile(self.seed, key)
            created = _KNOWN_SINCE + _hash_int(self.seed, "created", key) % _KNOWN_SPAN_S
            self._insert(key, profile, None, created)
            added += 1
        return added

    def generate(self, count: int) -> list[dict[str, Any]]:
        """Add `count` new known users with addresses no stored user has; returns them."""
        emails: list[str] = []
        attempt = 0
        while len(emails) < count:
            salt = _hash_int(self.seed, "generate", self.next_id, attempt) % 2**31
            for email in fake_emails(salt, count - len(emails)):
                if email not in self.by_email and email not in emails:
                    emails.append(email)
            attempt += 1
        self.seed_known(emails)
        return [_clone(self.by_email[e]) for e in emails]

    def put(self, record: Mapping[str, Any], source_codes: Sequence[str], now: float) -> dict[str, Any]:
        """Create or overwrite one user from an admin seed record (its fields win over Faker's)."""
        key = str(record["email"]).lower()
        profile = {**fake_profile(self.seed, key), **{k: record[k] for k in PROFILE_FIELDS if k in record}}
        source = record.get("sourceCode")
        self.by_email.pop(key, None)
        source_key = source.get("keyName") if isinstance(source, Mapping) else None
        user = self._insert(key, profile, source_key, now, source_codes=source_codes)
        return _clone(user)

    def upsert(self, body: Mapping[str, Any], source_codes: Sequence[str], now: float) -> tuple[dict[str, Any], bool]:
        """Create the user (True) or return the existing one (False), filling only fields it lacks."""
        key = self.key(str(body["email"]))
        source_key = body["sourceCode"]["keyName"]
        existing = self.by_email.get(key)
        if existing is None:
            profile = {k: body[k] for k in PROFILE_FIELDS if k in body}
            user = self._insert(key, profile, source_key, now, source_codes=source_codes)
            return _clone(user), True
        changed = False
        for field in PROFILE_FIELDS:
            if field in body and _empty(existing.get(field)) and not _empty(body[field]):
                existing[field] = _clone(body[field])
                changed = True
        last = _source_ref(source_key, source_codes)
        if existing.get("lastSourceCode") != last:
            existing["lastSourceCode"] = last
            changed = True
        if changed:
            _recount(existing)
            existing["updatedAt"] = iso(now)
        return _clone(existing), False

    def _insert(
        self,
        key: str,
        profile: Mapping[str, Any],
        source_key: str | None,
        now: float,
        *,
        source_codes: Sequence[str] = (),
    ) -> dict[str, Any]:
        ref = _source_ref(source_key, source_codes) if source_key else None
        user: dict[str, Any] = {
            "id": self.next_id,
            "uuid": user_uuid(self.seed, key, fold_case=not self.case_sensitive),
            "email": key,
            **{field: None for field in PROFILE_FIELDS},
            "pets": [],
            "subscriptions": [],
            "ext": [],
            **_clone(dict(profile)),
            "sourceCode": ref,
            "lastSourceCode": ref,
            "enabled": True,
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "deletedAt": None,
        }
        _recount(user)
        self.next_id += 1
        self.by_email[key] = user
        return user


def _source_ref(key: str, source_codes: Sequence[str]) -> dict[str, Any]:
    ref = reference.by_key("sourcecodes", key, source_codes)
    return dict(ref) if ref is not None else {"keyName": key}
