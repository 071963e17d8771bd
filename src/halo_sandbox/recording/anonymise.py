"""Deterministic anonymisation of recorded records: the same input always gives the same fake.

`Anonymiser` replaces, in the records of a tenant (in its configuration tables, only e-mail addresses
and phone numbers):

- every string of a field named like a person (``name`` of users and agents, ``reportedby``, ``who``,
  ``contact``, ``username``...): a fake person's name (``firstname``, ``surname``: a fake first or last
  name);
- ``name`` of clients, sites and suppliers: a fake organisation;
- every string that holds an e-mail address, or of a field named ``*email*``: fake addresses at
  ``example.com`` (one per address, lists keep their separators);
- fields named ``*phone*``, ``*mobile*``, ``*fax*``, ``*tel*``: a fake number ``+44 20 7946 0xxx``
  (Ofcom's range reserved for drama);
- attachment file names: ``attachment-<hash>.<ext>`` (the extension stays), and their bytes (by the
  recorder: a placeholder text);
- address fields (``*address*``, ``line1``-``line5``, ``postcode``, ``town``, ``city``, ``county``...):
  a fake street line;
- every other string (summaries, details, action notes, e-mail bodies, custom field values, line
  descriptions, KB text...): fake words of about the same length (HTML stays HTML: ``<p>...</p>``).

Kept as they are: ids, numbers, booleans, dates (strings that are ISO dates), GUIDs, the category
paths tickets carry (``category_1``-``category_4``, configuration), and strings of digits only (other
than phone fields).

The fakes come from HMAC-SHA256 of the value under a key: a recording draws a random key (kept in its
partial file while it runs, so a resumed recording stays consistent, and never written to the snapshot),
so nobody can test a guessed name against the fakes. ``key`` makes runs reproducible.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

__all__ = ["CONFIGURATION_TABLES", "Anonymiser"]

CONFIGURATION_TABLES = frozenset(
    {"slas", "priorities", "statuses", "ticket_types", "teams", "categories", "outcomes"}
)
"""Tables recorded as they are: they describe how the tenant works, not who it serves."""

_FIRST = (
    "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Rowan Harper Reese Emerson Parker Drew "
    "Logan Skyler Charlie Finley Hayden Kendall Blair Dakota Elliot Frankie Jesse Kai Lane Micah Noel Robin"
).split()
_LAST = (
    "Ashdown Birch Calloway Dalton Everly Fairhurst Garrick Holloway Ingram Jessop Kingsley Lockwood "
    "Marlow Northcott Oakley Penrose Quarry Radcliffe Stanton Thorne Underhill Vance Whitlock Yardley "
    "Ainsworth Brook Carver Denholm Ellison Foxley Greaves Hartley"
).split()
_ORG_A = "Northwind Bluepeak Silverline Oakridge Redstone Brightwater Ironbridge Greenfield Clearview".split()
_ORG_B = "Logistics Holdings Partners Systems Foods Engineering Health Media Supplies Labs Group".split()
_ORG_C = ("Ltd", "plc", "LLP", "Inc", "GmbH", "& Co")
_STREETS = "Mill Church Station Park Victoria Albert Queen High Kings Manor Orchard Meadow".split()
_STREET_KIND = "Road Street Lane Avenue Close Way Gardens Drive".split()
_WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea "
    "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur"
).split()

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DIGITS = re.compile(r"^[\d\s.,:-]*$")
_HTML = re.compile(r"<[a-zA-Z/][^>]*>")

_PERSON_FIELDS = re.compile(
    r"(^|_)(first_?name|sur_?name|last_?name|reportedby|who|contact(_name)?|user_?name|agent_?name|"
    r"display_?name|login|initials|signature|owner|createdby|lastupdatedby|assigned_agent_name)$"
)
_PERSON_TABLES = frozenset({"users", "agents"})
_ORG_TABLES = frozenset({"clients", "sites"})
_PHONE_FIELDS = re.compile(r"phone|mobile|fax|(^|_)tel($|_)")
_ADDRESS_FIELDS = re.compile(r"address|^line\d|_line\d|postcode|post_code|zip|street|town|city|county|region")
_DEFINITION = frozenset({"id", "name", "label", "type", "usage", "field_id"})
_KEPT_FIELDS = frozenset({"category_1", "category_2", "category_3", "category_4", "guid", "colour", "color"})


class Anonymiser:
    """Replaces what identifies people and organisations in recorded rows (see the module's list)."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)

    # -- rows --------------------------------------------------------------------------------------
    def row(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """The row with every identifying string replaced; in a configuration table, only e-mail
        addresses and phone numbers (a team's mailbox, an SLA's contact)."""
        if table in CONFIGURATION_TABLES:
            return {name: self._contact(name.lower(), value) for name, value in row.items()}
        return {name: self._value(table, name, value) for name, value in row.items()}

    def _contact(self, field: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return value
        if _DATE.match(value):  # `lastincomingemail` holds a date, not an address
            return value
        if "email" in field or _EMAIL.search(value):
            return self.emails(value)
        if _PHONE_FIELDS.search(field):
            return self.phone(value)
        return value

    def _value(self, table: str, field: str, value: Any) -> Any:
        if isinstance(value, dict):
            if field == "customfields":  # a definition's name and label are configuration; values are not
                return {k: v if k in _DEFINITION else self._value(table, field, v) for k, v in value.items()}
            return {k: self._value(table, k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(table, field, v) for v in value]
        if not isinstance(value, str) or not value.strip():
            return value
        return self.text_for(table, field.lower(), value)

    def text_for(self, table: str, field: str, value: str) -> str:
        """The fake for one string of ``field`` in ``table`` (kept when it is a date, GUID or number)."""
        if _PHONE_FIELDS.search(field):
            return self.phone(value)
        if field == "filename":
            return self.filename(value)
        if _DATE.match(value):  # `lastincomingemail` holds a date, not an address
            return value
        if "email" in field or _EMAIL.search(value):
            return self.emails(value)
        if field in _KEPT_FIELDS or _GUID.match(value) or _DIGITS.match(value):
            return value
        if _ADDRESS_FIELDS.search(field):
            return self.address(value)
        if "first" in field and _PERSON_FIELDS.search(field):
            return self.first_name(value)
        if ("surname" in field or "last" in field) and _PERSON_FIELDS.search(field):
            return self.last_name(value)
        if _PERSON_FIELDS.search(field) or (field == "name" and table in _PERSON_TABLES):
            return self.person(value)
        if field in ("name", "client_name", "site_name", "organisation") and table in _ORG_TABLES:
            return self.organisation(value)
        if field.endswith("client_name") or field.endswith("site_name"):
            return self.organisation(value)
        return self.words(value)

    # -- fakes -------------------------------------------------------------------------------------
    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self.key, f"{kind}\0{value.strip().lower()}".encode(), hashlib.sha256).digest()

    def person(self, value: str) -> str:
        d = self._digest("person", value)
        number = int.from_bytes(d[2:4], "big") % 1000
        return f"{_FIRST[d[0] % len(_FIRST)]} {_LAST[d[1] % len(_LAST)]}-{number:03d}"

    def first_name(self, value: str) -> str:
        return _FIRST[self._digest("first", value)[0] % len(_FIRST)]

    def last_name(self, value: str) -> str:
        return _LAST[self._digest("last", value)[0] % len(_LAST)]

    def organisation(self, value: str) -> str:
        d = self._digest("org", value)
        return (
            f"{_ORG_A[d[0] % len(_ORG_A)]} {_ORG_B[d[1] % len(_ORG_B)]} "
            f"{int.from_bytes(d[2:4], 'big') % 1000:03d} {_ORG_C[d[4] % len(_ORG_C)]}"
        )

    def email(self, address: str) -> str:
        return f"person-{self._digest('email', address).hex()[:12]}@example.com"

    def emails(self, value: str) -> str:
        """Each address in ``value`` replaced (separators and order kept); text around them too."""
        found = _EMAIL.findall(value)
        if not found:
            return self.email(value)
        rest = _EMAIL.sub("\0", value)
        pieces = rest.split("\0")
        out = [self._glue(pieces[0])]
        for address, after in zip(found, pieces[1:], strict=True):
            out.append(self.email(address))
            out.append(self._glue(after))
        return "".join(out)

    def _glue(self, text: str) -> str:
        """Separators between addresses stay; any other text around them is replaced."""
        core = text.strip(" ,;<>\"'\t\r\n")
        if not any(c.isalnum() for c in core):  # separators and punctuation
            return text
        start = text.index(core)
        return text[:start] + self.words(core) + text[start + len(core) :]

    def filename(self, value: str) -> str:
        """``attachment-<hash>.<ext>``: the extension (the file's kind) stays."""
        stem, dot, ext = value.rpartition(".")
        suffix = f".{ext.lower()}" if dot and stem and 0 < len(ext) <= 8 and ext.isalnum() else ""
        return f"attachment-{self._digest('file', value).hex()[:10]}{suffix}"

    def phone(self, value: str) -> str:
        return f"+44 20 7946 0{int.from_bytes(self._digest('phone', value)[:2], 'big') % 1000:03d}"

    def address(self, value: str) -> str:
        d = self._digest("address", value)
        return f"{1 + d[0] % 200} {_STREETS[d[1] % len(_STREETS)]} {_STREET_KIND[d[2] % len(_STREET_KIND)]}"

    def words(self, value: str) -> str:
        """Fake words, about as many as ``value`` has (at least one); HTML in, one paragraph out."""
        d = self._digest("text", value)
        plain = _HTML.sub(" ", value)
        count = max(1, min(len(plain.split()), 400))
        stream = d
        while len(stream) < count:
            stream += hashlib.sha256(stream).digest()
        text = " ".join(_WORDS[b % len(_WORDS)] for b in stream[:count])
        text = text[:1].upper() + text[1:]
        return f"<p>{text}</p>" if _HTML.search(value) else text
