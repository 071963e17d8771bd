"""The word index behind ``search``: so a search costs what its matches cost, not the table's size.

Halo's ``search`` is a case-insensitive substring test over a resource's ``search_fields`` (or the
record id when the text is all digits). `WordIndex` keeps, per searchable field, each lower-cased
word (``\\w+``) -> the ascending keys of the rows whose field contains it, maintained on every
write. A search for ``needle`` looks up the words that contain the needle's longest word (a scan
of the vocabulary, which grows far slower than the table), unions their key lists, and:

- when the needle is one word, that union is the answer (a substring of a word is a substring of
  the field);
- otherwise the rows holding every one of the needle's words (intersected) include every match,
  and the caller checks each candidate with the full test.

Only int-keyed, unscoped tables are indexed (their keys sort as the table's order); the others are
small and keep the scan.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Any

from halo_sandbox.mock.engine.gil import pause
from halo_sandbox.mock.engine.rows import Key, Row

_WORD = re.compile(r"\w+")


def insert_sorted(lst: list[Key], key: Key) -> None:
    if not lst or lst[-1] < key:
        lst.append(key)
    else:
        bisect.insort(lst, key)


def remove_sorted(lst: list[Key], key: Key) -> None:
    i = bisect.bisect_left(lst, key)
    if i < len(lst) and lst[i] == key:
        del lst[i]


def words(value: Any) -> set[str]:
    """The lower-cased words of a field value (none for non-strings)."""
    return set(_WORD.findall(value.lower())) if isinstance(value, str) else set()


class WordIndex:
    """Per field: word -> ascending keys of the rows whose field holds that word."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = tuple(dict.fromkeys(fields))
        self.vocab: dict[str, dict[str, list[Key]]] = {f: {} for f in self.fields}

    def add(self, key: Key, row: Row) -> None:
        for f in self.fields:
            vocab = self.vocab[f]
            for word in words(row.get(f)):
                lst = vocab.get(word)
                if lst is None:
                    vocab[word] = [key]
                else:
                    insert_sorted(lst, key)

    def remove(self, key: Key, row: Row) -> None:
        for f in self.fields:
            vocab = self.vocab[f]
            for word in words(row.get(f)):
                lst = vocab.get(word)
                if lst is not None:
                    remove_sorted(lst, key)
                    if not lst:
                        del vocab[word]

    def rebuild(self, order: list[Key], rows: dict[Key, Row]) -> None:
        """Index every row (keys visited in ascending order, so lists are built by appending)."""
        self.vocab = {f: {} for f in self.fields}
        for f in self.fields:
            vocab = self.vocab[f]
            for key in order:
                pause()
                for word in words(rows[key].get(f)):
                    lst = vocab.get(word)
                    if lst is None:
                        vocab[word] = [key]
                    else:
                        lst.append(key)

    def candidates(self, fields: Iterable[str], needle: str) -> tuple[list[Key], bool] | None:
        """``(ascending keys, exact)`` for a lower-cased ``needle`` searched in ``fields``: every row
        that matches is among the keys; ``exact`` when each of them matches (no check needed).
        ``None`` when the index cannot answer (no word in the needle, or a field not indexed)."""
        fields = tuple(fields)
        if any(f not in self.vocab for f in fields):
            return None
        found = _WORD.findall(needle)
        if not found:
            return None
        exact = len(found) == 1 and needle == found[0]
        if exact:
            lists = self._holding(fields, found[0])
            if len(lists) <= 1:
                return (lists[0] if lists else []), True
            return sorted(set().union(*lists)), True
        # every word of the needle is in the same field of a match: intersect per field, then unite
        per_field: set[Key] = set()
        for f in fields:
            common: set[Key] | None = None
            for word in sorted(set(found), key=len, reverse=True):
                holding = set().union(*self._holding((f,), word))
                common = holding if common is None else common & holding
                if not common:
                    break
            per_field |= common or set()
        return sorted(per_field), False

    def _holding(self, fields: tuple[str, ...], part: str) -> list[list[Key]]:
        """The key lists of the words of ``fields`` that contain ``part``."""
        return [lst for f in fields for word, lst in self.vocab[f].items() if part in word]
