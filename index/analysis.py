"""Japanese text → search terms: SudachiPy morphemes, content words, synonyms."""
from __future__ import annotations

import functools
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from sudachipy import Dictionary, SplitMode

from index.kana import KANJI
from index.text import numbered_items

# Parts of speech that carry meaning in a question or a passage.
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞"}
# Sub-kinds that are grammar, not content (e.g. する in サービスする, 非自立 verbs like いる).
SKIPPED_SUBPOS = {"非自立可能", "数詞"}
# Parts of speech of a compound noun's pieces (デジタル/人材, 情報/政策/課, 各/種), whose readings residents type in kana.
NOUN_POS = {"名詞", "接頭辞", "接尾辞"}
COMPOUND_DOT = "・"
# Words residents use to frame a question; every question has them, no document answers them.
QUESTION_WORDS = {
    "教える", "知る", "分かる", "聞く", "思う", "言う", "考える", "する", "ある", "いる", "なる",
    "できる", "出来る", "くれる", "もらう", "貰う", "下さる", "ください", "いただく", "頂く", "こと",
    "もの", "物", "事", "ため", "為", "よう", "様", "方", "何", "いつ", "どこ", "どう", "どんな",
    "どの", "誰", "なぜ", "方法", "場合", "ところ", "所", "の", "ん", "さん", "くらい", "ぐらい",
    "今", "今後", "実際", "本当", "ちゃんと", "感じ", "具体", "的", "等", "など", "化", "ほしい",
    "欲しい", "予定", "みたい", "ちょっと", "ない", "良い", "いい", "よい", "つもり",
    # The whole corpus is about the ward; and one-character nouns that only frame a question.
    "区", "時", "中", "他", "毎", "前", "後", "際", "奴", "そう", "つ", "件", "人", "版", "今回",
    "何人", "何件", "幾つ", "幾ら", "いつ頃", "何年", "全部", "皆", "うち", "自分", "もともと", "元々", "普段", "場所",
    "積もり", "そのまま",
    # どの after a noun (人どのくらい) is read as the honorific suffix 殿, which no document uses.
    "殿",
    # Adverbs Sudachi files as nouns: they colour a question, they never name its topic.
    "殆ど", "全然", "結局", "全く", "色々", "最近", "一番", "大体", "沢山", "少し", "余り", "気",
    # "…とはどういう意味": the question asks for a definition (an answer type), not about meaning.
    "意味", "どういう", "話",
    # Who the resident is and how they feel: context of a question, never its topic.
    "親", "母", "父", "母親", "父親", "祖母", "祖父", "夫", "妻", "息子", "娘", "婆", "爺", "ちゃん", "主人",
    "友達", "知り合い", "近所", "心配", "辛い", "気味",
    # How politely they ask and when it befell them: the frame of a resident's story, not what it is about.
    "宜しい", "申す", "先日", "先週", "先月", "来週", "長年", "駄目",
}
# A sentence or a line: up to and with its end or its line break, kept so that lists and tables stay lines (found
# with one scan, rather than a split at every position that follows an end).
SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?\n]?")
SYNONYM_PREFIX = "~"  # marks a Sudachi synonym-group term, so it never equals a word


Morpheme = tuple[str, str, str, tuple[int, ...], str]  # normalized form, POS, sub-POS, synonym groups, surface
Token = tuple[str, tuple[str, ...], str, tuple[int, ...], str]  # Sudachi's surface, part of speech, normalized form, synonym groups, reading


@dataclass(frozen=True)
class Word:
    """A content word of a text and the Sudachi synonym groups it belongs to."""

    form: str
    groups: tuple[str, ...] = ()
    surface: str = ""  # as written (NFKC), for character n-grams
    pos: str = "名詞"

    @property
    def terms(self) -> tuple[str, ...]:
        """Return every index term this word matches: itself and its groups."""
        return (self.form, *self.groups)


@dataclass(frozen=True)
class SynonymRule:
    """Replace a run of normalized words (a resident's variant) with the document's words."""

    variant: tuple[str, ...]
    canonical: tuple[Morpheme, ...]


class SynonymTrie:
    """The synonym rules as a trie over normalized words: the longest rule at a position in one walk."""

    def __init__(self, rules: list[SynonymRule]) -> None:
        self._root: dict = {}
        for rule in rules:
            node = self._root
            for form in rule.variant:
                node = node.setdefault(form, {})
            # The first rule for a variant wins, as the synonym file reads top to bottom.
            node.setdefault(None, rule)

    def __bool__(self) -> bool:
        """Say whether there is any rule."""
        return bool(self._root)

    def longest_at(self, forms: list[str], i: int) -> SynonymRule | None:
        """Return the rule with the longest variant starting at position i, or None."""
        node, found = self._root, None
        for form in forms[i:]:
            node = node.get(form)
            if node is None:
                break
            found = node.get(None, found)
        return found


_dictionary_lock = threading.Lock()
_dictionary: Dictionary | None = None
_local = threading.local()


def sudachi_dictionary() -> Dictionary:
    """Return the one Sudachi dictionary of the process, loading it the first time."""
    global _dictionary
    with _dictionary_lock:
        if _dictionary is None:
            _dictionary = Dictionary(dict="core")
        return _dictionary


def sudachi_tokenizer(mode: SplitMode = SplitMode.B):
    """Return this thread's Sudachi tokenizer of a split mode (B unless asked) over the one dictionary of the process."""
    tokenizers = getattr(_local, "tokenizers", None)
    if tokenizers is None:
        tokenizers = _local.tokenizers = {}
    key = str(mode)  # SplitMode is not hashable
    if key not in tokenizers:
        # Sudachi tokenizers are not thread-safe: each thread gets its own.
        tokenizers[key] = sudachi_dictionary().tokenizer(mode=mode)
    return tokenizers[key]


@functools.lru_cache(maxsize=100_000)  # residents' questions bring new compounds: the cache must not grow for ever
def short_parts(surface: str) -> tuple[tuple[str, str, str], ...]:
    """Return the parts Sudachi's short split (mode A) cuts a word into, each as its normalized form, part of speech and
    sub-part (期日前投票 → 期日, 前, 投票); none for a word it does not cut."""
    morphemes = sudachi_tokenizer(SplitMode.A).tokenize(surface)
    if len(morphemes) < 2:
        return ()
    return tuple((m.normalized_form(), m.part_of_speech()[0], m.part_of_speech()[1]) for m in morphemes)


# A noun written with kanji and kana (申し込み, 届け出) may be a verb's 連用形; a bare kanji (分 → 分ける) or kana
# (まち → 待つ) spelling is as often another word.
VERB_NOUN_SPELLING = re.compile(r"[一-龥々].*[ぁ-ゖ].*")
WAY_OF_DOING = "方"  # 連用形 + 方: the way of doing it (捨て方, 申し込み方)


@functools.lru_cache(maxsize=100_000)  # residents' questions bring new nouns: the cache must not grow for ever
def verb_of_noun(noun: str) -> str | None:
    """Return the verb a noun is made of (申し込み → 申し込む, 貸し出し → 貸し出す, 捨て方 → 捨てる), or None.

    Sudachi files 申し込み as a noun and 申し込む as a verb, with different normalized forms, so
    「申し込むには」 and 「申し込みの方法」 would share no word. The dictionary lists each inflected form of
    a verb as an entry: a noun written as a verb's 連用形 is that verb's noun.
    """
    return verb_spelt(noun) or (verb_spelt(noun[: -len(WAY_OF_DOING)]) if noun.endswith(WAY_OF_DOING) else None)


def verb_spelt(spelling: str) -> str | None:
    """Return the verb whose 連用形 is spelt so, by the dictionary, or None."""
    if not VERB_NOUN_SPELLING.fullmatch(spelling):
        return None
    dictionary = sudachi_dictionary()
    with _dictionary_lock:  # the dictionary is shared by every thread: one lookup at a time
        entries = [(m.part_of_speech(), m.normalized_form()) for m in dictionary.lookup(spelling)]
    verbs = [
        verb for pos, verb in entries
        # Grammar verbs (出す, 付ける) and classical conjugations only coincide with a noun's spelling.
        if pos[0] == "動詞" and pos[5] == "連用形-一般" and pos[1] not in SKIPPED_SUBPOS and not pos[4].startswith("文語")
    ]
    return verbs[0] if verbs else None


# How many of a thread's last texts tokenize keeps with their morphemes: an ask's question as typed, as spelled
# for the corpus and as spelled for the staff entries.
RECENT_TEXTS = 4


def tokenize(text: str) -> tuple[Token, ...]:
    """Return Sudachi's morphemes of text (under ~49 KB), keeping this thread's last few texts and their morphemes.

    An ask's question is tokenized to be answered, to be spelled as the corpus and as the staff entries write
    it, and again, unchanged, to mask names before it is logged: each later time reuses the first. Only the
    last few texts are kept, so nothing else is saved.
    """
    recent = getattr(_local, "recent", None)
    if recent is None:
        recent = _local.recent = {}
    tokens = recent.get(text)
    if tokens is not None:
        return tokens
    tokens = tuple(
        (m.surface(), m.part_of_speech(), m.normalized_form(), tuple(m.synonym_group_ids()), m.reading_form())
        for m in sudachi_tokenizer().tokenize(text)
    )
    if len(recent) >= RECENT_TEXTS:
        del recent[next(iter(recent))]  # the oldest: dicts keep their order of insertion
    recent[text] = tokens
    return tokens


# Documents made from PDFs space out some acronyms letter by letter (生成A I, K P I); residents type them whole.
SPACED_CAPITALS = re.compile(r"(?<![A-Za-z])[A-Z](?: [A-Z])+(?![A-Za-z])")


def normalized_tokens(text: str) -> list[Token]:
    """Return Sudachi's morphemes of text after NFKC normalization, spaced acronyms joined, cut in pieces Sudachi accepts."""
    text = SPACED_CAPITALS.sub(lambda letters: letters.group().replace(" ", ""), unicodedata.normalize("NFKC", text))
    # Sudachi refuses inputs over ~49 KB; the corpus has no such unit, but be safe.
    return [token for start in range(0, len(text), 10_000) for token in tokenize(text[start : start + 10_000])]


class Analyzer:
    """Turn text into search terms with the process's Sudachi dictionary, one tokenizer per thread."""

    def __init__(self, synonyms_path: Path | None = None, kinds_path: Path | None = None) -> None:
        lines = synonym_lines(synonyms_path) if synonyms_path is not None else []
        self._synonyms = SynonymTrie(self._synonym_rules(lines))
        kinds = kind_lines(kinds_path) if kinds_path is not None else []
        # Every word of the synonym and kinds files, as residents may type any of them in kana (index/kana.py).
        self.lexicon_words = tuple(word for line in (*lines, *(names for _, names in kinds)) for word in line)
        self._kinds = self._load_kinds(kinds_path.name, kinds) if kinds_path is not None else {}

    def _morphemes(self, text: str) -> list[Morpheme]:
        """Return (normalized form, POS, sub-POS, synonym groups) for each morpheme."""
        return [
            (normalized.lower(), pos[0], pos[1], groups, surface)
            for surface, pos, normalized, groups, _ in normalized_tokens(text)
        ]

    def analyze(self, text: str) -> list[Word]:
        """Return the content words of text, synonyms rewritten, each with its Sudachi synonym groups."""
        words: list[Word] = []
        for form, pos, subpos, groups, surface in self._rewrite(self._morphemes(text)):
            if pos not in CONTENT_POS or subpos in SKIPPED_SUBPOS or form in QUESTION_WORDS:
                continue
            if len(form) == 1 and not form.isalnum():
                continue
            # Interned: the index holds each term once however many units use it, in memory and in its cache file.
            synonyms = tuple(sys.intern(f"{SYNONYM_PREFIX}{group}") for group in groups)
            words.append(Word(sys.intern(form), synonyms, surface, pos))
        # A numbered item (目標1, 【取り組み7】) is a word of its own: Sudachi keeps 目標 and drops its number, and
        # asked 目標1, the passage listing 目標3's 施策 would hold every word of the question.
        words.extend(Word(sys.intern(item), (), item) for item in numbered_items(text))
        return words

    def with_kinds(self, words: list[Word]) -> list[Word]:
        """Return the words, each thing also matching the word for its kind (ソファー: 粗大), as corpus/kinds.txt says.

        A noun made from a verb is that verb's thing too (預かり: 保育, as 預かる is).
        """
        if not self._kinds:
            return words
        return [replace(w, groups=(*w.groups, *kinds)) if (kinds := self._kinds_of(w)) else w for w in words]

    def _kinds_of(self, word: Word) -> tuple[str, ...]:
        """Return the kinds of a word and of the verb it is the noun of, each once."""
        return tuple(dict.fromkeys(k for t in (word.form, *word.groups) for k in self._kinds.get(t, ())))

    @staticmethod
    def with_verbs(words: list[Word]) -> list[Word]:
        """Return the words, each noun made from a verb also matching the verb (申し込み: 申し込む)."""
        return [
            replace(w, groups=(*w.groups, verb)) if w.pos == "名詞" and (verb := verb_of_noun(w.form)) else w
            for w in words
        ]

    def terms(self, text: str) -> list[str]:
        """Return the search terms of text: each content word followed by its synonym groups."""
        return [term for word in self.analyze(text) for term in word.terms]

    @staticmethod
    def normalized(text: str) -> str:
        """Return text with each morpheme in Sudachi's normalized form: ソサエティ and Society, いみ and 意味 alike."""
        return "".join(normalized for _, _, normalized, _, _ in normalized_tokens(text))

    def same_word(self, one: str, other: str) -> bool:
        """Say whether two ways of writing are one word: the same search terms (取組/取り組み, or synonyms)."""
        return self.terms(one) == self.terms(other)

    def readings(self, text: str) -> list[tuple[str, str]]:
        """Return each morpheme of text as written and its katakana reading; symbols and spaces read as ""."""
        return [
            (surface, "" if pos[0] in ("補助記号", "空白") else reading)
            for surface, pos, _, _, reading in normalized_tokens(text)
        ]

    def reading(self, text: str) -> str:
        """Return how text reads, in katakana, so 「ほいくえん」 and 「保育園」 compare equal."""
        return "".join(reading for _, reading in self.readings(text))

    def noun_readings(self, text: str, longest: int = 4) -> list[tuple[str, str]]:
        """Return every run of up to `longest` adjacent nouns (and their affixes) of text, as written and as read.

        Compounds count as much as single nouns: 電子申請 is typed でんししんせい, in one piece; a middle dot
        joins a compound too (デジタル・ディバイド, typed でじたるでぃばいど).
        """
        morphemes = [
            (surface, "" if surface == COMPOUND_DOT else reading, pos[0] in NOUN_POS or surface == COMPOUND_DOT)
            for surface, pos, _, _, reading in normalized_tokens(text)
        ]
        found = []
        for i in range(len(morphemes)):
            for j in range(i, min(i + longest, len(morphemes))):
                if not morphemes[j][2]:
                    break
                run = morphemes[i : j + 1]
                if run[0][1] and run[-1][1]:  # a dot only inside a compound
                    found.append(("".join(m[0] for m in run), "".join(m[1] for m in run)))
        return found

    @staticmethod
    def verb_readings(text: str) -> list[tuple[str, str, str, str]]:
        """Return each verb of text written with kanji: as written, as read, its inflection and its verb (使っ, ツカッ, 連用形-促音便, 使う)."""
        return [
            (surface, reading, pos[5], normalized)
            for surface, pos, normalized, _, reading in normalized_tokens(text)
            if pos[0] == "動詞" and KANJI.search(surface)
        ]

    @staticmethod
    def verb_morphemes(text: str) -> list[tuple[str, str, str, str, str, str]]:
        """Return each morpheme of text, its part of speech, sub-part, inflection, normalized form and reading.

        The text is not normalized (NFKC) first, so that the morphemes as written join back into it.
        """
        return [(surface, pos[0], pos[1], pos[5], normalized, reading) for surface, pos, normalized, _, reading in tokenize(text)]

    def _rewrite(self, morphemes: list[Morpheme]) -> list[Morpheme]:
        """Apply the staff synonym file: residents' variants become the documents' words."""
        if not self._synonyms:
            return morphemes
        forms = [m[0] for m in morphemes]
        result: list[Morpheme] = []
        i = 0
        while i < len(morphemes):
            rule = self._synonyms.longest_at(forms, i)
            if rule is None:
                result.append(morphemes[i])
                i += 1
            else:
                result.extend(with_own_groups(rule.canonical, morphemes[i : i + len(rule.variant)]))
                i += len(rule.variant)
        return result

    def _synonym_rules(self, lines: list[list[str]]) -> list[SynonymRule]:
        """Return the rules of the synonym file's lines: each variant becomes the line's first word."""
        rules: list[SynonymRule] = []
        for canonical, *variants in lines:
            canonical_morphemes = tuple(self._morphemes(canonical))
            for variant in variants:
                variant_words = tuple(m[0] for m in self._morphemes(variant))
                if variant_words and variant_words != tuple(m[0] for m in canonical_morphemes):
                    rules.append(SynonymRule(variant_words, canonical_morphemes))
        return rules

    def _load_kinds(self, file_name: str, lines: list[tuple[int, list[str]]]) -> dict[str, tuple[str, ...]]:
        """Map each thing of the kinds file's lines to its kinds, every name a single word after synonyms."""
        kinds: dict[str, tuple[str, ...]] = {}
        for number, names in lines:
            forms = []
            for name in names:
                words = self.analyze(name)
                if len(words) != 1:
                    raise ValueError(f"{file_name} line {number}: {name!r} is not one word ({' '.join(w.form for w in words)})")
                forms.append(words[0].form)
            for thing in forms[1:]:
                kinds[thing] = (*kinds.get(thing, ()), forms[0])
        return kinds


def with_own_groups(canonical: tuple[Morpheme, ...], variant: list[Morpheme]) -> tuple[Morpheme, ...]:
    """Return the document's word for a one-word variant with the variant's own Sudachi synonym groups added.

    A line joins words and never loses one: ネット becomes オンライン and still matches インターネット, as Sudachi
    groups it. A variant of several words keeps none: マイナ + カード is no カード of any kind.
    """
    if len(canonical) != 1 or len(variant) != 1:
        return canonical
    form, pos, subpos, groups, surface = canonical[0]
    return ((form, pos, subpos, tuple(dict.fromkeys((*groups, *variant[0][3]))), surface),)


def kind_lines(path: Path) -> list[tuple[int, list[str]]]:
    """Read corpus/kinds.txt: each line 'kind: thing, thing…', as its number and its names, the kind first."""
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            kind, _, things = line.partition(":")
            lines.append((number, [kind.strip(), *(t.strip() for t in things.split(",") if t.strip())]))
    return lines


def synonym_lines(path: Path) -> list[list[str]]:
    """Read corpus/synonyms.txt: each line 'document word, variant, variant…'."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [w.strip() for w in line.split("#", 1)[0].split(",") if w.strip()]
        if words:
            lines.append(words)
    return lines


def split_sentences(text: str) -> list[str]:
    """Split text into sentences and lines, each keeping its line break."""
    return [s.lstrip(" 　") for s in SENTENCE.findall(text.strip()) if s.strip()]


# Where a list item starts inside one line: a circled number, or ・ or 【 before a measure (施策/取組) number. Found
# by its first character, so that a line with none is scanned once, not tried at every position.
LIST_ITEM = re.compile(r"[①-⑳]|・\s?(?:施策|取組|取り組み)\s?\d|【(?:施策|取組|取り組み)\s?\d")


def split_segments(text: str) -> list[str]:
    """Split text into sentences, and list lines into their items: the smallest pieces that can answer.

    Each keeps its trailing line break, so that joining them gives the text back.
    """
    return [item for sentence in split_sentences(text) for item in list_items(sentence) if item.strip()]


def list_items(sentence: str) -> list[str]:
    """Split a line before each list item it holds (the line itself when it holds none)."""
    cuts = [0, *(item.start() for item in LIST_ITEM.finditer(sentence)), len(sentence)]
    return [sentence[start:end] for start, end in zip(cuts, cuts[1:])]
