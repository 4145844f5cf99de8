"""Words residents type in kana (まいなんばーかーど, でんししんせい, たいとうく) → the corpus's words, by reading.

Sudachi cuts a run of hiragana it does not know into meaningless pieces, which match nothing. The
index keeps the katakana readings of the corpus's nouns and compounds, of the synonym file's words
and of the ward names; a question's hiragana runs are walked once against them, and the longest match
at each place is written as the word it reads, before the question is analysed.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

TO_KATAKANA = str.maketrans({chr(code): chr(code + 0x60) for code in range(0x3041, 0x3097)})
KATAKANA = re.compile(r"[ァ-ヺー]+")
# Shorter readings match parts of other words by chance (カード in ばーかーど, シセイ in しせいかつ).
MIN_READING = 4
# Runs of hiragana only: katakana is how the documents write loanwords already, and a katakana word Sudachi
# knows (パーセント) must stay the word it is.
KANA_RUN = re.compile(rf"[ぁ-ゖー]{{{MIN_READING},}}")
# Where a word typed in kana can start inside a run of kana: after a particle (区の|まいなんばーかーど), not after
# other kana, which would find words across grammar (されないように has ないよう, 内容).
PARTICLES = frozenset("のをはがでにともへや")
# What may follow a word typed in kana inside a run: a particle, or the kana that start the particles and endings
# residents put after a noun (って, から, まで, だけ, など, じゃ, する, して, される, ね, よ). Anything else means the
# reading was only the start of a longer word the corpus lacks (せんたくき is 洗濯機, not 選択 + き).
WORD_FOLLOWERS = PARTICLES | frozenset("かっまだなじねよすしさ")
KANJI = re.compile(r"[\u3400-\u9fff々〆]")
_WORD = ""  # the key that marks a whole reading in the trie (no reading has an empty character)
# How many kinds of (as written, as read) pairs a build counts at most. A corpus of many wards holds far more
# compounds than words, most of them seen once; past this many, the rarest are dropped, so that the build, its
# cache and every worker holding the speller stay bounded in memory (this corpus counts about 7,600).
MAX_COUNTED_READINGS = 60_000


class ReadingCounts(Counter):
    """Counts of (as written, as read) pairs that drop the rarest whenever more than MAX_COUNTED_READINGS are held."""

    def update(self, iterable=None, /, **kwds) -> None:
        """Count the pairs; when too many kinds are held, drop the rarest down to half of the bound."""
        super().update(iterable, **kwds)
        if len(self) <= MAX_COUNTED_READINGS:
            return
        rarest = 1
        while len(self) > MAX_COUNTED_READINGS // 2:
            for pair in [pair for pair, count in self.items() if count <= rarest]:
                del self[pair]
            rarest += 1


# Residents who write in kana often leave a space after each phrase (くの ほーむぺーじに ある): written Japanese
# puts none there, and the patterns that read a question (どういうもの, いつまで) would not see across it. A space
# between two nouns (マイナンバー　コンビニ) separates keywords and stays.
_JAPANESE = r"[ぁ-ゖァ-ヺー\u3400-\u9fff々]"
PHRASE_SPACE = re.compile(rf"(?<=[ぁ-ゖ])\s+(?={_JAPANESE})|(?<={_JAPANESE})\s+(?=[ぁ-ゖ])")
# A phrase typed in hiragana on its own, between spaces or punctuation (すまほは, くの, じしんの): its start is
# a word's start, so a word shorter than MIN_READING can be read there when the rest of it is particles only.
PHRASE = re.compile(r"(?:^|(?<=[\s、。，,！？!?]))[ぁ-ゖー]{1,8}(?=$|[\s、。，,！？!?])")
PHRASE_PARTICLES = re.compile(r"(?:の|を|は|が|で|に|と|も|へ|や|って|から|まで|より|など|だけ|でも)*(?:です|ですか|でしょう|でしょうか|か|かな)?")


class KanaSpeller:
    """The corpus's words by their readings, as a trie of katakana; short ones apart, read only as a phrase of their own."""

    def __init__(self, words: dict[str, str]) -> None:
        self._root: dict = {}
        self._short: dict[str, str] = {}
        for reading, word in words.items():
            if len(reading) < MIN_READING:
                self._short[reading] = word
                continue
            node = self._root
            for character in reading:
                node = node.setdefault(character, {})
            node[_WORD] = word

    @classmethod
    def from_readings(cls, readings: Counter[tuple[str, str]], same_word: Callable[[str, str], bool]) -> KanaSpeller:
        """Keep each reading (≥ MIN_READING kana) that reads one word only, written as it is written most often.

        readings counts (as written, as read) pairs; same_word says whether two ways of writing are one
        word (取組/取り組み, or synonyms): a reading of two different words is left out, as a guess would mislead.
        A word the corpus writes in hiragana stays as typed, and keeps its kana from being read as another.
        """
        written: dict[str, Counter[str]] = {}
        for (surface, reading), count in readings.items():
            if KATAKANA.fullmatch(reading) and not any(c.isdigit() for c in surface):
                written.setdefault(reading, Counter())[surface] += count
        words = {}
        for reading, surfaces in written.items():
            (best, _), *others = surfaces.most_common()
            if all(same_word(best, other) for other, _ in others):
                words[reading] = best
        return cls(words)

    def spell(self, text: str) -> str:
        """Return text with the words typed in kana written as the corpus writes them, and no space between phrases."""
        return PHRASE_SPACE.sub("", self._spell_phrases(self._spell_runs(text)))

    def _spell_phrases(self, text: str) -> str:
        """Return text with each phrase of its own that is a short word and particles (すまほは, くの) written as that word."""
        return PHRASE.sub(self._phrase_spelled, text)

    def _phrase_spelled(self, phrase: re.Match[str]) -> str:
        """Return a phrase with its short word spelled, when one reads its start and particles all the rest."""
        if PHRASE_PARTICLES.fullmatch(phrase.group()):
            return phrase.group()  # particles alone (には, とは), not a one-kana word and a particle
        kana = phrase.group().translate(TO_KATAKANA)
        for length in range(min(MIN_READING - 1, len(kana)), 0, -1):
            word = self._short.get(kana[:length])
            if word is not None and PHRASE_PARTICLES.fullmatch(phrase.group()[length:]):
                return word + phrase.group()[length:]
        return phrase.group()

    def _spell_runs(self, text: str) -> str:
        """Return text with each hiragana run's longest readings written as the words they read.

        A word starts a run (but not hiragana that ends a kanji's word: 来|ないように), follows a particle,
        or follows a word found; and it ends the run, or is followed by a particle's kana or by another word.
        """
        pieces, done = [], 0
        for run in KANA_RUN.finditer(text):
            kana = run.group().translate(TO_KATAKANA)
            i = 0
            while i < len(kana):
                starts = text[run.start() + i - 1] in PARTICLES if i else self._starts_word(text, run.start())
                word, length = self._longest_at(kana, i) if starts or run.start() + i == done else (None, 0)
                if word is not None and not self._ends_word(text, kana, run.start(), i + length):
                    word = None
                if word is None:
                    i += 1
                    continue
                pieces += [text[done : run.start() + i], word]
                i += length
                done = run.start() + i
        if not pieces:
            return text
        return "".join(pieces) + text[done:]

    def _ends_word(self, text: str, kana: str, run_start: int, end: int) -> bool:
        """Say whether a word read up to end of a run may end there: at the run's end, a particle's kana, or a word."""
        return end == len(kana) or text[run_start + end] in WORD_FOLLOWERS or self._longest_at(kana, end)[0] is not None

    @staticmethod
    def _starts_word(text: str, start: int) -> bool:
        """Say whether a run of hiragana at start begins a word: right after a kanji, it is that word's ending."""
        return start == 0 or KANJI.match(text, start - 1) is None

    def _longest_at(self, kana: str, start: int) -> tuple[str | None, int]:
        """Return the word whose reading is the longest one starting at start, and that reading's length."""
        node, found = self._root, (None, 0)
        for end in range(start, len(kana)):
            node = node.get(kana[end])
            if node is None:
                break
            if _WORD in node:
                found = (node[_WORD], end + 1 - start)
        return found

