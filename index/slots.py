"""The detail a question asks for (a month, a count of something, a department, a fee …) and whether a text gives it.

A passage about the right topic does not answer 「何月から？」 with a year, nor 「何冊？」 with a count of
件: the slot must stand in the sentence the bot quotes, or the bot says the documents do not give it.
Every rule is a function of the question's text and the candidate sentence alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

# A figure as the documents write it: 12, 1,669, 87.7, or in kanji numerals.
NUMBER = r"(?:\d[\d,.]*|[一二三四五六七八九十百千万]+)\s?"
# Counters residents ask with (何冊, 何件 …) → the counters that answer them in the documents.
COUNTERS = {
    "冊": "冊",
    # Procedures are counted as the documents count them (約400手続き): 何件 of them asks that figure.
    "件": "件|手続き",
    "人": "人|名",
    "名": "人|名",
    "校": "校",
    "回": "回",
    "台": "台",
    "か所": "か所|ヶ所|カ所|箇所",
    "ヶ所": "か所|ヶ所|カ所|箇所",
    "箇所": "か所|ヶ所|カ所|箇所",
    "部署": "部署|所属|課",
    "所属": "部署|所属|課",
    "種類": "種類",
    "時間": "時間",
    "分": "分",
    "日間": "日間?",
    "週間": "週間",
    # 何年間: a span of fiscal years (令和3年度から令和7年度) says how many too.
    "年間": r"年間|か年|ヵ年|カ年|ヶ年|年度?\s?(?:から|～|〜|-)\s?(?:令和|平成)?\s?(?:\d+|元)\s?年",
    "か月": "か月|ヶ月|カ月",
    "ヶ月": "か月|ヶ月|カ月",
    "割": "割|%|％|パーセント",
    "%": "%|％|割|パーセント",
    "％": "%|％|割|パーセント",
    "パーセント": "%|％|割|パーセント",
    "票": "票",
    "歳": "歳",
}
# A KPI value with no counter of its own (現況(令和2年度): 9,100): the thing its 指標 counts.
KPI_VALUE = r"(現況|目標)[^:：\n]*[:：]\s*[\d,.]+(?=\s*(/|$))"
# A count asked per period (年に何件, 月何回, 一日何件): the figure must be one per that period (年3件, 一日平均約300件,
# 9,300時間/年), not per another (年6回 does not say how many a month). 今年, 少年 … are no period.
_PER_PERIOD = re.compile(r"(?:毎|1|一|ひと|(?<![一-龥々]))(?P<period>年|月|週|日)(?:に|間|あたり|当たり|平均)*$")


def per_period(period: str, counter: str) -> str:
    """Return the pattern of a figure with counter given per period: 年3件, 年間8,150時間, 一日平均約300件, 9,300時間/年."""
    counted = NUMBER + f"({COUNTERS[counter]})"
    return rf"{period}(間|に|あたり|当たり|平均)*\s?(約)?\s?{counted}|{counted}\s?/\s?{period}"


# 何回も, 何人も say "many times, many people": no count is asked.
_COUNT_QUESTION = re.compile(r"何(" + "|".join(COUNTERS) + r")(?!も)")
# Counters of things and shares, not of people or measures: 「危険性は何件」 is not answered by 「Webサイト56件」,
# nor 「住所変更は何％」 by a line giving another rate, so the line giving the figure must name the thing
# counted, as the question names it just before or after the counter.
SHARE_COUNTERS = frozenset({"%", "％", "パーセント", "割"})
THING_COUNTERS = frozenset({"冊", "件", "回", "台", "校", "か所", "ヶ所", "箇所", "種類", "票"}) | SHARE_COUNTERS
_NOUN = r"[一-龥々ァ-ヶーA-Za-zＡ-Ｚａ-ｚ]{2,}"
_FILLER = r"(?:年間|年に|今|いま|これまでに?|全部で|合計|累計|全体で|結局|で|は|くらい|ぐらい)*"
# What joins the noun that names the counted thing to its counter: 危険性|は全部で|何件.
_UP_TO_COUNTER = r"(?:は|が|を|も|って|の数は?)?" + _FILLER + r"何{counter}"
_COUNTED_BEFORE = r"(" + _NOUN + r")" + _UP_TO_COUNTER
# Whose count it is (システム監査の実施回数は何回): a ward's name (台東区の) narrows nothing the line must repeat.
_OWNER_BEFORE = r"(" + _NOUN + r")の" + _NOUN + _UP_TO_COUNTER
_WARD = re.compile(r".+区")
# Words before a counter or いつ that name no thing: when (去年は何件, 最初はいつ), how much (全部で), or the share itself (割合は何％).
_WHEN = re.compile(r"(去年|今年|昨年|来年|毎年|年間|年|今年度|昨年度|全部|合計|累計|全体|現在|最近|結局|割合|比率|最初|初め|当初|最後|最新)度?")
_COUNTED_AFTER = r"何{counter}(?:くらい|ぐらい|ほど)?の?(" + _NOUN + r")"


# Question words residents type in kana (なんさつ, なん件, 何けん, どこのかが): each counter's reading → how the rules
# above write it. Longer readings first, and a reading is a counter only where no other word goes on
# (なんじかん is 何時間, not 何時; なんかいい is なんか いい; なんじゃ is no 何時).
KANA_COUNTERS = {
    "ぱーせんと": "パーセント",
    "しゅうかん": "週間",
    "しゅるい": "種類",
    "にちかん": "日間",
    "ねんかん": "年間",
    "ようび": "曜日",
    "かげつ": "か月",
    "かしょ(?!う)": "か所",
    "じかん": "時間",
    "ねんど": "年度",
    "ぱー": "パーセント",
    "けん": "件",
    "さつ": "冊",
    "にん": "人",
    "めい": "名",
    "かい(?![いらりるれろっ])": "回",
    "わり": "割",
    "さい": "歳",
    "えん": "円",
    "ばん": "番",
    "ひょう": "票",
    "がつ": "月",
    "にち": "日",
    "ねん": "年",
    "じ(?![ゃゅょ])": "時",
    "ぷん": "分",
    "ふん": "分",
}
# A counter already in kanji after なん (なん件, なん部署): one _COUNT_QUESTION reads after 何, or one a kana counter is written as.
_KANJI_COUNTER = "|".join(dict.fromkeys([*COUNTERS, *KANA_COUNTERS.values()]))
# なん inside a word is no question word: 避難 (ひなん), 困難 (こんなん), そんなん, 災難.
_NOT_IN_WORD = r"(?<!ひ)(?<!こん)(?<!そん)(?<!あん)(?<!さい)"
# Each question word typed in kana, where it cannot be another word, and how the rules read it; applied in turn.
KANA_QUESTION_WORDS = (
    *((re.compile(_NOT_IN_WORD + r"(?:なん|何)" + reading), "何" + kanji) for reading, kanji in KANA_COUNTERS.items()),
    (re.compile(_NOT_IN_WORD + r"なん(?=" + _KANJI_COUNTER + ")"), "何"),
    (re.compile(_NOT_IN_WORD + r"なんこ(?![うつく])"), "いくつ"),  # not なんこつ
    (re.compile(r"(どこの|どの)か(?=[がはでにへ]|[?？。、\s]|$)"), r"\1課"),  # not どこのかいしゃ
    (re.compile(r"ぶしょ(?!う)"), "部署"),
    (re.compile(r"(?<![すよみ])だれ"), "誰"),  # not すだれ, よだれ, みだれ
)


# Every pattern above needs one of these: a question without any has no question word typed in kana, and is not
# walked by each pattern in turn (most questions).
KANA_QUESTION_HINTS = ("なん", "何", "どの", "どこの", "ぶしょ", "だれ")
_KANA_QUESTION_HINT = re.compile("|".join(KANA_QUESTION_HINTS))
# Each pattern without the lookbehinds it opens with: what it must match, found by its first characters, where the
# whole pattern would test its lookbehinds at every position: a pattern is applied only to a question that holds it.
_KANA_QUESTION_GATES = tuple(re.compile(re.sub(r"^(?:\(\?<![^()]*\))+", "", p.pattern)) for p, _ in KANA_QUESTION_WORDS)


def kanji_question_words(question: str) -> str:
    """Return the question with its question words typed in kana written as the rules read them (なんさつ → 何冊).

    Only what a question asks for is read from this spelling (the slots, the answer types), never its words.
    """
    if not _KANA_QUESTION_HINT.search(question):
        return question
    for (pattern, kanji), gate in zip(KANA_QUESTION_WORDS, _KANA_QUESTION_GATES):
        if gate.search(question):
            question = pattern.sub(kanji, question)
    return question


# How many characters of a thing in a row name it where the place of it is asked.
PLACE_NAMING = 3


@dataclass(frozen=True)
class Slot:
    """One detail a question asks for, and what a sentence that gives it holds."""

    label: str  # how the fallback names what is missing: 「資料には{label}の記載がありません」
    answer: re.Pattern[str]
    in_charge: bool = False  # a department slot the unit's own 担当 fills (どこの課がやるの), not one about use (どの課で導入)
    headed: bool = False  # the passage's title may give it (令和6年度における取組み gives the year of what it lists)
    counted: tuple[str, ...] = ()  # the thing counted (危険性): the line giving the figure must name one of them
    owners: tuple[str, ...] = ()  # whose count it is (システム監査 of its 実施回数): the line must name one of them too
    topics: tuple[str, ...] = ()  # what a date is asked of (転出届): the date's line or the passage's heading names one
    # Asks when something happens: the line giving the date must name what is asked about, or a date of something
    # else answers (転出届はいつまでに is not answered by the dates comments were accepted).
    dated: bool = False
    # Whose it is (DX推進センターの電話番号): topics names it, and the passage quoted must name one of them in full,
    # on any line (a colophon gives its department's name and its number on lines of their own).
    owned: bool = False
    # Where something is (DX推進センターってどこにある): topics names it, its own name (…センター) gives no place, and
    # the text quoted or the passage's title must name it.
    place: bool = False

    def given_by(self, text: str, heading: str = "", passage: str | None = None) -> bool:
        """Say whether the text gives this detail, on a line that names what it is of when the question names that.

        The thing counted (and whose) must stand on the figure's line; what a date is of may stand on the date's
        line or in heading, the title of the passage quoted, which names what the passage's dates are of. Whose
        an owned detail is must stand in passage, the whole text quoted from, when it is known.
        """
        searched = text
        if self.place and self.topics:
            names = re.compile("|".join(re.escape(topic) for topic in self.topics))
            searched = names.sub(lambda name: "＿" * len(name.group()), text)
        lines = [line_around(text, m.start()) for m in self.answer.finditer(searched)]
        if self.place:
            # The place must be the thing's: 資格確認書ってどこでもらえる is not answered by lines on オンライン手続き and
            # 本人確認 that never name it, so the text quoted or its title names the thing by three characters of it in
            # a row (two, 確認, stand in many another word).
            return bool(lines) and (not self.topics or any(names_thing(self.topics, t, PLACE_NAMING) for t in (heading, text)))
        if self.owned:
            return bool(lines) and (passage is None or not self.topics or any(topic in passage for topic in self.topics))
        if self.topics:
            return bool(lines) and (names_thing(self.topics, heading) or any(names_thing(self.topics, line) for line in lines))
        if not self.counted:
            return bool(lines)
        return any(names_thing(self.counted, line) and (not self.owners or names_thing(self.owners, line)) for line in lines)


# The noun just before the question word, joined by a particle (転出届は|いつ, サービスって、|いつ), and whose it is.
_TOPIC_BEFORE = re.compile(r"(?:(?P<owner>" + _NOUN + r")[の、\s])?(?P<noun>" + _NOUN + r")(?:は|って|が|も|の)?、?" + _FILLER + r"\s*$")
# …or, when a clause made a noun stands between (スクールカレンダーがスマホのカレンダーに入るのは|いつ), the thing the
# question opens with (not a condition: 災害が起きても…計画は、いつまでに).
_TOPIC_FIRST = re.compile(r"^(?P<noun>" + _NOUN + r")(?:が|は|って)[^、。？?]*の(?:は|って)\s*$")
# What happens to anything at a date (受付は何月何日まで): naming it alone says nothing the date's line must repeat.
_ANY_EVENT = re.compile(r"受付|受け付け|開始|終了|締め?切り?|期限|期間|募集|予定|日程|申し?込み?|申請|開催|実施|公開|発行|提出|次回")
# Events written with kana inside (申込締め切り, 申し込み, 受け付け) are nouns all the same: read without it (申込締切), so
# that what they are of stands just before them (4月入園の|申込締切は|いつ).
EVENT_OKURIGANA = re.compile(r"申し込み|申込み|申し込|締め切り|締切り|締め切|受け付け")
WITHOUT_KANA = str.maketrans("", "", "しみめりけ")
# Slots asked by words alone, in the order they are looked for; a question may ask several.
WORDED_SLOTS = (
    (re.compile(r"いつ(?!も|でも)"), Slot("時期", re.compile(r"(令和|平成|昭和|R|H)\s?(\d+|元|[一二三四五六七八九十]+)\s?(年|\.)|\d{4}\s?年|\d+\s?(年度|月|日)|上旬|中旬|下旬|年度(内|中|末)|今年|来年|昨年|毎年|毎月|随時|常時|24時間"), dated=True)),
    (re.compile(r"何月何日|何日(?!間)|日付|日にち|(締め?切り?|締切|〆切)日"), Slot("日付", re.compile(r"\d+\s?日"), dated=True)),
    # A date asked of next year (来年度はいつやるの): this year's dates, written without a year (12月19日～), do not answer.
    (
        re.compile(r"(来年|次年度|翌年度)[^。？?]{0,20}(いつ|何月|何日)"),
        Slot("来年度の日程", re.compile(r"(令和|平成|R)\s?(\d+|元)\s?年|\d{4}\s?年|来年|次年度|翌年度")),
    ),
    # A fiscal year: 令和4年4月 (when something was made) does not say 何年度まで a plan runs.
    (re.compile(r"何年度"), Slot("年度", re.compile(r"(\d+|元)\s?年度|年度(内|中|末)"), dated=True)),
    (re.compile(r"何月(?!何日)|何年何月"), Slot("月", re.compile(r"\d+\s?月|上旬|中旬|下旬"), dated=True)),
    (re.compile(r"何時(から|まで|に|頃|ごろ)|受付時間|開庁時間|営業時間"), Slot("時間帯", re.compile(r"\d{1,2}\s?時(?!間)|\d{1,2}:\d\d|24時間"))),
    # Whether it costs anything (無料ですか, お金かかる？) asks it too; 無料Wi-Fi only names a thing.
    (
        re.compile(
            r"いくら|何円|金額|料金|参加費|手数料|費用|補助金"
            r"|(無料|有料|タダ)(です|なの|なん|でしょ|か|[?？]|$|にな|で(使|受|利))|お金(は|が|って)?(かか|いる|要る|必要)"
        ),
        # 負担 alone is no fee: 手続きにかかる負担軽減 is the bother saved.
        Slot("金額", re.compile(NUMBER + r"(円|万円|億円)|無料|有料|無償|自己負担|費用を?負担|負担(金|額|なし)")),
    ),
    (re.compile(r"URL|ＵＲＬ|アドレスを教え|サイトのアドレス"), Slot("URL", re.compile(r"https?://|www\.|\.(jp|com|go)\b"))),
    (re.compile(r"電話番号|何番に(電話|かけ)"), Slot("電話番号", re.compile(r"\d{2,4}\s?[-‐－(（]\s?\d{2,4}\s?[-‐－)）]\s?\d{3,4}"), owned=True)),
    (re.compile(r"どこの(会社|企業|業者|事業者)|(会社|企業|業者|事業者)(の名前|名|は(どこ|誰|だれ))|どの(会社|企業|業者)"), Slot("会社名", re.compile(r"株式会社|有限会社|合同会社|[（(]株[)）]|[ァ-ヶーA-Za-z]{2,}社(?![会員])"))),
    (re.compile(r"(講師|委員|担当者|責任者|先生|専門家|審査員)[^。？?、]{0,6}(名前|誰|だれ)|(名前|誰|だれ)[^。？?、]{0,4}(講師|委員|先生)"), Slot("人の名前", re.compile(r"[一-龥]{1,4}\s?[一-龥]{1,3}\s?(氏|さん|先生|教授|委員長)|氏名"))),
    # The name of an app, a service or a system: the documents give one in quotes (防災アプリ「台東防災」) or in Latin letters.
    # A person's name (講師の名前, 委員の名前) is the slot above.
    (re.compile(r"(なんて|何て|何という|なんという)(名前|名称)|(?<!師の)(?<!員の)(?<!者の)(?<!生の)(?<!家の)(名前|名称)(は|って|が)?(なに|何|なん|を?(教え|おしえ)|[?？]|$)|(名前|名称)と[、\s]?(どこ|いつ|何|なに|いくら)"), Slot("名称", re.compile(r"「[^」]{2,40}」|『[^』]{2,40}』|[A-Za-z][A-Za-z0-9.]{2,}"))),
    (re.compile(r"何語|何(か|ヶ|カ)国語|(言語|外国語)は(何|どれ|いくつ)|(どの|どんな)(言語|外国語)"), Slot("言語", re.compile(r"(英|中国|韓国|朝鮮|日本|[ァ-ヶー]{2,})語|\d+\s?(か|ヶ|カ)?国語|\d+\s?言語"))),
    # Where to do something (どこで申請できる？ どこで見られる？): a place, an office, a counter or a site must be named.
    (
        re.compile(
            r"会場|開催場所|どこで(やる|開催|行われ|行う|実施)|どこ(で|に|へ)(もら|受け取|取得|行けば|行け|ある|あり)(?!か)"
            r"|どこ(で|から|に)(でき|する|し(て|た)|申し込|申請|受け|手続|請求|登録|取れ|見られ|見れ|読め|出せ|借り|払え|買え"
            r"|ダウンロード|インストール|入手|入れ)"
            r"|(申し?込み?|申込|申請|手続き?|受付|相談)(先|窓口)?(は|って)どこ"
        ),
        Slot(
            "場所",
            re.compile(
                r"会場|区役所|庁舎|センター|図書館|会議室|窓口|事務所|出張所|コーナー|サイト|ホームページ|[^\s、。]{1,12}(館|室|階|ホール)"
                r"|オンライン|ストア|App ?Store|Google ?Play"
            ),
            place=True,
        ),
    ),
    # How many measures a plan has (施策と取組はいくつ): a count of them (16の施策と27の取組, 施策数 19) answers, not a
    # passage that only lists measures by their numbers (施策4 デジタルによる災害対策).
    (
        re.compile(r"(施策|取組|取り組み)[^。？?、]{0,12}(いくつ|何個|幾つ|(の|の数|数)(は|って)?(何|なん)(こ|個)?(\s|[?？]|$))"),
        Slot("施策や取組の数", re.compile(r"\d+\s?(つの|の)?\s?(施策|取組|取り組み)|(施策|取組|取り組み)数\s?[:：]?\s?\d+")),
    ),
    # Until when a plan runs (何年までの計画, 何年度まで): the year it ends, not the year it was made (令和4年4月に策定).
    (
        re.compile(r"何年まで|いつまでの計画"),
        Slot("計画の終わりの年", re.compile(r"(\d+|元)\s?年度?\s?(まで|末|迄)|年度?\s?(から|[～〜])\s?(令和|平成|R|H)?\s?(\d+|元)\s?年")),
    ),
    # Which got the most votes (いちばん票が多かった提案): only a line that ranks them answers, not the votes' total.
    (
        re.compile(r"(一番|いちばん|最も|もっとも)[^。？?、]{0,6}(票|投票)|票[^。？?、]{0,6}(一番|いちばん|最も|もっとも)"),
        Slot("得票の順位", re.compile(r"最多|最も多|一番多|\d+\s?位|トップ")),
    ),
    # What to bring (何を持っていけばいい？ 必要書類は？): the documents must name it.
    (
        re.compile(
            r"(何|なに)を?(持って|もって)|持ち物|必要(な)?書類|持参するもの|必要な(もの|物)"
            r"|(何|なに)が(必要|いる|要る)(です|でしょう|なの|か[?？]|[?？]|$)"
        ),
        Slot("持ち物", re.compile(r"持参|持ち物|必要書類|本人確認書類|お持ち")),
    ),
)


# How a resident does something (どうやって予約するの, つなぎ方, 申し込み方法): a passage that only says the service will
# exist (オンライン相談の拡充) does not tell; the line must at least name the step asked, as the documents write it.
HOW_TO = (
    r"(どうやって|どうすれば|どうしたら|どのように)[^。？?、]{{0,8}}({0})|({0})[^。？?、]{{0,3}}(方|方法|手順|仕方|やり方|かた)"
    r"|({0})[^。？?、]{{0,4}}には[^。？?、\s]{{0,2}}\s?(どうすれば|どうしたら)"
)
HOW_TO_STEPS = tuple(
    (label, re.compile(HOW_TO.format(asked)), re.compile(named))
    for label, asked, named in (
        ("予約", "予約", "予約"),
        ("申し込み", "申し?込|申込", "申し?込|申込"),
        ("登録", "登録", "登録"),
        ("接続", "つな[ぐげぎが]|接続", "つな[ぐげぎが]|接続"),
        ("ダウンロード", "ダウンロード|インストール", "ダウンロード|インストール|ストア"),
        ("申請", "申請", "申請"),
        ("受け取り", "受け?取|受取", "受け?取|受取|交付"),
        ("作成", "作り|作る|つくり|つくる", "作成|発行|交付|作[りるれ]"),
        # 書き方を教えて asks how to fill a form in; 書き方がおかしい speaks of a text's wording.
        ("記入", r"記入|書き(?=方(を|が(わから|分から)|は|って|\s|[?？]|$))|書けば|書いたら", "書き方|記入|書[きく]"),
        ("取り寄せ", "取り寄せ|とりよせ|取寄せ", "取り?寄せ|郵送|送付|請求"),
    )
)


# 部署 itself (7部署) names no department.
DEPARTMENT_NAME = re.compile(r"[^\s、。：:（）()「」]{2,}(課|局|(?<![一全内外細大])部|センター)(?!題|程|長|分|門|品|屋|署)")
# 「どの課？」「部署はどこ？」: the department asked for.
ASKS_DEPARTMENT = re.compile(r"(どの|どこの|何)(課|部署|部局)|(課|部署|部局)(は|って|が)どこ")
# …about where something is used or has started (どの部署で導入してるの): the department in charge of a plan does not answer it.
ASKS_WHERE_USED = re.compile(r"(導入|使って|使われ|使用|利用して|始ま|始め|採用)")
# …or where something happened (課題があったのはどこの部署, 事故が起きた課): nor does it answer that.
ASKS_WHERE_HAPPENED = re.compile(r"(あった|起き|発生|見つか|生じ)")


# Who holds a role (副本部長ってだれ？): only a line naming that role says; one naming another (区長を本部長とする) does not.
# A role of two kanji (区長) stands inside other words (台東区長期総合計画), so it is not looked for.
_ASKS_WHO = re.compile(r"(?P<role>[一-龥]{2,}(?:長|者|官))(?:は|って)(?:誰|だれ)(?:です|でしょう|なの|なん|[?？]|\s|$)")


# Whether something is needed (予約は必要？ パスワードいる？), not what is (どんな手続きが必要): the line must name
# the thing and say 必要 or 不要.
_ASKS_NEEDED = re.compile(r"(?<!どんな)(?<!何の)(?P<thing>" + _NOUN + r")(?:は|が|って|も)?(?:必要|要る)(?:です|でしょう|なの|か|[?？]|$)|(?P<bare>" + _NOUN + r")いる[?？]")
NEEDED = re.compile(r"必要|不要|要りません|いりません")


# A count of a category the question quotes (「緊急」っていくつ見つかった, 『緊急』ってなったサイト何件): only a figure on a
# line naming it answers, not the count of all the things the category sorts (Webサイト56件).
_QUOTED_COUNT = re.compile(
    r"[「『](?P<thing>[^」』]{1,20})[」』][^。？?「『]{0,20}?(?:いくつ|何個|何件|何か所|何台|何回|何種類|何人|何名)"
)


# Whether a target was reached or what a figure came to in the end (目標は達成できたの, 結局いま何%になった, 令和7年度の
# 実績は): a KPI row's 現況 is a baseline before the plan and its 目標 an aim, so only a line stating a result answers.
ASKS_OUTCOME = re.compile(
    r"達成(でき|し|され)た|目標[^。？?]{0,15}(届い|いった|行った|超え|クリア)"
    r"|(結局|けっきょく)[^。？?]{0,20}(なった|下がった|上がった|増えた|減った|伸びた)"
    r"|実績(は|って|を|が)?(\s|[?？]|$|どう|いくつ|何|教え|おしえ)"
    # What a figure is now (今は何件まで増えたの, 今年はどのくらいになってますか): a KPI row's 現況 is the year before the plan.
    r"|(今|いま|現在|今年|今年度)(は|の|って|で)?(何|どの[くぐ]らい|どれ[くぐ]らい|いくつ)[^。？?、]{0,8}(になって|になった|まで(増え|伸び|上が)|増えた|減った|伸びた)"
)
OUTCOME_STATED = re.compile(r"実績|達成(し|され|でき)(た|まし)")


# Each era's names, the year before its first (元年) and its last.
ERAS = {"令和|R": (2018, 9999), "平成|H": (1988, 2019)}
# A year a question asks a figure of (令和6年度の問い合わせ件数は？): a figure of another year does not answer it. Named
# where no figure is asked, a year more often says which thing is meant (令和8年度から始まる計画の目標は).
ASKS_YEAR = re.compile(r"((?P<era>" + "|".join(ERAS) + r")\s?(?P<number>\d{1,2}|元)|(?<!\d)(?P<western>(19|20)\d\d))\s?年度?")
ASKS_FIGURE = re.compile(r"何(" + "|".join(COUNTERS) + r")|件数|人数|回数|数は|率は|いくつ|どれ[くぐ]らい|どの[くぐ]らい")


# A share or a count asked of an age group (60歳以上でネットを使っている人はどれくらい): the figure of all ages, or of
# another age, does not answer it; the line must name the age (60歳代以上は67.2%). An age alone (親が70代で) is who asks.
_AGE = r"(?P<{name}>\d{{2}})\s?(?:歳|才)?代|(?P<{name}_years>\d{{2}})\s?(?:歳|才)(?:以上|以下|未満)"
# How residents ask for a share or how many (何割, どれくらい, 多い); the survey questions read it too (index/answering.py).
SHARE_ASKED = r"何割|何パーセント|何%|何％|どの[くぐ]らい|どれ[くぐ]らい|割合|多い"
ASKS_AGE_SHARE = re.compile(
    r"(?:" + _AGE.format(name="age") + r")[^。？?]*(?:" + SHARE_ASKED + r")|(?:" + SHARE_ASKED + r")[^。？?]*(?:" + _AGE.format(name="age_after") + r")"
)


# A share asked of the people who use or have a thing (ネットつかってる人の割合, スマホ持ってる人ってどのくらい): the
# figure's line must name the thing, or another share of the same survey answers (居住地区の割合: 台東 10.1%).
ASKS_USERS_SHARE = re.compile(
    r"(?P<thing>" + _NOUN + r")(?:を|が|は)?(?:使っ|つかっ|利用し|持っ|もっ)て(?:い)?る(?:人|ひと|区民|方)(?:は|が|って|の)?(?:"
    + SHARE_ASKED
    + r")"
)
SHARE_FIGURE = re.compile(NUMBER + r"(%|％|割|パーセント)")


def western_year(named: re.Match[str]) -> int:
    """Return the year an ASKS_YEAR match names, in the Western calendar (令和6年 → 2024)."""
    if named.group("western"):
        return int(named.group("western"))
    start = next(start for names, (start, _) in ERAS.items() if named.group("era") in names.split("|"))
    return start + (1 if named.group("number") == "元" else int(named.group("number")))


def year_written(year: int) -> re.Pattern[str]:
    """Return how the documents may write a year: 2024年, 令和6年(度), R6, and 令和元年 for 2019."""
    ways = [rf"(?<!\d){year}\s?年"]
    for names, (start, last) in ERAS.items():
        if start < year <= last:
            ways.append(rf"({names})\s?({year - start}(?!\d){'|元' if year - start == 1 else ''})")
    return re.compile("|".join(ways))


def asked_slots(question: str) -> list[Slot]:
    """Return the details a question asks for: its counted things, the department, and the worded slots it names."""
    slots = []
    if ASKS_DEPARTMENT.search(question):
        used, happened = bool(ASKS_WHERE_USED.search(question)), bool(ASKS_WHERE_HAPPENED.search(question))
        label = "使っている部署" if used else "該当する部署" if happened else "担当の課"
        slots.append(Slot(label, DEPARTMENT_NAME, in_charge=not (used or happened)))
    for match in _COUNT_QUESTION.finditer(question):
        counter = match.group(1)
        counted = counted_things(question, counter) if counter in THING_COUNTERS else ()
        owners = counted_owners(question, counter) if counted else ()
        if period := _PER_PERIOD.search(question, 0, match.start()):
            answer = re.compile(per_period(period.group("period"), counter))
        else:
            answer = re.compile(NUMBER + f"({COUNTERS[counter]})(?!ひとり|一人)|" + KPI_VALUE, re.MULTILINE)
        share = counter in SHARE_COUNTERS
        label = f"{counted[0]}の{'割合' if share else '数'}" if counted else ("割合" if share else f"{counter}の数")
        slots.append(Slot(label, answer, counted=counted, owners=owners))
    for quoted in _QUOTED_COUNT.finditer(question):
        thing = quoted.group("thing")
        slots.append(Slot(f"{thing}の数", re.compile(NUMBER), counted=(thing,)))
    for asks, slot in WORDED_SLOTS:
        if match := asks.search(question):
            topics = dated_things(question[: match.start()]) if slot.dated or slot.owned or slot.place else ()
            slots.append(replace(slot, label=f"{'の'.join(topics)}の{slot.label}", topics=topics) if topics else slot)
    slots.extend(Slot(f"{label}の方法", named) for label, asked, named in HOW_TO_STEPS if asked.search(question))
    if outcome := ASKS_OUTCOME.search(question):
        # What the figure is of comes first (マイナンバーカード交付率、…達成できたの), or just before the ask.
        topic = re.split(r"[、\s]", question[: outcome.start()])[0]
        slots.append(Slot("の".join([*dated_things(topic), "実績"]), OUTCOME_STATED))
    slots.extend(Slot(who.group("role"), re.compile(re.escape(who.group("role")))) for who in _ASKS_WHO.finditer(question))
    needed = [m.group("thing") or m.group("bare") for m in _ASKS_NEEDED.finditer(question)]
    if needed:
        slots.append(Slot(f"{needed[0]}の要否", NEEDED, counted=tuple(needed)))
    for year in ASKS_YEAR.finditer(question) if ASKS_FIGURE.search(question) else ():
        slots.append(Slot(re.sub(r"\s", "", year.group(0)), year_written(western_year(year)), headed=True))
    if (age := ASKS_AGE_SHARE.search(question)) is not None:
        years = next(g for g in age.group("age", "age_years", "age_after", "age_after_years") if g)
        slots.append(Slot(f"{years}歳代の割合", re.compile(rf"(?<!\d){years}\s?(歳|才)")))
    if (users := ASKS_USERS_SHARE.search(question)) is not None:
        thing = users.group("thing")
        slots.append(Slot(f"{thing}の割合", SHARE_FIGURE, counted=(thing,)))
    return slots


def missing_slot(
    slots: list[Slot], text: str, department: str | None = None, heading: str = "", passage: str | None = None
) -> Slot | None:
    """Return the first slot the text does not give, or None when it gives them all.

    department is the 担当 of the unit quoted, which the answer names: it fills an in-charge slot; heading is its title;
    passage is its whole text, which must name whose an owned detail is.
    """
    for slot in slots:
        given = text + (f"\n{department}" if department and slot.in_charge else "") + (f"\n{heading}" if slot.headed else "")
        if not slot.given_by(given, heading, passage):
            return slot
    return None


def dated_things(before: str) -> tuple[str, ...]:
    """Return the nouns that name what a date is asked of, from the question's text before it asks when (転出届はいつまでに).

    Whose it is (DX戦略の意見募集っていつ) and what it is set beside (DX推進計画、正式版はいつ) count too: naming
    one will do.
    """
    topic = _TOPIC_BEFORE.search(EVENT_OKURIGANA.sub(lambda kana: kana.group().translate(WITHOUT_KANA), before))
    if topic is not None:
        named = topic.group("owner", "noun")
    elif first := _TOPIC_FIRST.search(before):
        named = (first.group("noun"),)
    else:
        return ()
    nouns = [noun for noun in named if noun and not _WARD.fullmatch(noun)]
    return tuple(noun for noun in nouns if not _WHEN.fullmatch(noun) and not _ANY_EVENT.fullmatch(noun))


def counted_things(question: str, counter: str) -> tuple[str, ...]:
    """Return the nouns a question names the counted thing with: just before its 何件 (危険性は何件) or after it."""
    patterns = (p.replace("{counter}", re.escape(counter)) for p in (_COUNTED_BEFORE, _COUNTED_AFTER))
    nouns = (match.group(1) for pattern in patterns for match in re.finditer(pattern, question))
    return tuple(noun for noun in nouns if not _WHEN.fullmatch(noun))


def counted_owners(question: str, counter: str) -> tuple[str, ...]:
    """Return the nouns that say whose count is asked: システム監査 in システム監査の実施回数は何回 (not a ward's name)."""
    matches = re.finditer(_OWNER_BEFORE.replace("{counter}", re.escape(counter)), question)
    return tuple(m.group(1) for m in matches if not _WHEN.fullmatch(m.group(1)) and not _WARD.fullmatch(m.group(1)))


def line_around(text: str, at: int) -> str:
    """Return the line of text that holds position at."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else len(text)]


def names_thing(nouns: tuple[str, ...], line: str, width: int = 2) -> bool:
    """Say whether a line names one of the nouns, by any width characters of it in a row (事故 in 情報漏えい・事故件数).

    A noun shorter than width is named whole.
    """
    for noun in nouns:
        size = min(width, len(noun))
        # A long vowel mark and its neighbour say nothing of the word (ール is in スクール and スケジュール).
        pieces = (noun[i : i + size] for i in range(len(noun) - size + 1))
        if any(piece in line for piece in pieces if size > 2 or "ー" not in piece):
            return True
    return False
