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
# A phrase that is する inflected (したい, します, しないと) is grammar typed apart from its noun (実印 登録
# したい), whatever noun its kana also read (死体, 市内).
SURU_PHRASE = re.compile(r"し(?:たい|たく|ます|ました|ません|ない|なきゃ|た|て|てる|ている|ています)(?:です|ですか|けど|のに|から|と|ね|よ|か|な|の)*")


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
        if PHRASE_PARTICLES.fullmatch(phrase.group()) or SURU_PHRASE.fullmatch(phrase.group()):
            return phrase.group()  # particles alone (には, とは), not a one-kana word and a particle; する inflected
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


# Sudachi reads a verb typed in kana as whichever verb its dictionary lists first: つかって as 浸かって, かわる and
# つかえる as no verb it spells. A run of up to this many of its morphemes is read as one verb the corpus writes
# (もう|しこみ is 申し込み).
LONGEST_VERB_RUN = 3
# One kana (み, で, き) reads too many verbs and particles to be guessed.
MIN_VERB_READING = 2
HIRAGANA = re.compile(r"[ぁ-ゖー]+")
# A reading of two verbs is read as the one the corpus writes when the corpus uses it this many times as often as
# the others together (カワル: 変わる 14, 代わる 1); closer (ハカル: 図る 20, 測る 6), a guess would mislead.
DOMINANT_VERB = 10
# Particles Sudachi may read as a verb's first kana right after a noun (職員はやってる: 職員は|やってる, not 流行ってる).
PARTICLES_BEFORE_VERBS = frozenset("はがをにでの")
VerbMorpheme = tuple[str, str, str, str, str, str]  # surface, part of speech, sub-part, inflection, normalized form, reading
VerbForm = tuple[str, str]  # katakana reading, inflection


def inflection(conjugated_form: str) -> str:
    """Return Sudachi's conjugated form of a verb (連用形-イ音便), 終止形 and 連体形 as one: a verb spells them alike."""
    return conjugated_form.replace("終止形", "連体形")


class VerbSpeller:
    """The forms of the corpus's verbs by their readings, to write a verb typed in kana as the documents write it."""

    def __init__(self, forms: dict[VerbForm, str], verbs: frozenset[str]) -> None:
        self._forms = forms  # (reading, inflection) → the form as written ((ツカッ, 連用形-促音便) → 使っ)
        self._verbs = verbs  # the corpus's verbs (使う): one Sudachi already reads is not read again

    @classmethod
    def from_readings(cls, readings: Counter[tuple[str, str, str, str]]) -> VerbSpeller:
        """Keep each form (≥ MIN_VERB_READING kana) of one verb, written as it is written most often.

        readings counts (as written, as read, inflection, verb) of the corpus's verbs written with kanji; a
        form read as two verbs is read as one only when the corpus uses that one far more (DOMINANT_VERB).
        """
        written: dict[VerbForm, Counter[tuple[str, str]]] = {}
        for (surface, reading, inflected, verb), count in readings.items():
            if len(reading) >= MIN_VERB_READING:
                written.setdefault((reading, inflection(inflected)), Counter())[surface, verb] += count
        forms = {}
        for form, surfaces in written.items():
            verbs: Counter[str] = Counter()
            for (_, verb), count in surfaces.items():
                verbs[verb] += count
            (verb, uses), *others = verbs.most_common()
            if uses >= DOMINANT_VERB * sum(count for _, count in others):
                forms[form] = max((surface for surface, other in surfaces if other == verb), key=lambda s: surfaces[s, verb])
        return cls(forms, frozenset(verb for *_, verb in readings))

    def spell(self, morphemes: list[VerbMorpheme]) -> str:
        """Return the text of the morphemes with each verb typed in kana written as the corpus writes it.

        A run of kana morphemes that starts a word and ends with a verb is read as the longest form of a corpus
        verb it reads, in the same inflection (かい before はじめる is not 書い), unless Sudachi already read it
        as one of the corpus's verbs (もれ: 漏れる) or as grammar (いる, みる).
        """
        # A run ends on a verb typed in kana that is not grammar: most questions have none, and are left as typed.
        ends = [
            k for k, (surface, pos, subpos, *_) in enumerate(morphemes)
            if pos == "動詞" and subpos != "非自立可能" and HIRAGANA.fullmatch(surface)
        ]
        if not ends:
            return "".join(m[0] for m in morphemes)
        pieces, i = [], 0
        while i < len(morphemes):
            run = self._verb_run_at(morphemes, i) if any(i <= end < i + LONGEST_VERB_RUN for end in ends) else []
            if run:
                pieces.append(self._forms[self._form_of(run)])
                i += len(run)
            else:
                pieces.append(morphemes[i][0])
                i += 1
        return "".join(pieces)

    def _verb_run_at(self, morphemes: list[VerbMorpheme], start: int) -> list[VerbMorpheme]:
        """Return the longest run of morphemes from start that is a verb the corpus writes, or no morphemes."""
        previous = morphemes[start - 1] if start else None
        for end in range(min(start + LONGEST_VERB_RUN, len(morphemes)), start, -1):
            if self._spells(morphemes[start:end], previous):
                return morphemes[start:end]
        return []

    def _spells(self, run: list[VerbMorpheme], previous: VerbMorpheme | None) -> bool:
        """Say whether a run of morphemes, after the one before it, is a verb typed in kana that the corpus writes with kanji."""
        *_, (_, pos, subpos, _, normalized, _) = run
        if pos != "動詞" or subpos == "非自立可能" or run[0][1] in ("助詞", "助動詞"):
            return False
        if len(run) == 1 and normalized in self._verbs:
            return False
        if not all(HIRAGANA.fullmatch(m[0]) for m in run) or self._form_of(run) not in self._forms:
            return False
        if previous is None or previous[1] in ("助詞", "補助記号", "空白"):
            return True
        # After other kana (こう|ふって) the run is the end of a word Sudachi did not know, not a word of its own.
        return not HIRAGANA.fullmatch(previous[0]) and run[0][0][0] not in PARTICLES_BEFORE_VERBS

    @staticmethod
    def _form_of(run: list[VerbMorpheme]) -> VerbForm:
        """Return the reading of a run of morphemes and its last one's inflection."""
        return "".join(m[5] for m in run), inflection(run[-1][3])
