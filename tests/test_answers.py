"""What a question asks for, and answers that give it: slots, table rows, document cards, definitions, もしかして."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Question
from index.answering import DETAIL_RUNNER_UP_MARGIN, MONTH_RUNNER_UP_MARGIN, lines_apart
from index.retriever import SEGMENT_ANSWER_TYPES
from index.slots import asked_slots, kanji_question_words, missing_slot
from index.text import labelled_rows, numbered_items, squash


@pytest.mark.parametrize(
    ("question", "given", "not_given"),
    [
        ("何月から始まりますか", "令和7年4月から", "令和7年度から"),
        ("受付は何月何日まで？", "令和8年1月7日（水）まで", "令和8年1月まで"),
        ("電子書籍は何冊ありますか", "電子書籍 3,000冊", "応募：95 件"),
        ("何人が意見を出したの", "提出者数：12名", "意見受付件数 4件"),
        ("テレワークは何人くらいやってるの", "テレワーク実施者 120人", "職員一人ひとりの状況に合わせて"),
        ("どこの部署で導入しているの", "情報システム課で導入", "組織の一部で導入"),
        ("部署はどこですか", "情報政策課が担当", "各部署で連携"),
        ("参加費はいくら？", "参加費は無料", "参加者を募集"),
        ("ダウンロード数は何件？", "指標: 防災アプリダウンロード数（累計） / 現況(令和2年度): 9,100", "ダウンロード数を増やす"),
        ("登録者数は何人？", "現況(令和2年度): 9,100", "目標(令和7年度): 80%"),
        ("危険性は何件見つかったの", "検出された危険性: 3件", "・対象：Webサイト56件（昨年度53件）\n・危険性を分類"),
        ("何件くらい応募があったの", "応募：95 件", "区民投票：665 人・1,669 票 / 採用 2件"),
        ("事故って年に何件", "指標: 情報漏えい・事故件数 / 現況(令和2年度): 年3件", "オープンデータ公開件数 36件"),
        ("どこの会社のサービスを使うの", "株式会社図書館流通センターのサービス", "委託事業者のサービスを使う"),
        ("研修の講師の名前は？", "講師は山田太郎氏", "外部講師を招いて実施"),
        ("電子図書館はいつから使えるの", "電子図書館は令和4年度から導入", "電子書籍サービス等の導入を位置づけています"),
        ("防災アプリは何語に対応してるの", "英語・中国語・韓国語に対応", "多言語に対応"),
        ("使いたくない人は何パーセント？", "使いたくない 23.5%", "使いたくない人が多い"),
        ("システム監査の実施回数って年に何回？", "システム監査の実施回数: 年1回", "指標: ICTリテラシー向上に資する研修等実施回数 / 目標(令和7年度): 年2回"),
        ("台東区の事故件数は何件？", "指標: 情報漏えい・事故件数 / 現況(令和2年度): 年3件", "・対象：Webサイト56件"),
        ("受け取るとき予約は必要？", "受け取りには予約が必要です", "予約システムを導入します"),
        ("無料Wi-Fiってパスワードいる？", "パスワードは不要です", "パスワードの管理を徹底"),
        ("何年度までの計画？", "令和3年度から令和7年度の5年間", "令和4年4月に策定"),
        ("住所変更は何％の人が選んだの", "「住所変更に関する手続」 45.2%", "指標: オンライン手続き比率 / 現況(令和7年度): 20%"),
        ("手続きの割合を何%まで増やすの", "指標: オンライン手続比率 / 目標(令和7年度): 60%", "手続きを増やす"),
        ("防災アプリってなんて名前？", "防災アプリ「台東防災」の配信", "防災アプリなどデジタル技術を活用"),
        ("そのアプリ、名前なんだっけ", "LINEで配信", "アプリを活用し"),
        ("交付率の目標は達成できたの？", "交付率は令和7年度の実績で62%", "指標: 交付率 / 現況(令和2年度): 35% / 目標(令和7年度): 60%"),
        ("未解決率、結局いま何%まで下がったの", "未解決率の実績は12%", "現況(令和2年度): 20% / 目標(令和7年度): 0%"),
        ("交付率 令和7年度の実績は", "令和7年度の交付率の実績は62%", "現況(令和2年度): 35% / 目標(令和7年度): 60%"),
        ("令和6年度1年間の問い合わせ件数は？", "令和6年度は約8万件の問い合わせ", "令和3年1月現在で一日平均約300件の問い合わせ"),
        ("2019年度の応募は何件？", "令和元年度の応募 12件", "平成30年度の応募 12件"),
        ("生成AIの利用回数、目標は月何回？", "生成AIの利用回数 月平均20回", "生成AIの利用回数 年10回"),
        ("チャットボットには一日何件くらい質問が来るの", "一日平均約300件の質問", "令和2年度の質問 1,200件"),
        ("作業時間は年間何時間減らすの", "削減時間 9,300時間/年", "削減時間 9,300時間"),
        ("この計画は何年間の計画？", "令和3年度から令和7年度までの計画", "令和4年4月に策定"),
        ("予防接種は無料ですか", "接種費用は無料です", "手続きにかかる負担軽減に取り組む"),
        ("アプリのダウンロードはどこからするの", "App Storeからダウンロード", "ダウンロード数（累計） 9,100"),
        ("オンライン相談ってどうやって予約するの？", "区ホームページの予約フォームから", "オンライン相談の拡充を進めます"),
        ("Wi-Fiのつなぎ方を教えて", "SSIDを選んで接続します", "Wi-Fi設置場所のデータを公開"),
        ("診断で「緊急」っていくつ見つかったの", "「緊急」 2件", "対象：Webサイト56件\n危険度に応じ、注意・警告・重要・緊急 に分類"),
        ("新しいサービスの名前は？", "「ぴったりサービス」を活用", "新しいサービスを導入"),
        ("資格確認書はどこでもらえますか", "資格確認書は、区役所の窓口で交付", "適切な本人確認を行い"),
        ("駐輪場はどこにありますか", "駐輪場は区民センターの地下", "駐輪場を整備"),
        ("介護認定の申請はどこでできますか", "介護認定は区役所の窓口で申請できます", "申請を受け付けます"),
        ("オープンデータはどこで見られるの", "カタログサイト上でデータを公開", "データの公開を進めます"),
        ("住民票を取るのに何を持っていけばいい？", "本人確認書類をお持ちください", "本人確認が必要な手続の電子申請"),
        ("転出届はいつまでに出せばいいの？", "転出届は引っ越しの14日前から", "意見受付期間: 令和2年12月14日～令和3年1月6日"),
        ("デジタル書面送付サービスって、いつから使える？", "デジタル書面送付サービス 令和8年4月開始", "令和7年 6～7月 公募（在住）"),
        ("新しいDX戦略って何年までの計画？", "令和8年度から令和10年度までの3年間", "令和4年4月に「千代田区DX戦略」を策定"),
        ("提案制度でいちばん票が多かったアイデアはどれ？", "最多得票は「スクールカレンダー」", "区民投票：665人・1,669 票"),
        ("オープンデータって今は何件まで増えたの？", "オープンデータ公開件数の実績は120件", "指標: オープンデータ公開件数 / 現況(令和2年度): 36件"),
        ("交付率、今年はどのくらいになってますか", "交付率の実績は70%", "現況(令和2年度): 35% / 目標(令和7年度): 60%"),
        ("診断で『緊急』になったサイトは何件？", "「緊急」と判定されたサイト 2件", "対象：Webサイト56件\n危険度に応じ、注意・警告・重要・緊急 に分類"),
        ("DX推進センターってどこにあるの？", "DX推進センターは区役所6階にあります", "DX推進センターの拡充を図ります"),
        ("オンラインでできる手続き、何件くらい？", "行政手続き全体の20%（約400手続き）", "手続きのオンライン化を進めます"),
        ("ネット使ってる人の割合", "インターネット利用率は、郵送調査で87.7%", "地区　割合\n台東　10.1%"),
        ("ハンコ登録　必要なものは？", "本人確認書類をお持ちください", "押印を不要とする「はんこレス」に取り組み"),
        ("としょかんカード　なにもっていく", "利用者カードの作成には住所の確認できるものを持参", "図書館システムの機能強化"),
        ("マイナンバーカードはどうやって申請しますか", "交付申請書を郵送するか、スマートフォンで申請", "カードを用いた本人認証の機能"),
        ("カードの受け取り方法は？", "区役所の窓口で交付します", "カードを用いた本人認証の機能"),
        ("図書館カードのつくりかた", "図書館カウンターで作成します", "図書館システムの機能強化"),
        ("アプリの名前と、どこでダウンロードできるか教えて", "防災アプリ「台東防災」をApp Storeで配信", "【取組8】障害者支援アプリの活用"),
        ("オンライン相談　予約のしかた", "区ホームページの予約フォームから", "オンライン相談の拡充を進めます"),
        ("見守りセンサーの申込みはどこ？", "見守りセンサーは高齢福祉課の窓口で申し込めます", "センサー等の技術を活用し"),
        ("4月入園の申込締め切りはいつですか", "4月入園の申込締切は令和7年1月20日", "募集期間：令和7年1月5日～1月20日"),
        ("庁内ICT推進本部の副本部長ってだれ？", "副本部長は副区長が務めます", "区長を本部長とする「庁内ICT推進本部」"),
        ("資格確認書ってどこでもらえるの", "資格確認書は区民課の窓口で交付します", "本人確認は区民課の窓口で行います"),
        ("情報漏えいが起きたのはどの課ですか", "事故は税務課で発生しました", "監査対象：情報システムを利用する7部署"),
        ("セミナーの申込締切日を知りたい", "セミナー申込締切：7月31日", "セミナー 令和7年6～7月 公募"),
        ("防災訓練、来年度はいつやるの", "防災訓練は令和8年度の9月に実施予定", "防災訓練：9月1日～9月3日"),
        ("転出届の書き方を教えて", "転出届の記入例を掲載しています", "転出届の手続きをオンライン化します"),
        ("戸籍謄本を遠くから取り寄せるにはどうしたらいい", "戸籍謄本は郵送で請求できます", "戸籍の証明書の発行をコンビニで"),
    ],
)
def test_a_slot_is_given_only_by_a_text_of_its_granularity(question, given, not_given):
    slots = asked_slots(question)
    assert slots
    assert missing_slot(slots, given) is None
    assert missing_slot(slots, not_given) is not None


def test_the_date_asked_of_a_thing_may_stand_under_a_heading_that_names_it():
    slots = asked_slots("パブコメはいつからいつまで？")
    assert [slot.topics for slot in slots] == [("パブコメ",)]
    dates = "意見受付期間: 令和2年12月14日～令和3年1月6日"
    assert missing_slot(slots, dates, heading="3. パブリックコメント結果") is None
    assert missing_slot(slots, dates, heading="3 スケジュール（想定）") is not None


def test_a_date_asked_without_naming_a_thing_needs_no_thing_named():
    slots = asked_slots("区の公式LINEで配信が始まったのはいつ？")
    assert [slot.topics for slot in slots] == [()]
    assert missing_slot(slots, "平成30年4月から配信") is None


def test_a_date_of_another_thing_is_no_answer(answerer):
    # The proposal scheme's schedule gives when proposals were invited, not when an adopted one starts.
    answer = answerer.answer("スクールカレンダーのiCalendar配信っていつから使えるの？", "千代田区")
    assert not answer.resolved
    assert "資料には、お尋ねのスクールカレンダーのiCalendar配信の時期の記載がありません" in answer.text
    assert answerer.answer("千代田区のDX戦略の意見募集って、いつからいつまでやってたんですか？").resolved


def test_a_count_of_another_thing_is_no_answer(answerer):
    # The Web check's passage counts the sites checked (56件), never the risks it found.
    answer = answerer.answer("ウェブの診断で危険性は何件みつかったの", "千代田区")
    assert not answer.resolved
    assert "資料には、お尋ねの危険性の数の記載がありません" in answer.text
    sites = answerer.answer("ウェブのセキュリティ診断は去年は何件のサイトを調べたの", "千代田区")
    assert sites.resolved and "53件" in sites.text


def test_each_detail_of_a_question_that_asks_two_leads_the_answer(answerer):
    answer = answerer.answer("この情報化の計画の案、意見募集はいつからいつまでだった？何人くらい意見出したの？", "台東区")
    assert answer.resolved
    first, second = answer.text.splitlines()[:2]
    assert "意見受付期間" in first and "令和2年12月14日" in first  # when comments were asked for, not the plan's period …
    assert "7件 4名" in second  # … and the count, which alone would have led


def test_asked_how_short_it_will_get_the_current_wait_is_no_answer(answerer):
    # The KPI row gives today's waits (18分, 45分) and 減少 as the target: no minutes to aim at.
    answer = answerer.answer("窓口の待ち時間 証明書の交付は何分まで短くするの", "台東区")
    assert not answer.resolved
    assert answerer.answer("窓口で証明書をもらうのに今は平均何分待つの", "台東区").resolved


@pytest.mark.parametrize(
    "question",
    [
        "情報化推進計画から名前が変わったのはなんで？",
        "申請書に名前とか住所を何度も書くのは面倒",
        "申請書に住所とか名前とか何回も書かされるのめんどい",
        "AEDがどこにあるか地図で見られる？",
        "どんな手続きが必要なのか調べられる？",
        "対応する専門のチームっているの？",
    ],
)
def test_a_name_a_place_or_a_need_mentioned_is_not_asked(question):
    assert not [slot for slot in asked_slots(question) if slot.label in ("名称", "場所") or slot.label.endswith("の要否")]


def test_what_is_needed_looked_up_is_no_ask_of_what_to_bring():
    assert asked_slots("子育ての手続きで何が必要か調べられるページはある？") == []


@pytest.mark.parametrize("question", ["計画の進み具合って誰がチェックしてるの", "DXって言葉は誰が言い出したの", "計画をつくったときの区長って誰"])
def test_who_does_something_or_a_role_of_two_kanji_asks_no_role_named(question):
    assert asked_slots(question) == []


def test_a_year_named_where_no_figure_is_asked_says_which_thing_is_meant():
    assert asked_slots("令和8年度から始まる計画の目標は？") == []


def test_a_year_asked_may_stand_in_the_title_of_the_passage():
    slots = asked_slots("令和6年度の研修は何回？")
    assert missing_slot(slots, "研修 3回", heading="令和6年度における情報セキュリティの取組み") is None


def test_a_detail_in_the_residents_comment_is_not_one_the_ward_gives(answerer):
    # The ward's reply names no service; the resident's comment quoted after it holds a newspaper's URL.
    answer = answerer.answer("東京共同電子申請のかわりに千代田区が入れるサービスの名前は？", "千代田区")
    assert not answer.resolved and "名称の記載がありません" in answer.text


@pytest.mark.parametrize("question", ["意見ってどうやって出せたの？", "区はシステムをどうやって守ってるの", "スマホの使い方を教えてもらえる場所"])
def test_how_the_ward_does_something_or_a_skill_taught_asks_no_step(question):
    assert not [slot for slot in asked_slots(question) if slot.label.endswith("の方法")]


@pytest.mark.parametrize("question", ["計画の書き方がおかしいって意見は直したの？", "犬の登録はどうすればいいですか"])
def test_the_wording_of_a_text_or_what_to_do_about_a_thing_asks_no_step(question):
    # Only a step named before には (登録するにはどうすれば) is asked after it; the plan's colophon, 令和2年登録第69号,
    # would otherwise give 犬の登録's step.
    assert not [slot for slot in asked_slots(question) if slot.label.endswith("の方法")]


def test_a_free_thing_named_asks_no_fee():
    assert not [slot for slot in asked_slots("無料Wi-Fiのある場所を増やしてほしい") if slot.label == "金額"]


def test_a_question_without_a_detail_asks_no_slot():
    assert asked_slots("スマホの使い方を教えてもらえる場所はありますか") == []


@pytest.mark.parametrize("question", ["何回も書かされるのは面倒", "何人もの職員が関わるの？", "何件も申請がたまってる"])
def test_many_times_or_many_people_asks_no_count(question):
    assert asked_slots(question) == []


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("でんしとしょかんはなんさつかりられるの", "でんしとしょかんは何冊かりられるの"),
        ("りようけんすうはねんかんなんけん", "りようけんすうはねんかん何件"),
        ("交付率はなんぱーせんと？", "交付率は何パーセント？"),
        ("何けん？なん件？", "何件？何件？"),
        ("担当はなん部署？なん箇所？", "担当は何部署？何箇所？"),
        ("受付はなんじまで？なんじかんかかる？", "受付は何時まで？何時間かかる？"),
        ("いつからなんにちかん？なんがつなんにち？", "いつから何日間？何月何日？"),
        ("計画はなんねんどまで", "計画は何年度まで"),
        ("どこのかがたんとう", "どこの課がたんとう"),
        ("なんこある？", "いくつある？"),
    ],
)
def test_question_words_typed_in_kana_are_read_as_written_in_kanji(typed, read):
    assert kanji_question_words(typed) == read


@pytest.mark.parametrize(
    "question",
    ["なんかいい方法ない？", "なんでもいいから教えて", "なんとかならないの", "ひなんじょにWi-Fiはあるの", "なんか調査ある？", "なんじゃこれ"],
)
def test_kana_that_is_not_a_question_word_asks_no_slot(question):
    assert kanji_question_words(question) == question
    assert asked_slots(kanji_question_words(question)) == []


def test_a_count_asked_in_kana_is_abstained_when_the_quoted_sentence_lacks_it(answerer):
    # The Ota comment passage is about an electronic library, with no number of books.
    kana = answerer.answer("おおたくのでんしとしょかんはなんさつかりられるの")
    kanji = answerer.answer("おおたくのでんしとしょかんは何冊かりられるの")
    assert not kana.resolved and kana.text == kanji.text
    assert "の数の記載がありません" in kana.text


def test_a_department_asked_in_kana_is_quoted(answerer):
    answer = answerer.answer("ぎょうせいてつづきのおんらいんかはどこのかがたんとう", "台東区")
    assert answer.resolved
    assert answer.text.startswith("担当：情報政策課")


def test_a_topic_found_without_the_detail_asked_is_abstained_naming_the_department(answerer):
    # The plan says the birth registration goes online, with no year or month.
    answer = answerer.answer("出生届のオンライン提出は何年何月から始まるの？", "台東区")
    assert not answer.resolved
    assert "資料には、お尋ねの出生届のオンライン提出の月の記載がありません" in answer.text
    assert "マイナンバーカードの普及促進" in answer.text  # where the topic is
    assert "情報政策課" in answer.text


def test_the_line_with_the_detail_asked_leads_the_answer(answerer):
    answer = answerer.answer("区の職員さん向けのクラウドの研修って何人くらい受けたの？", "千代田区")
    assert answer.resolved
    # A table row leads under its table's column headings.
    headings, row = answer.text.splitlines()[:2]
    assert headings == "(1) 概説研修　(2) 基礎研修" and row == "受講者　224名　49名"


# A near miss in 大田区: the plan speaks of テレワーク, never of how many staff use it.
NEAR_MISS = "テレワークは職員の何人がしているの"


def test_an_abstention_offers_questions_each_answered_by_its_own_candidate(answerer):
    answer = answerer.answer(NEAR_MISS, "大田区")
    assert not answer.resolved
    assert 1 <= len(answer.suggestions) <= 3
    candidates = {hit.unit.id for hit in answer.hits}
    for suggestion in answer.suggestions:
        asked = answerer.answer(suggestion, "大田区")
        assert asked.resolved and asked.hits[0].unit.id in candidates


def test_maybe_meant_looks_past_the_first_five_candidates(answerer):
    # The plan's overview passages often come first; the passage that counts its 施策 may come after five of them.
    counted = "DX推進計画にはいくつの目標・施策・取組がある？"
    hits = answerer.retriever.search(answerer.query("台東区のDX計画の中間のまとめって、施策いくつあったの？", None), limit=20)
    (counting,) = [hit for hit in hits if hit.unit.id == "001-p-0011"]
    # Behind five candidates that offer nothing (their own questions are not answered from them, or they are far).
    overview = answerer.retriever.search(answerer.query("区の計画", None), limit=40)
    silent = [hit for hit in overview if not answerer.maybe_meant([hit], None)]
    assert len(silent) >= 5
    assert answerer.maybe_meant([*silent[:5], counting], None) == [counted]
    tapped = answerer.answer(counted)
    assert tapped.resolved and "16の施策と27の取組" in tapped.text


def test_a_question_far_from_every_unit_is_offered_nothing(answerer):
    answer = answerer.answer("犬を飼い始めたのですが、登録はどこでしますか", "大田区")
    assert not answer.resolved and answer.suggestions == []


def test_a_tapped_suggestion_is_a_new_ask_logged_with_its_origin(app, client):
    first = client.post("/api/ask", json={"question": NEAR_MISS, "ward": "大田区"}).get_json()
    assert not first["resolved"] and first["suggestions"]
    tapped = client.post(
        "/api/ask", json={"question": first["suggestions"][0], "ward": "大田区", "suggested_from": first["id"]}
    ).get_json()
    assert tapped["resolved"]
    with Session(app.extensions["ward_faq.engine"]) as db:
        logged = {q.id: q for q in db.scalars(select(Question))}
    assert logged[tapped["id"]].suggested_from == first["id"]
    assert logged[first["id"]].suggested_from is None
    # The abstained question stays unresolved; the tapped one is a question of its own.
    assert client.get("/api/kpi").get_json() | {"by_day": None} == {
        "total": 2, "unresolved": 1, "unresolved_rate": 0.5, "by_day": None
    }


@pytest.mark.parametrize("origin", [7, "", "a" * 65, "../etc", ["x"]])
def test_a_bad_suggested_from_is_refused_and_logs_nothing(app, client, origin):
    response = client.post("/api/ask", json={"question": NEAR_MISS, "ward": "大田区", "suggested_from": origin})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_suggested_from"
    with Session(app.extensions["ward_faq.engine"]) as db:
        assert db.scalars(select(Question)).all() == []


def test_a_suggested_from_the_log_does_not_have_is_dropped(app, client):
    response = client.post("/api/ask", json={"question": NEAR_MISS, "ward": "大田区", "suggested_from": "0" * 32})
    assert response.status_code == 200
    with Session(app.extensions["ward_faq.engine"]) as db:
        [logged] = db.scalars(select(Question)).all()
    assert logged.suggested_from is None


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("区の計画に出てくるEBPMとはどういう意味？", "EBPM (Evidence Based Policy Making)"),
        ("DXって何？", "デジタル・トランスフォーメーション (DX: Digital Transformation)"),
        ("デジタルディバイドってなんのこと", "デジタル・ディバイド (Digital Divide)"),
    ],
)
def test_a_question_asking_what_a_term_means_is_answered_from_the_glossary_first(answerer, question, term):
    answer = answerer.answer(question, "台東区")
    assert answer.resolved
    assert answer.hits[0].unit.kind == "glossary" and answer.hits[0].unit.title == term


def test_a_term_that_is_not_what_is_asked_about_does_not_pull_its_glossary_entry(answerer):
    # 未解決率 is asked about; AIチャットボット only names whose rate it is.
    assert answerer.query("AIチャットボットの未解決率とは？", "台東区").defined == frozenset()
    assert answerer.query("AIチャットボットで区は何をしているの", "台東区").defined == frozenset()


def test_each_kpi_row_is_a_unit_quoted_with_its_measure(answerer):
    rows = [u for u in answerer.retriever.units if "-kpi" in u.id]
    assert len(rows) >= 30
    row = next(u for u in rows if "マイナンバーカード交付率" in u.text)
    assert row.text.startswith(row.measure)
    assert row.text.endswith("\n指標　現況(令和2年度)　目標(令和7年度)\nマイナンバーカード交付率　35%　60%")
    assert row.section.endswith("評価指標") and row.department
    answer = answerer.answer("マイナンバーカード交付率の目標は？", "台東区")
    assert answer.resolved and answer.hits[0].unit.id == row.id
    assert answer.text.splitlines()[:3] == row.text.splitlines()  # its 施策, the column headings, the row


def test_each_survey_result_is_a_unit_under_its_question(answerer):
    results = [u for u in answerer.retriever.units if u.section.endswith("(3) インターネットを利用しない理由")]
    [result] = results
    assert result.text.startswith("【(3) インターネットを利用しない理由】")
    assert "「操作が難しい」" in result.text and "保有情報通信機器" not in result.text
    answer = answerer.answer("区民アンケートで、インターネットを利用しない理由は何が多かった？", "台東区")
    assert answer.resolved and answer.hits[0].unit.id == result.id


def test_each_document_has_a_card_of_its_period_dates_and_numbers(answerer):
    cards = {u.doc_id: u for u in answerer.retriever.units if u.id.endswith("-card")}
    assert sorted(cards) == ["000", "001", "002", "003", "004"]
    assert "計画期間: 令和8年度～令和10年度" in cards["000"].text  # from corpus/documents.json
    assert "意見受付期間 令和7年12月17日（水）～令和8年1月7日（水）" in cards["000"].text  # the document's own line
    assert "意見受付件数 4人 4件" in cards["000"].text and "総数：施策数 19、取組数 38" in cards["000"].text
    assert "提出者数：12名" in cards["003"].text and "今後の予定: 令和7年4月 改定" in cards["003"].text
    assert "この資料が置き換える計画: 台東区情報化推進計画" in cards["001"].text
    # The title is the card's heading; its text starts with the ward and kind, so that a fact leads the answer.
    assert cards["003"].title.endswith(answerer.retriever.documents["003"].title)
    assert cards["003"].text.splitlines()[0] == "千代田区の委員会資料"
    answer = answerer.answer("千代田区のDX戦略、パブコメの募集方法と周知方法を教えて", "千代田区")
    assert answer.resolved and "募集方法" in answer.text


def test_the_department_in_charge_does_not_say_which_department_uses_something(answerer):
    # The comment's reply says フリーアドレス is used in 「組織の一部」; the 施策's department does not say where.
    answer = answerer.answer("フリーアドレスって区役所のどの課でもう始まってるの？", "台東区")
    assert not answer.resolved and "使っている部署の記載がありません" in answer.text
    # Asked who handles something, the unit's own 担当 answers.
    asked = answerer.answer("書類を決まった場所に貼り出すような昔ながらの紙のルールの見直しは、どこの課がやるの？", "台東区")
    assert asked.resolved and asked.department and "総務課" in asked.department


def test_a_survey_result_does_not_answer_a_question_that_is_not_about_a_survey(answerer):
    # The survey lists 転入届 among what residents would like to do online; it says nothing of what to bring.
    answer = answerer.answer("台東区に引っ越してきたんだけど、転入届を出すとき何を持っていけばいい？", "台東区")
    assert not answer.resolved
    asked = answerer.answer("区民アンケートで、ネットでやりたい手続きとして多かったのは？", "台東区")
    assert asked.resolved and "アンケート" in asked.hits[0].unit.section


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("区の公式ツイッターを見ている人の割合", "区公式Twitter"),
        ("タブレットを持っている世帯の割合は", "52.0%"),
    ],
)
def test_how_many_people_do_or_have_something_is_answered_by_a_survey_result(answerer, question, expected):
    # No survey is named, yet a share of the people who do or have something is what residents answered.
    answer = answerer.answer(question, "台東区")
    assert answer.resolved and expected in answer.text


def test_a_glossary_entry_answers_only_a_question_that_names_its_term(answerer):
    # コンビニ交付サービス's definition mentions 印鑑登録証明書; it says nothing of how to register a seal.
    assert not answerer.answer("台東区で印鑑登録したいんですが、何を持っていけばいいですか？", "台東区").resolved
    # A question about the term itself, even one that is no definition question, is still answered from it.
    answer = answerer.answer("AI-OCRって、手書きの申請書でもちゃんと読み取れるものなんですか？", "台東区")
    assert answer.resolved and answer.hits[0].unit.kind == "glossary"


def test_a_target_asked_is_not_given_by_the_current_value_of_its_kpi(answerer):
    # The DX plan's KPI row gives 業務削減時間数 today (9,300時間/年) and no target for 令和10年度.
    answer = answerer.answer("DX計画で、AIとかで減らす仕事の時間って令和10年度に何時間が目標なの？", "台東区")
    assert not answer.resolved and "時間の数の記載がありません" in answer.text
    target = answerer.answer("AI・RPA導入業務における作業削減時間の目標は何時間？", "台東区")
    assert target.resolved and "年8,150時間" in target.text


def test_asked_whether_a_target_was_reached_a_kpi_row_is_no_answer(answerer):
    # The row gives the value before the plan (現況, 令和2年度) and the aim (目標), never what was reached.
    answer = answerer.answer("防災アプリのダウンロード数って、目標の13,000に届いたの？", "台東区")
    assert not answer.resolved
    assert "資料には、お尋ねの防災アプリのダウンロード数の実績の記載がありません" in answer.text
    # Typed as keywords, the figure asked of is still named: what stands before the first space.
    keywords = answerer.answer("マイナンバーカード交付率 令和7年度の実績は", "台東区")
    assert "お尋ねのマイナンバーカード交付率の実績の記載がありません" in keywords.text
    assert answerer.answer("防災アプリのダウンロード数の目標っていくつ", "台東区").resolved


@pytest.mark.parametrize(
    "question", ["最終的に施策はいくつになったの", "パブコメ、結局何件くらい意見きたの？", "目標は達成できそう？", "なんで今になって計画を作ったの？"]
)
def test_a_count_in_the_end_or_a_forecast_asks_no_result(question):
    assert not [slot for slot in asked_slots(question) if slot.label.endswith("実績")]


def test_the_detail_asked_standing_in_the_answer_raises_the_confidence(answerer):
    query = answerer.query("クラウドの研修の基礎研修は何人受けたの", "千代田区")
    hits = answerer.retriever.search(query)
    assert answerer.slot_missing(answerer.extract(hits[0], query), hits[0], query) is None
    assert answerer.retriever.confidence(hits, slot_given=True) > answerer.retriever.confidence(hits)


def test_a_paragraph_of_plan_text_citing_the_survey_is_a_survey_result(answerer):
    findings = [u for u in answerer.retriever.units if u.section.endswith("区民アンケート調査の結果")]
    finding = next(u for u in findings if "6.4%" in u.text)
    assert finding.text.startswith("今回の区民アンケート調査で") and finding.title.endswith("（【施策13】 デジタル・ディバイド対策）")
    assert any("「利用しておらず今後も利用するつもりはない」" in q for q in finding.asked)
    answer = answerer.answer("台東区のアンケートで、スマホを持っている区民の割合は前の調査からどのくらい増えた？")
    assert answer.resolved and "前回調査時の72.6%に対して90.3%" in answer.text


@pytest.mark.parametrize(
    ("question", "survey"),
    [
        ("電子申請は使わないって人は何割くらい？", True),
        ("キャッシュレスを使いたいと答えた区民はどのくらい？", True),
        ("60代以上でインターネットを使っている人は何パーセント？", True),
        ("親が70代で、スマホの使い方を教えてもらえるところはある？", False),  # who is asking, not a share
        ("マイナンバーカードの交付率の目標は？", False),
        ("電子申請を使ってみたい人はどのくらい？", True),  # a wish is counted only by asking
        ("マイナンバーカードを持ってる人ってどのくらいの割合？", False),  # who has one is the plan's 交付率
        ("スマホを持たない人はどうして持たないの？", True),  # why people do not: the reasons they answered
        ("キャッシュレスを使わない理由で一番多いのは？", True),
        ("スマホを持たない人はどこに相談すればいい？", False),
        ("台東区民でインターネット使ってる人ってどのくらいいるの", True),  # who uses a thing is counted by asking
        ("ネットつかってる人の割合", True),
        ("区がつかってるネットのサービスの会社は？", False),
        ("キャッシュレス　どの払い方が人気", True),  # what is popular is what residents chose
    ],
)
def test_a_share_of_residents_by_what_they_answered_or_their_age_asks_about_a_survey(answerer, question, survey):
    assert answerer.query(question, "台東区").wants_survey is survey


def test_a_card_says_when_the_plan_was_made_and_that_its_name_changes(answerer):
    cards = {u.doc_id: u for u in answerer.retriever.units if u.id.endswith("-card")}
    assert "令和4年4月に「千代田区DX戦略」を策定" in cards["003"].text
    # The plan that replaces 台東区情報化推進計画 gives its new name: the old plan's card says so too.
    assert "名称を「(仮称) 台東区DX推進計画」に改める" in cards["002"].text
    assert "台東区新型コロナウイルス感染症拡大防止ガイドライン" not in cards["002"].text  # made, but not the plan
    answer = answerer.answer("情報化推進計画は名前が変わるの？", "台東区")
    assert answer.resolved and "名称を「(仮称) 台東区DX推進計画」に改める" in answer.text


def test_first_or_last_before_when_names_no_thing_the_date_is_of():
    [when] = asked_slots("DX戦略っていちばん最初はいつ作ったの")
    assert when.topics == () and when.label == "時期"


def test_a_question_asking_a_figure_and_a_reply_is_not_short_of_the_figure_a_kpi_row_gives(answerer):
    # 答えが出ない reads as asking what was replied (a comment); the KPI row gives the figure and target asked.
    answer = answerer.answer("AIチャットボットで答えが出ない割合の目標は？", "台東区")
    assert answer.hits[0].features["type_missing"] == 0.0
    assert answer.resolved and "未解決率　20%　0%" in answer.text


def test_the_bots_own_opinion_is_not_the_documents_to_give(answerer):
    assert not answerer.answer("区のデジタル化って、あなたはどう思いますか", "台東区").resolved
    # The ward's view is: its replies to the comments give it.
    assert answerer.answer("区民の使いやすさを考えたデジタル化について、区はどう考えてる？", "大田区").resolved


def test_a_date_in_kanji_numerals_answers_when(answerer):
    answer = answerer.answer("台東区民憲章はいつ告示されたの？", "台東区")
    assert answer.resolved and answer.text.startswith("(平成十八年十二月十四日 告示 第六百八十八号)")


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("ソサエティ5.0とは？", "Society5.0"),  # katakana for a term written in Latin letters
        ("コンビニ交付って何？", "コンビニ交付サービス"),  # without the generic last word
        ("AIってどういういみ？", "AI (Artificial Intelligence)"),  # 意味 typed in kana
        ("チャットボットってどういうものですか", "AIチャットボット"),  # without the letters before the loanword
        ("クラウド・バイ・デフォルトとは？", "クラウド・バイ・デフォルト原則"),  # without 原則, a generic last word
        ("くらうど・ばい・でふぉるとってなに", "クラウド・バイ・デフォルト原則"),  # typed in kana: named by its reading
        ("コンビニこうふとは？", "コンビニ交付サービス"),  # half in kana
    ],
)
def test_a_term_is_named_under_another_spelling_or_without_its_generic_last_word(answerer, question, term):
    answer = answerer.answer(question)
    assert answer.resolved and answer.hits[0].unit.kind == "glossary" and answer.hits[0].unit.title == term


def test_what_precedes_the_lead_is_kept_from_its_near_end(answerer):
    # A survey passage of three questions: asked of the third, the answer ends with that question's own heading,
    # not with the first question's.
    answer = answerer.answer("区民アンケートでキャッシュレスの決済手段を年代別に比べるとどうだった？", "台東区")
    assert answer.resolved and answer.text.startswith("キャッシュレスで利用したい決済手段の割合")
    assert "【(9) キャッシュレスで利用したい決済手段】" in answer.text


def test_a_question_about_a_municipality_the_documents_are_not_of_is_told_whose_they_are(answerer):
    answer = answerer.answer("世田谷区のDX推進計画の期間はいつまで？")
    assert not answer.resolved and not answer.hits
    assert "台東区・千代田区・大田区" in answer.text and "世田谷区にお問い合わせください" in answer.text
    # Scoped to a ward served, the question still names only another one.
    assert not answerer.answer("八王子市の電子申請はいくつあるの", "台東区").resolved


def test_a_municipality_named_beside_a_ward_served_is_a_comparison(answerer):
    answer = answerer.answer("港区はネット手続きが2000件以上あるけど、台東区のオンライン手続きの目標はどれくらい？")
    assert answer.resolved


def test_a_detail_asked_of_a_term_is_answered_from_the_plan_not_its_definition(answerer):
    answer = answerer.answer("ICT-BCPの策定はいつの予定？", "台東区")
    assert answer.resolved and answer.hits[0].unit.kind != "glossary" and "令和3年度上半期" in answer.text
    # Asked what the term is, its definition still answers.
    assert answerer.answer("ICT-BCPとは？", "台東区").hits[0].unit.kind == "glossary"


def test_a_survey_called_by_its_short_name_is_a_survey(answerer):
    assert answerer.query("アンケだとスマホ持ってる人ってどのくらい？", "台東区").wants_survey
    answer = answerer.answer("アンケだとスマホ持ってる人ってどのくらい？", "台東区")
    assert answer.resolved and "90.3%" in answer.text


def test_what_residents_want_to_do_finds_what_the_survey_asked_they_would_carry_out(answerer):
    # やりたい手続き is the survey's 行いたい手続: the synonym file joins やる and 行う.
    answer = answerer.answer("アンケートだと、ネットでやりたい手続きで多かったのは？", "台東区")
    assert answer.resolved and "転入届、転出届" in answer.text


def test_a_figure_after_the_count_it_gives_answers_how_many(answerer):
    # The final plan's changes end with 「（総数：施策数 19、取組数 38）」: a count, though no counter follows the figure.
    assert SEGMENT_ANSWER_TYPES["count"].search("総数：施策数 19、取組数 38")
    assert SEGMENT_ANSWER_TYPES["count"].search("目標1【施策数:8、取組数:11】")
    assert not SEGMENT_ANSWER_TYPES["count"].search("施策数を増やし、取組を見直す")
    answer = answerer.answer("中間のまとめから最終案で施策の数はどれくらい増えたの", "台東区")
    assert answer.resolved and "施策数 19" in answer.text


def test_what_residents_commented_on_answers_only_a_question_about_the_comments(answerer):
    # The public comment's summary lists 「区立図書館の書籍電子化について」 as a topic residents wrote about;
    # it says nothing of whether the library lends e-books.
    answer = answerer.answer("区立図書館の書籍の電子化はもう始まってる？", "台東区")
    assert not answer.resolved
    asked = answerer.answer("情報化推進計画のパブコメではどんな意見が出ましたか", "台東区")
    assert asked.resolved and "区立図書館の書籍電子化について" in asked.text


def test_pieces_kept_around_one_moved_to_the_lead_end_their_lines_where_it_was():
    pieces = ["保有しています。", "郵送調査では60歳代以上です。", "【(2) 利用】", "利用率は87.7%です。"]
    assert lines_apart(pieces, [0, 2, 3]) == ["保有しています。\n", "【(2) 利用】", "利用率は87.7%です。"]


def test_a_comment_whose_reply_names_nothing_asked_answers_only_the_comment_or_the_same_wish(answerer):
    # 意見No.4 asks for 消費生活相談 by e-mail; the reply only says the proposal was passed on to the department.
    assert not answerer.answer("消費生活相談はメールでも受け付けてもらえますか", "千代田区").resolved
    # A question the comment mentions in passing (予防接種, in 意見No.11) is not answered by its reply either.
    assert not answerer.answer("インフルエンザの予防接種、区の助成はありますか", "千代田区").resolved
    wish = answerer.answer("消費生活相談をメールで受け付けてほしい", "千代田区")
    assert wish.resolved and "担当部署に共有" in wish.text
    asked = answerer.answer("消費生活相談をメールでって意見に区はどう答えたの", "千代田区")
    assert asked.resolved and "担当部署に共有" in asked.text


def test_a_definition_does_not_say_what_its_term_will_become(answerer):
    # The glossary's コンビニ交付サービス lists today's certificates (住民票の写し、印鑑登録証明書等), none to come.
    assert not answerer.answer("コンビニ交付の拡充で、戸籍の証明書も取れるようになるの？", "台東区").resolved
    assert "キオスク端末" in answerer.answer("コンビニ交付ってなんですか", "台東区").text


def test_a_comment_asking_what_a_term_means_answers_only_a_question_naming_the_term(answerer):
    # 意見No.6 asks 基幹系システムとは何か; its reply lists 国民健康保険 among the systems, no procedure of it.
    assert not answerer.answer("国民健康保険をやめる手続きを教えて", "大田区").resolved
    defined = answerer.answer("基幹系システムってなに", "大田区")
    assert defined.resolved and "17業務システム" in defined.text
    # A piece of the term names it: residents leave out 市町村 and 活用 of 市町村官民データ活用.
    assert "電磁的記録に記録された情報" in answerer.answer("官民データって何？", "大田区").text


def test_a_share_of_people_who_use_a_thing_is_given_by_a_line_naming_it(answerer):
    # The survey's table of where respondents live (台東　10.1% …) is a share of the same survey, not of internet users.
    answer = answerer.answer("台東区のネットつかってる人の割合", "台東区")
    assert answer.resolved and "87.7%" in answer.text and "台東　10.1%" not in answer.text


def test_a_phone_number_asked_of_something_is_quoted_only_from_a_passage_naming_it(answerer):
    # The information plan's colophon gives 情報政策課's number; DX推進センター is named elsewhere, with no number.
    answer = answerer.answer("DX推進センターの電話番号を教えて", "台東区")
    assert not answer.resolved and "DX推進センターの電話番号の記載がありません" in answer.text
    asked = answerer.answer("情報政策課の電話番号は？", "台東区")
    assert asked.resolved and "03(5246)9022" in asked.text
    # Whose number it is may stand on any line of the passage; the slot alone, on a line, says nothing of it.
    (slot,) = asked_slots("DX推進センターの電話番号")
    assert missing_slot([slot], "電話 03(5246)9022", passage="電話 03(5246)9022\n台東区企画財政部情報政策課") is slot
    assert missing_slot([slot], "電話 03(5246)9022") is None


def test_a_passage_naming_the_document_asked_about_is_not_held_as_from_another(answerer):
    # The DX plan's background says 「平成13年に台東区情報化推進計画を策定した」: asked about the information plan, it is
    # neither the plan's own passage (+1) nor a stranger to it (-1).
    query = answerer.query("台東区の情報化の計画は何年に初めてできたの？", "台東区")
    named = {hit.unit.id: hit.features["named"] for hit in answerer.retriever.search(query, limit=40)}
    assert named["001-p-0001"] == 0.0 and named.get("002-p-0005") == 1.0
    assert -1.0 in named.values()
    answer = answerer.answer("台東区の情報化の計画は何年に初めてできたの？", "台東区")
    assert answer.resolved and "平成13年" in answer.text


@pytest.mark.parametrize("made", ["作った", "つくった"])
def test_a_plan_residents_say_was_made_is_one_the_documents_say_was_drawn_up(answerer, made):
    # 作る is the documents' 策定: the synonym file joins them, so a plan made is found where it was drawn up.
    (_, drawn_up) = answerer.retriever.analyzer.analyze(f"計画を{made}")
    assert "策定" in drawn_up.terms


def test_what_a_date_is_asked_of_is_read_past_spaces_and_a_clause_made_a_noun():
    # Keywords typed with spaces name the thing, as 「の」 would.
    (slot,) = asked_slots("防災アプリ 多言語版 いつから")
    assert slot.topics == ("防災アプリ", "多言語版")
    # A clause between the thing and いつ (…がスマホで読めるようになるのは): the thing the question opens with.
    (slot,) = asked_slots("電子図書館がスマホで読めるようになるのはいつ？")
    assert slot.topics == ("電子図書館",)
    assert missing_slot([slot], "令和7年 6～7月 公募（在住）") is slot
    assert missing_slot([slot], "電子図書館は令和4年度から導入") is None
    # A condition the question opens with (地震が来ても) is not what the date is of.
    (slot,) = asked_slots("地震が来ても止まらないための計画（ICT-BCP）は、いつまでに作るの？")
    assert slot.topics == ()


def test_asked_what_a_plan_came_to_in_the_end_its_amended_draft_is_outdated(answerer):
    # The public comment results (000) list the changes to the interim draft (001), which they amend.
    final = answerer.query("DX計画、完成版では施策と取組っていくつになったの", "台東区")
    plain = answerer.query("DX計画、施策と取組っていくつあるの", "台東区")
    assert final.asks_final and not plain.asks_final
    outdated = {h.unit.doc_id: h.features["superseded"] for h in answerer.retriever.search(final, limit=40)}
    assert outdated["001"] == 1.0 and outdated["000"] == 0.0
    assert all(h.features["superseded"] == 0.0 for h in answerer.retriever.search(plain, limit=40) if h.unit.doc_id == "001")
    answer = answerer.answer("DX計画、完成版では施策と取組っていくつになったの", "台東区")
    assert answer.resolved and "施策数 19、取組数 38" in answer.text


def test_a_share_asked_of_an_age_group_is_given_only_by_a_line_naming_that_age():
    (slot,) = [s for s in asked_slots("アンケートで70歳以上でスマホを使っている人はどれくらい？") if "歳代" in s.label]
    assert missing_slot([slot], "年代別にみると、70歳代以上は45.1%となっています") is None
    assert missing_slot([slot], "スマートフォンの利用率は80.2%") is slot
    assert missing_slot([slot], "60歳代以上は67.2%") is slot
    # An age that says who is asking (親が70代で) asks no share of it.
    assert not [s for s in asked_slots("親が70代で、スマホの使い方を教えてもらえるところはある？") if "歳代" in s.label]


def test_a_runner_up_in_a_near_tie_that_gives_the_detail_asked_is_quoted_first(answerer):
    # The survey's paragraph gives the rate of all ages (87.7%); its result by age gives 60歳代以上は67.2%.
    query = answerer.query("台東区のアンケートで、60歳以上でネットを使っている人はどのくらい？", "台東区")
    found = {hit.unit.id: hit for hit in answerer.retriever.search(query, limit=40)}
    all_ages, by_age = found["002-p-0022-survey1"], found["002-p-0124"]
    tie = [replace(all_ages, score=10.0), replace(by_age, score=10.0 - DETAIL_RUNNER_UP_MARGIN / 2)]
    hits, text = answerer.detail_first(tie, query)
    assert [h.unit.id for h in hits] == ["002-p-0124", "002-p-0022-survey1"]
    assert text == answerer.extract(by_age, query)  # the answer is cut from the passage put first
    # Far behind, it is another passage, not a tie; and a best that gives the detail keeps its place.
    behind = [tie[0], replace(by_age, score=10.0 - 2 * DETAIL_RUNNER_UP_MARGIN)]
    assert answerer.detail_first(behind, query) == (behind, answerer.extract(all_ages, query))
    ahead = tie[::-1]
    assert answerer.detail_first(ahead, query) == (ahead, answerer.extract(by_age, query))


def test_a_runner_up_in_a_near_tie_that_gives_the_month_asked_is_quoted_before_a_best_giving_a_year(answerer):
    # The project's overview says the workshop began in 令和7年度; its schedule gives the months it is held.
    query = answerer.query("ワークショップっていつまでやるの", "千代田区")
    found = {hit.unit.id: hit for hit in answerer.retriever.search(query, limit=40)}
    overview, schedule = found["003-p-0003"], found["003-p-0004"]
    assert answerer.gives_asked(answerer.extract(overview, query), overview, query) == 1
    assert answerer.gives_asked(answerer.extract(schedule, query), schedule, query) == 2
    tie = [replace(overview, score=10.0), replace(schedule, score=10.0 - DETAIL_RUNNER_UP_MARGIN / 2)]
    assert [h.unit.id for h in answerer.detail_first(tie, query)[0]] == ["003-p-0004", "003-p-0003"]
    answer = answerer.answer("ワークショップっていつまでやるの", "千代田区")
    assert answer.resolved and "令和7年8月～令和8年3月" in answer.text
    # The schedule giving the month stays first from further behind than a near tie; farther still, it is another passage.
    month = MONTH_RUNNER_UP_MARGIN - 0.1
    behind = [replace(overview, score=10.0), replace(schedule, score=10.0 - month)]
    assert [h.unit.id for h in answerer.detail_first(behind, query)[0]] == ["003-p-0004", "003-p-0003"]
    far = [behind[0], replace(schedule, score=10.0 - MONTH_RUNNER_UP_MARGIN - 0.1)]
    assert answerer.detail_first(far, query) == (far, answerer.extract(overview, query))
    recruited = answerer.answer("中学生向けワークショップの募集っていつごろ？", "千代田区")
    assert recruited.resolved and "6～7月" in recruited.text


def test_how_sure_the_ranking_is_is_judged_before_a_runner_up_is_put_first(answerer, monkeypatch):
    query = answerer.query("ワークショップっていつまでやるの", "千代田区")
    found = {hit.unit.id: hit for hit in answerer.retriever.search(query, limit=40)}
    overview, schedule = found["003-p-0003"], found["003-p-0004"]
    tie = [replace(overview, score=10.0), replace(schedule, score=10.0 - DETAIL_RUNNER_UP_MARGIN / 2)]
    judged = []

    def resolves(hits, confidence):
        judged.append(hits[0].unit.id)
        return False

    monkeypatch.setattr(answerer.retriever, "search", lambda query, limit: tie)
    monkeypatch.setattr(answerer.retriever, "resolves", resolves)
    assert not answerer.answer_from_corpus(query).resolved
    assert judged == ["003-p-0003"]


def test_a_phrase_copied_across_the_cells_of_a_kpi_row_is_in_its_answer(answerer):
    # The document's row is 「キャッシュレス決済利用率<TAB>10%<TAB>40%」: quoted with its cells apart only by whitespace,
    # a phrase copied across them matches, and the column headings stand on the line above.
    answer = answerer.answer("キャッシュレス決済の利用率の目標は？", "台東区")
    assert answer.resolved
    assert squash("キャッシュレス決済利用率\t10%\t40%") in squash(answer.text)
    assert "指標　現況(令和2年度)　目標(令和7年度)\nキャッシュレス決済利用率" in answer.text


def test_a_phrase_copied_across_the_cells_of_a_survey_row_is_in_its_answer(answerer):
    query = answerer.query("区からの情報入手手段の割合で、配布された広報紙は何%？", "台東区")
    hit = next(hit for hit in answerer.retriever.search(query, limit=30) if "広報たいとう（配布された広報紙）　74.5%" in hit.unit.text)
    quoted = answerer.extract(hit, query)
    assert squash("広報たいとう（配布された広報紙）\t74.5%\t41.7%") in squash(quoted)
    # The row leads under its table's column headings, not under the passage's opening.
    headings, row = quoted.splitlines()[:2]
    assert row.startswith("広報たいとう（配布された広報紙）") and "　" in headings


def test_a_kpi_row_is_read_under_its_column_headings_and_asked_for_a_target_without_its_current_value():
    table = "指標　現況(令和2年度)　目標(令和7年度)\nキャッシュレス決済利用率　10%　40%"
    assert labelled_rows(table, target=False) == "\n指標: キャッシュレス決済利用率 / 現況(令和2年度): 10% / 目標(令和7年度): 40%"
    assert labelled_rows(table, target=True) == "\n指標: キャッシュレス決済利用率 / 目標(令和7年度): 40%"
    slots = asked_slots("キャッシュレス決済の利用率は何%を目指すの？")
    assert missing_slot(slots, labelled_rows(table, target=True)) is None
    # A row giving only the value now says nothing of the target.
    assert missing_slot(slots, labelled_rows("指標　現況(令和7年度)\nキャッシュレス決済利用率　20%", target=True)) is not None


def test_a_plan_asked_from_what_year_to_what_year_is_answered_by_its_period(answerer):
    # 何年から何年まで is the plan's 計画期間, as 何年度から何年度まで is: the passage giving the period is quoted.
    answer = answerer.answer("DX推進計画は何年から何年までの計画ですか", "台東区")
    assert answer.resolved
    assert "令和8年度から令和10年度" in answer.text


def test_how_many_measures_a_plan_has_is_answered_by_a_count_of_them_not_by_measures_listed_by_number():
    slots = asked_slots("素案では施策と取組はいくつあるの？")
    assert [slot.label for slot in slots] == ["施策や取組の数"]
    assert missing_slot(slots, "基本理念の実現に向けて、3つの目標に16の施策と27の取組を定めます。") is None
    assert missing_slot(slots, "総数：施策数 19、取組数 38") is None
    assert missing_slot(slots, "① 新規施策を追加・施策 4 デジタルによる災害対策の強靱化") is not None


@pytest.mark.parametrize(
    ("question", "given", "outdated"),
    [
        # The draft (中間のまとめ) was amended since: asked the end, its figures are the plan's no more.
        ("完成したDX推進計画では施策と取組はいくつ？", "施策数 19、取組数 38", "16の施策と27の取組"),
        # Asked the draft as it stood, the amending document's figures are not the answer.
        ("DX推進計画の中間のまとめの時点では、施策と取組はいくつ？", "16の施策と27の取組", "施策数 19"),
        ("DX推進計画の中間のまとめには取組がいくつあったんですか", "16の施策と27の取組", "施策数 19"),
    ],
)
def test_a_detail_asked_of_a_plan_in_the_end_or_of_its_draft_as_it_stood_is_that_versions(answerer, question, given, outdated):
    answer = answerer.answer(question, "台東区")
    assert answer.resolved
    assert given in answer.text and outdated not in answer.text.splitlines()[0]


def test_what_a_chatbot_could_not_solve_is_its_unresolved_rate(answerer):
    # 解決できなかった, 解決しない … are the documents' 未解決: the KPI row of the unresolved rate is quoted.
    words = [w.form for w in answerer.retriever.analyzer.analyze("解決できなかった割合")]
    assert words == ["未解決", "割合"]
    answer = answerer.answer("AIチャットボットで解決できなかった割合は何%？", "台東区")
    assert answer.resolved
    assert "未解決率" in answer.text


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("DX推進計画の目標1は何ですか", {"目標1"}),
        ("【取り組み7】 「アイデアソン」によるオープンデータ利活用", {"取組7"}),
        ("・施策 12 生成AIの利用回数（月平均）", {"施策12"}),
        ("基本目標2：行政運営の効率化", {"目標2"}),
        ("２つ目の目標って何", {"目標2"}),
        ("三つ目の施策は", {"施策3"}),
        ("取組3-1-2の進み具合", {"取組3-1-2"}),
        ("【施策数:3、取組数:5】", set()),  # counts of items, not items
        ("3つの目標に16の施策", set()),
        ("施策一覧", set()),
    ],
)
def test_a_numbered_item_is_read_by_its_label_and_number(text, items):
    assert numbered_items(text) == items


@pytest.mark.parametrize(
    ("question", "lead", "sibling"),
    [
        ("DX推進計画の目標1は何ですか", "目標1 便利で快適な行政サービスの提供", "目標3"),
        ("DX計画の目標3って何についての目標？", "目標3 DX推進体制の強化・組織風土の醸成", "目標1"),
    ],
)
def test_a_numbered_item_asked_is_quoted_not_its_neighbour(answerer, question, lead, sibling):
    answer = answerer.answer(question, "台東区")
    assert answer.resolved
    assert answer.text.startswith(lead)
    # The item is a word of its own, which the passage listing only its siblings does not hold.
    asked = lead.split()[0]
    query = answerer.query(question, "台東区")
    assert asked in [w.form for w in query.words] and sibling not in [w.form for w in query.words]
    hits = answerer.retriever.search(query, limit=40)
    listing_sibling = next(hit for hit in hits if sibling in (items := numbered_items(hit.unit.text)) and asked not in items)
    assert listing_sibling.features["coverage"] < hits[0].features["coverage"]


def test_a_numbered_item_only_a_heading_names_leads_with_that_heading(answerer):
    query = answerer.query("目標1の便利で快適な行政サービスの提供って何をするの", "台東区")
    hit = next(hit for hit in answerer.retriever.search(query, limit=40) if hit.unit.title.startswith("目標1 "))
    assert not numbered_items(hit.unit.text)
    text = answerer.extract(hit, query)
    assert text.startswith(hit.unit.title + "\n") and len(text) <= 600
    # Asked no numbered item, the same passage is quoted from its text.
    assert not answerer.extract(hit, answerer.query("便利で快適な行政サービスの提供って何をするの", "台東区")).startswith(hit.unit.title)
