"""Find which of many names occur in a text: one walk over the text through a trie of the names.

With 300 wards, their documents and thousands of glossary terms, testing each name against each
question (`name in question`) costs more than answering it; the walk costs the same however many
names there are.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

_END = ""  # the key that marks a whole name in the trie (no name has an empty character)


class NameFinder:
    """The names to look for, as a trie of their characters."""

    def __init__(self, names: Iterable[str]) -> None:
        self._root: dict = {}
        for name in names:
            node = self._root
            for character in name:
                node = node.setdefault(character, {})
            node[_END] = name

    def occurrences(self, text: str) -> Iterator[tuple[str, int]]:
        """Yield every occurrence of a name in text, as the name and where it ends."""
        for start in range(len(text)):
            node = self._root
            for end in range(start, len(text)):
                node = node.get(text[end])
                if node is None:
                    break
                if _END in node:
                    yield node[_END], end + 1

    def names_in(self, text: str) -> set[str]:
        """Return the names that occur in text."""
        return {name for name, _ in self.occurrences(text)}
