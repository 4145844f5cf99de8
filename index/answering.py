"""Turn a resident's question into an answer: small talk, ward scope, retrieval, the retriever's abstention verdict, extraction."""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from index.analysis import Analyzer, Word, split_segments
from index.kana import MIN_READING
from index.names import NameFinder
from index.retriever import SEGMENT_ANSWER_TYPES, Hit, Query, Retriever, Segment
from index.slots import SHARE_ASKED, Slot, asked_slots, kanji_question_words, missing_slot
from index.text import labelled_rows, numbered_items, table_headings
from index.units import FAQ, GLOSSARY, QA, Unit

T = TypeVar("T")

MAX_EXTRACTED_ANSWER_CHARS = 600  # the longest answer cut from a document (FAQ entries have their own limit)
COMMENT_LABEL = "（寄せられたご意見）"
# What kind of answer a question wants, from how it asks.
ANSWER_TYPES = {
    "when": re.compile(r"いつ|何年|何月|時期|日程|予定日"),
    "count": re.compile(r"何(人|件|名|回|種類|か所|ヶ所|校|台|時間|割|歳|%|％|パーセント)(?!も)|どれ[くぐ]らい|どの[くぐ]らい|いくつ|割合|人数|件数"),
    "department": re.compile(r"担当|どこの課|どの課|部署|問い?合わせ先|連絡先|どこに(聞|相談|問)"),
    "money": re.compile(r"いくら|何円|金額|料金|費用|手数料|予算|賞金|謝礼|お金"),
    "hours": re.compile(r"何時(?!間)|時間帯|受付時間|開庁時間|営業時間|何曜"),
    "phone": re.compile(r"電話番号|番号を教え|何番"),
    "target": re.compile(r"(?<!基本)目標|目指|いつまでに|どこまで|達成|(どれ|どの)[くぐ]らいまで|まで(に)?(増や|減ら|上げ|伸ば|短く|縮め|下げ)"),
    "comment": re.compile(r"意見|要望|答え|回答|区の考え|パブコメ|パブリックコメント|どう思"),
    "definition": re.compile(
        r"とは|って(そもそも)?(何|なに)(です|\?|？|$)|そもそも|意味|(どういう|の)いみ|どういう(こと|もの|手口|仕組み)|どんな(もの|こと)|何が違|違い"
    ),
}
# A question asking what a term means; the term's glossary entry then answers first.
ASKS_MEANING = re.compile(r"とは|って(そもそも)?(何|なに|なん)|どういう(意味|いみ)|の(意味|いみ)|どういう(こと|もの)")
# The word a term's name may end with that residents leave out: コンビニ交付サービス is asked as コンビニ交付.
GENERIC_LAST_WORD = re.compile(r"(?<=[一-龥ァ-ヶー]{3})(サービス|システム|制度|原則)$")
# …and the letters a loanword term may start with that residents leave out: AIチャットボット is asked as チャットボット.
LATIN_FIRST_WORD = re.compile(r"^[A-Za-z]+(?=[ァ-ヶー]{4,}$)")
# What follows a term whose meaning is asked: DXとは, RPAって, 〜の意味, 〜という言葉 (read as katakana too, where the
# question is compared by its reading).
MEANING_MARK = re.compile(r"とは|って|の意味|という(言葉|の)|トハ|ッテ|ノイミ|トイウ(コトバ|ノ)")
# A candidate holding less of the question's word weight than this is not offered as 「もしかして」.
MAYBE_MEANT_COVERAGE = 0.2
# How many of the reranker's best candidates an answer keeps: the first is quoted, the others are looked through
# for related questions and 「もしかして」, which often lie past the first few (the passage next to the one asked).
CANDIDATES_KEPT = 10
# A line listing what residents wrote about in a public comment (意見内容 …転出届のWeb化について…), not what the ward does.
COMMENT_TOPICS = re.compile(r"\s*(意見内容|意見の(概要|要旨))\s*[:：\s]")
# A resident voicing a wish or a complaint as a comment did (メールで受け付けてほしい, 予約サイトが使いにくい): the ward's
# reply to that comment answers it, in whatever words the reply is written.
VOICES_WISH = re.compile(r"ほしい|欲しい|てください|困っ|大変|にくい|めんどう|面倒|不便|ならない|どう考え|どう思|すべき|してくれない|やらない")
# Asks what is to change (拡充, 新しく取れる, 増やす, できるようになる): a definition tells what a thing is today.
ASKS_CHANGE = re.compile(r"拡充|新しく|新た|増え|増や|広げ|広が|ようになる|予定|これから|今後")
# A public comment that asks what a term means (基幹系システムとは何か。「新たな日常」とは。): its reply is a definition.
COMMENT_ASKS_MEANING = re.compile(r"^[「『]?(?P<term>[^」』、。\s]{2,20}?)[」』]?とは(何|なに|。|$)")
# How much of that term a question must name: residents leave out its first words (官民データ for 市町村官民データ活用).
TERM_PIECE_CHARS = 5
# Asks what a plan came to in the end (最終的にいくつ, 完成版では), not what its draft said.
ASKS_FINAL = re.compile(r"最終|完成|正式|確定")
# Asks what a plan's draft said as it stood then (中間のまとめの段階では, 素案の時点だと, 中間のまとめって…あったの), not
# what it came to.
ASKS_DRAFT_AS_IT_STOOD = re.compile(
    r"(中間のまとめ|素案|原案|計画案)(の?(段階|時点|時|とき|頃|ころ)|(って|では|には|で|は)[^。？?]{0,20}(あった|だった|でした))"
)
# How far below the best a runner-up that gives the detail asked may rank and still be quoted first (in reranker
# score, where the best usually leads the next by several points): a near tie, not a weaker passage.
DETAIL_RUNNER_UP_MARGIN = 0.5
# …and how far when the best gives only the year of the date asked and the runner-up its month: a year (令和7年度は…
# ワークショップに発展) says when something began, and the schedule residents ask for (令和7年6～7月 公募) ranks further behind.
MONTH_RUNNER_UP_MARGIN = 1.5
# A date finer than a year: a month, a part of one, a day.
DATE_WITHIN_YEAR = re.compile(r"\d+\s?[月日]|[上中下]旬")
# The answer's first lines, where the detail a question asks for must stand.
QUOTED_LEAD_PIECES = 3
SURVEY_CONDUCT = re.compile(r"何人に|誰に|対象|回答(数|率|者|し)|返って|回収|方法|いつ(実施|行)|何件.*(回答|返)|調査項目|質問項目")
SURVEY_WORDS = re.compile(
    # What is most chosen or popular (一番多い, どの払い方が人気) is what residents answered.
    r"アンケ|調査|区民の声|自由意見|ワークショップ|多かった|(理由|人)が多い|(一番|いちばん)多い|みんな(何|なに|どう)|人気"
    # How many people answered so (使わないって人, 使いたいと答えた人, 何割), or how many of an age group (60代以上は
    # どのくらい): shares of residents by what they said or by age are what a survey gives, not a plan. An age alone
    # (親が70代で) is who is asking. So are the people who want something, asked how many (使ってみたい人は
    # どのくらい): a wish is counted only by asking; who has something (持ってる人の割合) may be a plan's figure.
    r"|(って|と答えた|という)(人|区民|方)|何割"
    r"|たい(人|ひと|区民|方)(は|が|って)?({share})"
    # So are the people who use a thing, asked how many (ネットつかってる人の割合, インターネット使ってる人ってどのくらい):
    # how many residents do something is counted by asking them, where a plan counts its services' use (利用率).
    r"|(使っ|つかっ|利用し)て(い)?る(人|ひと|区民|方)(は|が|って|の)?({share})"
    # …and why people do not do something (ネット使わない人はなんで): their reasons are what they answered.
    r"|ない(人|ひと|区民|方)(は|が|って|の)?(なんで|なぜ|どうして|理由)|理由で(一番|いちばん)?多い"
    r"|(\d+\s?(歳|才)?代|\d+\s?(歳|才)(以上|以下)).*({share})|({share}).*(\d+\s?(歳|才)?代|\d+\s?(歳|才)(以上|以下))".format(
        share=SHARE_ASKED
    )
)
# How many people or households do or have something, asked as a share (ツイッターで見てる人ってどのくらい,
# タブレット持ってる家は何割, 60代の人はどのくらい): a survey's result answers it, though the question names no survey; whether
# to read it as a survey question in ranking is left to SURVEY_WORDS, as a plan may give such a figure too.
COUNTS_PEOPLE = re.compile(r"(る|た|ない|の)(人|ひと|家|世帯|区民|方|家庭)(は|が|って|の)?({share})".format(share=SHARE_ASKED))

# The bot's own opinion asked (あなたはどう思う？): the documents hold the ward's views, never the bot's.
ASKS_OWN_OPINION = re.compile(r"(あなた|君|きみ)(は|の|って|自身)[^。？?]{0,6}(どう(思|考え)|意見|考え|感想)")

# Sudachi cuts hiragana it cannot read into pieces (なんけん: けん; こんど): one the corpus does not know names no
# topic, yet as an unknown word it would weigh the most of all and turn the question away as being about something else.
SHORT_KANA_PIECE = re.compile(r"[ぁ-ゖー]{1,3}")

# Greetings, thanks and requests for help: answered kindly, never counted in the KPI.
SMALL_TALK = re.compile(
    r"^(こんにち[はわ]|こんばん[はわ]|おはよう(ございます)?|はじめまして|よろしく(お願いします)?|"
    r"ありがとう(ございます|ございました)?|どうも|助かりました|了解(です)?|わかりました|"
    r"hello|hi|hey|thanks?( you)?|help|ヘルプ|使い方|何ができますか|なにができるの)[。！!？?ー〜~\s]*$",
    re.IGNORECASE,
)
SMALL_TALK_REPLY = (
    "こんにちは。区のDX・情報化の計画と、パブリックコメントへの区の考え方についてお答えします。"
    "知りたいことを文章で入力してください。たとえば「{0}」のように聞いてください。"
)


@dataclass(frozen=True)
class WardInfo:
    """How to reach a ward when the bot cannot answer."""

    name: str
    inquiries: str
    department: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]  # questions the documents answer for this ward, offered to residents


@dataclass(frozen=True)
class Answer:
    """What the service tells a resident."""

    resolved: bool
    text: str
    hits: list[Hit] = field(default_factory=list)
    department: str | None = None
    suggestions: list[str] = field(default_factory=list)
    small_talk: bool = False
    ward: str | None = None  # the ward the question was scoped to
    confidence: float = 0.0  # how sure the documents' ranking is of the passage quoted (a resolved answer from them)
    withheld: str = ""  # why the documents' answer was withheld (an abstention's rule, for bench/explain.py)


def load_wards(path: Path) -> dict[str, WardInfo]:
    """Read corpus/wards.json."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: WardInfo(name, entry["inquiries"], entry["department"], tuple(entry["aliases"]), tuple(entry["examples"]))
        for name, entry in raw.items()
    }


def load_municipalities(path: Path) -> tuple[str, ...]:
    """Read corpus/municipalities.txt: one name a line, # starts a comment."""
    lines = (line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line)


class Answerer:
    """Answer questions from one retriever; stateless between questions."""

    def __init__(self, retriever: Retriever, wards: dict[str, WardInfo], municipalities: Iterable[str] = ()) -> None:
        self.retriever = retriever
        self.wards = wards
        # Other municipalities a resident may name: a question about one of them alone is not the documents' to answer.
        self._elsewhere = NameFinder(name for name in municipalities if name not in wards)
        # A ward's name scopes the question; as a search word it would only favour texts that repeat it.
        self._ward_words = {w.form for info in wards.values() for a in info.aliases for w in retriever.analyzer.analyze(a)}
        # Names looked for in every question: found in one walk over it, however many wards, documents and terms.
        self._alias_wards = grouped((alias, info.name) for info in wards.values() for alias in dict.fromkeys(info.aliases))
        self._ward_aliases = NameFinder(self._alias_wards)
        self._document_names = grouped((name, d) for d in retriever.documents.values() for name in d.names)
        self._document_finder = NameFinder(self._document_names)
        # Each glossary entry's names, and the entries each name stands for: both looked up, never scanned.
        self._term_names = {
            u.id: term_names(u.title, retriever.analyzer) for u in retriever.units if u.kind == GLOSSARY
        }
        self._glossary_units = grouped((name, unit_id) for unit_id, names in self._term_names.items() for name in names)
        self._glossary_finder = NameFinder(self._glossary_units)

    def answer(self, question: str, ward: str | None = None) -> Answer:
        """Answer a question, scoped to ward (or to a ward the question names)."""
        question = unicodedata.normalize("NFKC", question).strip()
        if SMALL_TALK.match(question):
            examples = example_questions(self.wards, ward)
            return Answer(
                resolved=True,
                text=SMALL_TALK_REPLY.format(examples[0]),
                suggestions=list(examples),
                small_talk=True,
                ward=ward,
            )
        return self.answer_query(question, self.query(question, ward))

    def answer_query(self, question: str, query: Query) -> Answer:
        """Answer a question that is not small talk, analysed once by query; an abstention offers 「もしかして」."""
        if (elsewhere := self.municipality_elsewhere(question)) is not None:
            return Answer(resolved=False, text=self.elsewhere_text(elsewhere), ward=query.ward, withheld="about another municipality")
        answer = self.answer_from_corpus(query)
        if answer.resolved:
            return answer
        return replace(answer, suggestions=self.maybe_meant(answer.hits, answer.ward))

    def answer_from_corpus(self, query: Query) -> Answer:
        """Answer a question that is not small talk, or abstain; an abstention offers nothing yet."""
        hits = self.retriever.search(query, limit=CANDIDATES_KEPT)
        if query.slots and not query.defined:
            # A detail asked of a term (ICT-BCPはいつまでに作る) is in the plan's text, never in the term's definition.
            hits = [hit for hit in hits if hit.unit.kind != GLOSSARY]
        hits = self.of_version_asked(hits, query)
        if not hits:
            return Answer(resolved=False, text=self.fallback_text(query.ward), hits=hits, ward=query.ward, withheld="no candidate")
        # The detail asked standing in the answer is itself a sign that the right passage was found; without
        # it, the passage is judged as if it gave it, to tell "the topic is there, the detail is not" below.
        slot_given = bool(query.slots)
        confidence = self.retriever.confidence(hits, slot_given)
        if not self.retriever.resolves(hits, confidence):
            return Answer(
                resolved=False, text=self.fallback_text(query.ward), hits=hits, ward=query.ward,
                withheld="confidence below the threshold",
            )
        # How sure the ranking is decides whether to answer; which of two near-tied passages to quote comes after.
        ranked_first = hits[0]
        hits, text = self.detail_first(hits, query)
        best = hits[0]
        if self.refuses(best, query, text):
            return Answer(
                resolved=False, text=self.fallback_text(query.ward), hits=hits, ward=query.ward,
                withheld=f"a {best.unit.kind} of a kind that cannot answer this question",
            )
        missing = self.slot_missing(text, best, query)
        if missing is not None:
            return Answer(
                resolved=False, text=self.slot_fallback_text(missing, best, query.ward), hits=hits, ward=query.ward,
                withheld=f"the detail asked is missing ({missing.label})",
            )
        if best is not ranked_first:  # the runner-up is quoted: the documents' confidence is that of its passage
            confidence = self.retriever.confidence(hits, slot_given)
        return Answer(
            resolved=True,
            text=text,
            hits=hits,
            department=best.unit.department,
            suggestions=suggestions(hits),
            ward=query.ward,
            confidence=confidence,
        )

    def of_version_asked(self, hits: list[Hit], query: Query) -> list[Hit]:
        """Keep, of a detail asked of a plan's final text or of its draft as it stood, the hits of that version only.

        A draft amended since gives the figure it had then (16の施策と27の取組), not the plan's in the end
        (最終的に施策はいくつ); the amending document gives the final figure, not the draft's (中間のまとめの段階では).
        """
        if not query.slots:
            return hits
        if query.asks_final:
            return [hit for hit in hits if not self.retriever.amended(hit.unit)]
        if ASKS_DRAFT_AS_IT_STOOD.search(query.spelled) and not ASKS_CHANGE.search(query.spelled):
            # A draft no later document amends (千代田区DX戦略（素案）) is its own last word: nothing to set aside.
            drafts = [hit for hit in hits if self.retriever.amended(hit.unit)]
            return drafts or hits
        return hits

    def detail_first(self, hits: list[Hit], query: Query) -> tuple[list[Hit], str]:
        """Put first the runner-up, when it ranks nearly as high as the best and gives the detail asked more fully;
        return the hits and the answer cut from the first.

        Two passages about the topic often tie (the survey's figure of all ages, and its figures by age; a project's
        overview, and its schedule); the one that gives what was asked (60歳代以上は67.2%, 令和7年8月～) is the answer.
        """
        best = hits[0]
        text = self.extract(best, query)
        if not query.slots or len(hits) < 2 or best.score - hits[1].score > MONTH_RUNNER_UP_MARGIN:
            return hits, text
        runner = hits[1]
        runner_text = self.extract(runner, query)
        gives = (self.gives_asked(text, best, query), self.gives_asked(runner_text, runner, query))
        if not runner_up_first(best.score - runner.score, *gives):
            return hits, text
        return [runner, best, *hits[2:]], runner_text

    def gives_asked(self, text: str, hit: Hit, query: Query) -> int:
        """Rate how well the answer cut from hit, text, gives the details asked: not at all, in part, or in full.

        A date asked is given in full by its month or day (令和7年8月～令和8年3月 ワークショップ開催); a year alone
        (令和7年度は…ワークショップに発展) is the year something began, not when it is held.
        """
        if self.slot_missing(text, hit, query) is not None:
            return 0
        if any(slot.dated for slot in query.slots) and not DATE_WITHIN_YEAR.search(self.quoted_lead(text)):
            return 1
        return 2

    def refuses(self, hit: Hit, query: Query, text: str) -> bool:
        """Say whether hit, cut to text, is of a kind that cannot answer the question, however sure the ranking is."""
        return (
            # The bot's own view asked: no passage holds it, however close its words.
            query.asks_own_opinion
            # A term's definition answers a question about that term, not one that shares a word with it.
            or (hit.unit.kind == GLOSSARY and not self.names_term(query, hit.unit.id))
            # …and says what the term is, not what it will become (コンビニ交付の拡充で戸籍の証明書も取れるようになる？).
            or (hit.unit.kind == GLOSSARY and not query.defined and bool(ASKS_CHANGE.search(query.spelled)))
            # What residents answered in a survey tells nothing about the thing itself (婚姻届を出したい), only how many
            # of them do or have it.
            or (hit.features["survey"] < 0 and not query.wants_survey and not query.counts_people)
            # That residents wrote about a thing (転出届のWeb化について) answers only what they wrote, not whether the
            # thing is done (転出届ってもうネットで出せる？).
            or (bool(COMMENT_TOPICS.match(text)) and "comment" not in query.answer_types)
            # A comment's reply defining a term answers, as a glossary entry does, only a question naming the term:
            # 基幹系システムとは何か lists 国民健康保険 among its systems, and does not answer 国保をやめる手続き.
            or (hit.unit.kind == QA and not self.names_defined_term(query, hit.unit.title))
            # A reply that names nothing the question asks (担当部署に共有し…参考に) answers what was proposed and the
            # same wish voiced again, not whether the thing is done (消費生活相談ってメールで受け付けてもらえる？) nor
            # a question the comment only mentions in passing (保育園の空き状況).
            or (
                hit.unit.kind == QA
                and "comment" not in query.answer_types
                and not VOICES_WISH.search(query.spelled)
                and not self.reply_names_asked(hit, query)
            )
        )

    def names_defined_term(self, query: Query, title: str) -> bool:
        """Say whether the question names the term a comment asks the meaning of (True when the comment asks no meaning).

        It does by a piece of the term as written (官民データ of 市町村官民データ活用), or by all of its words (あらたな日常
        holds 新た and 日常 of 「新たな日常」).
        """
        asked = COMMENT_ASKS_MEANING.match(title)
        if asked is None:
            return True
        term = term_key(asked.group("term"))
        width = min(TERM_PIECE_CHARS, len(term))
        pieces = {term[i : i + width] for i in range(len(term) - width + 1)}
        if any(piece in text for text in query.term_texts for piece in pieces):
            return True
        return {w.form for w in self.retriever.analyzer.analyze(term)} <= {w.form for w in query.words}

    @staticmethod
    def reply_names_asked(hit: Hit, query: Query) -> bool:
        """Say whether the ward's reply of a public comment (its text, not the resident's comment) holds a question word."""
        return any(not segment.terms.isdisjoint(word.terms) for segment in hit.text_segments for word in query.words)

    def maybe_meant(self, hits: list[Hit], ward: str | None, count: int = 3) -> list[str]:
        """Return up to three questions the close candidates answer (「もしかして」), each checked to be answered by its unit.

        A candidate is close when it holds a fair share of the question's words; its question is its own
        first residents' question, offered only when asking it really quotes that unit.
        """
        offered: list[str] = []
        for hit in hits:
            if len(offered) == count:
                break
            if hit.features.get("coverage", 0.0) < MAYBE_MEANT_COVERAGE:
                continue
            candidate = suggestion(hit.unit)
            if candidate not in offered and self.suggestion_answered(hit.unit, ward):
                offered.append(candidate)
        return offered

    def suggestion_answered(self, unit: Unit, ward: str | None) -> bool:
        """Say whether asking the unit's suggested question, scoped to ward, quotes that very unit.

        The corpus alone decides it (staff entries never answer a 「もしかして」 check), so it is worked out once
        per unit and scope: at index build for every unit in its ward and in none (see check_suggestions), and
        kept with the index; a scope never seen before is worked out at its first abstention.
        """
        key = (unit.id, ward)
        checks = self.retriever.suggestion_checks
        if key not in checks:
            question = suggestion(unit)
            answer = self.answer_from_corpus(self.query(question, ward))
            checks[key] = answer.resolved and bool(answer.hits) and answer.hits[0].unit.id == unit.id
        return checks[key]

    def check_suggestions(self, progress: bool = False) -> None:
        """Work out whether each unit's suggested question quotes it, asked in the unit's ward and with no ward."""
        for unit in tqdm(self.retriever.units, desc="checking suggestions", unit="unit", disable=not progress):
            self.suggestion_answered(unit, unit.ward)
            self.suggestion_answered(unit, None)

    def query(self, question: str, ward: str | None) -> Query:
        """Analyse a question: its words, its ward, the document it names, the answer it wants."""
        question = self.retriever.spell(question)  # でんししんせい, つかってる: as the documents write them, 電子申請, 使ってる
        ward = ward or self.ward_named_in(question)
        asks = kanji_question_words(question)  # なんさつ → 何冊: what is asked only, the words searched stay as typed
        term_texts = self.term_texts(question)
        return Query(
            words=self.question_words(question),
            ward=ward,
            spelled=question,
            documents=self.documents_named_in(question, ward),
            answer_types=frozenset(kind for kind, pattern in ANSWER_TYPES.items() if pattern.search(asks)),
            wants_survey=bool(SURVEY_WORDS.search(question)),
            counts_people=bool(COUNTS_PEOPLE.search(question)),
            asks_survey_conduct=bool(SURVEY_CONDUCT.search(asks)),
            asks_own_opinion=bool(ASKS_OWN_OPINION.search(question)),
            asks_final=bool(ASKS_FINAL.search(question)),
            slots=tuple(asked_slots(asks)),
            term_texts=term_texts,
            defined=self.terms_defined(question, term_texts),
            items=numbered_items(question),
        )

    def municipality_elsewhere(self, question: str) -> str | None:
        """Return the other municipality a question is about (渋谷区のDX戦略), when it names none of the wards served."""
        if self._ward_aliases.names_in(question):
            return None  # 港区はもう… 台東区は？ compares, and asks about a ward served
        return next((name for name, _ in self._elsewhere.occurrences(question)), None)

    def elsewhere_text(self, municipality: str) -> str:
        """Say that the documents are only of the wards served, and who can answer about the municipality asked."""
        served = "・".join(self.wards)
        return (
            f"申し訳ありません。お答えできるのは、{served}のDX・情報化の計画とパブリックコメントの資料の内容です。"
            f"{municipality}のことは、{municipality}にお問い合わせください。"
        )

    def terms_defined(self, question: str, term_texts: tuple[str, ...]) -> frozenset[str]:
        """Return the glossary entries whose term the question asks the meaning of (RPAって何？, DXとは), term_texts
        being the question as terms are compared (term_texts)."""
        if not ASKS_MEANING.search(question):
            return frozenset()
        return frozenset(
            unit_id
            for text in term_texts
            for name, end in self._glossary_finder.occurrences(text)
            if MEANING_MARK.match(text, end)
            for unit_id in self._glossary_units[name]
        )

    def names_term(self, query: Query, unit_id: str) -> bool:
        """Say whether the question names the term of a glossary entry, under any of its names."""
        names = self._term_names.get(unit_id, ())
        return any(name in text for text in query.term_texts for name in names)

    def term_texts(self, question: str) -> tuple[str, str, str]:
        """Return the question as terms are compared: as typed, in Sudachi's normalized forms (ソサエティ → ソサエティー),
        and as it reads (くらうど ばい でふぉると, コンビニこうふ: as クラウド・バイ・デフォルト and コンビニ交付 read)."""
        analyzer = self.retriever.analyzer
        return term_key(question), term_key(analyzer.normalized(question)), analyzer.reading(question)

    def question_words(self, question: str) -> list[Word]:
        """Return the content words of a question, without the ward names and the kana pieces the corpus does not know."""
        return [
            w
            for w in self.retriever.analyzer.analyze(question)
            if w.form not in self._ward_words
            and not (SHORT_KANA_PIECE.fullmatch(w.form) and not self.retriever.knows(w))
        ]

    def ward_named_in(self, question: str) -> str | None:
        """Return the one ward the question names, if it names exactly one."""
        named = list(dict.fromkeys(w for alias in self._ward_aliases.names_in(question) for w in self._alias_wards[alias]))
        return named[0] if len(named) == 1 else None

    def documents_named_in(self, question: str, ward: str | None) -> frozenset[str]:
        """Return the documents the question names (情報化推進計画, DX戦略 …), within its ward."""
        text = re.sub(r"\s", "", question)
        return frozenset(
            d.id
            for name in self._document_finder.names_in(text)
            for d in self._document_names[name]
            if ward is None or d.ward == ward
        )

    def extract(self, hit: Hit, query: Query) -> str:
        """Return the unit's text that answers the question, best first, ≤600 characters.

        A public comment's reply is quoted first; the resident's comment follows when room is left,
        since residents often ask what was proposed as much as what the ward replied.
        """
        # A numbered item asked that the passage's heading alone names (目標1 便利で快適な行政サービスの提供, its text
        # going on from it) is answered by that heading first: the item's name is what was asked.
        titled = bool(query.items) and bool(query.items & numbered_items(hit.unit.title)) and not any(
            query.items & numbered_items(segment.text) for segment in hit.text_segments
        )
        lead = hit.unit.title + "\n" if titled else ""
        answer = lead + self.best_sentences(hit.text_segments, query, MAX_EXTRACTED_ANSWER_CHARS - len(lead), hit.unit.title)
        if hit.unit.kind == QA and hit.unit.question:
            room = MAX_EXTRACTED_ANSWER_CHARS - len(answer) - len(COMMENT_LABEL) - 1
            if room >= 40:
                comment = self.best_sentences(hit.question_segments, query, room, hit.unit.title)
                answer += "\n" + COMMENT_LABEL + comment
        return answer

    def best_sentences(self, segments: tuple[Segment, ...], query: Query, limit: int, heading: str = "") -> str:
        """Return the sentence or list item that best matches the words, then the rest, within limit characters.

        heading is the title of the unit the segments are from, which may name what a date in them is of.

        What follows the best piece comes next, in reading order; what precedes it comes last,
        after a line break, so the answer leads with the part that answers.
        """
        if not segments:
            return ""
        pieces = [segment.text for segment in segments]
        idf = {w.form: self.retriever.idf(w) for w in query.words}
        word_terms = [(idf[w.form], w.terms) for w in query.words]  # each word's terms made once, not once a segment
        weights = [sum(weight for weight, terms in word_terms if not segment.terms.isdisjoint(terms)) for segment in segments]
        # A piece with the date or the number asked for counts as much as the question's heaviest word.
        wanted = query.answer_types & SEGMENT_ANSWER_TYPES.keys()
        bonus = max(idf.values(), default=0.0)
        weights = [w + bonus * bool(wanted & segment.kinds) for w, segment in zip(weights, segments)]
        # A matching piece that gives the details asked (the month, the count of 冊 …) leads, whatever else matches
        # more; of two asks (いつからいつまで、何人), the piece that gives more of them.
        gives = [{slot for slot in query.slots if w > 0 and missing_slot([slot], piece, heading=heading) is None} for w, piece in zip(weights, pieces)]
        best = max(range(len(pieces)), key=lambda i: (len(gives[i]), weights[i], -i))
        # Each other ask's best piece follows the lead, so that every detail asked stands in the first lines.
        seconds = []
        for slot in query.slots:
            if slot not in gives[best] and (givers := [i for i in range(len(pieces)) if slot in gives[i]]):
                seconds.append(max(givers, key=lambda i: (weights[i], -i)))
        heads = table_headings(pieces, best)
        seconds = [i for i in dict.fromkeys(seconds) if i != best and i not in heads]
        rest = [i for i in range(best + 1, len(pieces)) if i not in seconds]
        before = [i for i in range(best) if i not in seconds and i not in heads]
        lead = [*heads, best, *seconds]
        ordered = [pieces[i].rstrip("\n") + "\n" if seconds else pieces[i] for i in lead] + lines_apart(pieces, rest)
        chosen: list[str] = []
        for piece in ordered:
            if len("".join(chosen)) + len(piece) > limit:
                break
            chosen.append(piece)
        if not chosen:
            return pieces[best].strip()[: limit - 1] + "…"
        if len(chosen) == len(ordered) and before:
            # What precedes the lead is kept from its near end: the lines just before it (a survey question's
            # heading, the sentence it goes on from) say what it is about; the passage's opening does not.
            room = limit - len("".join(chosen)) - 1
            kept = lines_apart(pieces, before)
            while kept and len("".join(kept)) > room:
                kept.pop(0)
            chosen += ["\n", *kept] if kept else []
        return re.sub(r"\n{2,}", "\n", "".join(chosen)).strip()

    def slot_missing(self, text: str, hit: Hit, query: Query) -> Slot | None:
        """Return the detail asked that the answer cut from hit does not give in its first lines, if any.

        Asked for a target (何分にする目標), a KPI row's current value (現況 … 18分) gives no answer.
        """
        if not query.slots or hit.features.get("defined"):
            # A term's definition answers 「〜って何？」; the other asks of that question are its own.
            return None
        lead = labelled_rows(self.quoted_lead(text), "target" in query.answer_types)
        passage = "\n".join([hit.unit.title, hit.unit.text, hit.unit.department or ""])
        return missing_slot(list(query.slots), lead, hit.unit.department, hit.unit.title, passage)

    @staticmethod
    def quoted_lead(text: str) -> str:
        """Return the lines an answer leads with, where the asked detail must stand.

        A question that asks two things (いつからいつまで、何人) is answered line by line, so the lead is the
        first few lines.
        """
        reply = text.split(COMMENT_LABEL)[0]  # a resident's comment states nothing the ward's reply gives
        pieces = [p for p in split_segments(reply) if p.strip()]
        return "".join(pieces[:QUOTED_LEAD_PIECES])

    def slot_fallback_text(self, missing: Slot, hit: Hit, ward: str | None) -> str:
        """Say that the documents speak of the topic but do not give the detail asked, where, and who is in charge."""
        unit = hit.unit
        where = f"「{unit.document}」の「{unit.title}」" if unit.title else f"「{unit.document}」"
        text = f"申し訳ありません。資料には、お尋ねの{missing.label}の記載がありません。関連する記述は{where}にあります。"
        department = unit.department or (self.wards[unit.ward].department if unit.ward in self.wards else None)
        if department:
            text += f"詳しくは{department}にお問い合わせください。"
            return text
        return text + where_to_ask(self.wards, ward)

    def fallback_text(self, ward: str | None) -> str:
        """Say honestly that the documents do not answer, and where to ask instead."""
        text = "申し訳ありません。このご質問にお答えできる内容は、区のDX・情報化の計画やパブリックコメントの資料には見つかりませんでした。"
        return text + where_to_ask(self.wards, ward)


def runner_up_first(margin: float, best_gives: int, runner_gives: int) -> bool:
    """Say whether a runner-up margin behind the best is quoted first, from how fully each gives the details asked."""
    if runner_gives <= best_gives:
        return False
    return margin <= (MONTH_RUNNER_UP_MARGIN if best_gives == 1 else DETAIL_RUNNER_UP_MARGIN)


def lines_apart(pieces: list[str], indices: list[int]) -> list[str]:
    """Return the pieces at indices, each ending its line where the next one kept is not the next in the text.

    A piece moved to the lead leaves a gap; its neighbours joined across it would read as one line the text never had.
    """
    kept = [pieces[i] for i in indices]
    for k, (i, following) in enumerate(zip(indices, indices[1:])):
        if following != i + 1 and not kept[k].endswith("\n"):
            kept[k] += "\n"
    return kept


def grouped(pairs: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    """Return, for each name, the things it names, in the order the pairs give them."""
    things: dict[str, list[T]] = {}
    for name, thing in pairs:
        things.setdefault(name, []).append(thing)
    return things


def term_names(title: str, analyzer: Analyzer) -> set[str]:
    """Return the names a glossary term goes by: 「デジタル・トランスフォーメーション (DX: Digital Transformation)」 → itself, DX …

    Each is also kept in Sudachi's normalized forms, so that Society5.0 is named by ソサエティ5.0, and without a
    generic last word or the letters before a loanword that residents leave out (コンビニ交付サービス: コンビニ交付;
    AIチャットボット: チャットボット; クラウド・バイ・デフォルト原則: クラウド・バイ・デフォルト); and as it reads, of
    four kana or more, so that a name typed in kana (こんびにこうふ) names it.
    """
    title = unicodedata.normalize("NFKC", title)
    main, _, rest = title.partition("(")
    names = {main, GENERIC_LAST_WORD.sub("", main), LATIN_FIRST_WORD.sub("", main)}
    for part in re.split(r"[:：)]", rest):
        names.add(part)
    keys = {key for n in names for key in (term_key(n), term_key(analyzer.normalized(n))) if len(key) >= 2}
    return keys | {reading for n in names if len(reading := analyzer.reading(n)) >= MIN_READING}


def term_key(text: str) -> str:
    """Write a term as it is compared: NFKC, lower case, without spaces and middle dots."""
    return re.sub(r"[\s・]", "", unicodedata.normalize("NFKC", text)).lower()


def where_to_ask(wards: dict[str, WardInfo], ward: str | None) -> str:
    """Say where a resident can ask instead: the ward's office and department, or every ward's office."""
    info = wards.get(ward) if ward else None
    if info is not None:
        return f"お手数ですが、{info.inquiries}にお問い合わせください。計画については{info.department}が担当しています。"
    contacts = "、".join(w.inquiries for w in wards.values())
    return f"お手数ですが、お住まいの区の窓口（{contacts}）にお問い合わせください。"


def example_questions(wards: dict[str, WardInfo], ward: str | None) -> tuple[str, ...]:
    """Return three questions to try: the ward's own, or one of each ward's when none is known."""
    if ward in wards:
        return wards[ward].examples
    return tuple(info.examples[0] for info in wards.values())


def suggestions(hits: list[Hit], count: int = 3) -> list[str]:
    """Phrase the hits after the answer as up to three different questions a resident can click."""
    answered, *others = [suggestion(h.unit) for h in hits]
    unique = [s for s in dict.fromkeys(others) if s != answered]
    return unique[:count]


def suggestion(unit: Unit) -> str:
    """Phrase a related unit as a question a resident can click: the first question it answers, if listed."""
    if unit.asked:
        return unit.asked[0]
    if unit.kind == GLOSSARY:
        return f"{unit.title}とは？"
    if unit.kind in (QA, FAQ) and unit.question:
        return unit.title
    return f"{unit.title}について"
