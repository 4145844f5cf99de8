"""Personal data is masked before a question is stored; the words of the wards and their documents are not."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.privacy import mask_personal_data, wards_read

ROOT = Path(__file__).resolve().parent.parent
WARDS = tuple(json.loads((ROOT / "corpus" / "wards.json").read_text(encoding="utf-8")))
READINGS = wards_read(WARDS)

MASKED = [
    # Names: surname and given name, or a surname with an honorific or after 名前は.
    ("山田太郎です。マイナンバーカードの申請について教えてください", "山田", "[氏名]"),
    ("私は佐藤花子と申します。スマホ教室の日程は？", "花子", "[氏名]"),
    ("鈴木一郎の母です。高齢者向けのスマホ講座はありますか", "鈴木", "[氏名]"),
    ("渡辺美咲といいます。電子申請の方法を知りたい", "美咲", "[氏名]"),
    ("中村健太の代わりに聞きます。区のWi-Fiはどこで使えますか", "健太", "[氏名]"),
    ("窓口の田中さんに聞いたら分からないと言われました", "田中", "[氏名]"),
    ("高橋様宛の通知が届きました。オンライン申請はできますか", "高橋", "[氏名]"),
    ("名前は伊藤です。キャッシュレス決済は使えますか", "伊藤", "[氏名]"),
    ("小林先生から区のDX計画のことを聞きました", "小林", "[氏名]"),
    ("加藤くんが区役所でWi-Fiを使えなかったそうです", "加藤", "[氏名]"),
    ("吉田さまの件で電話しました", "吉田", "[氏名]"),
    ("氏名:松本さくら 住民票の写しをオンラインで", "松本", "[氏名]"),
    # Phone numbers in every way residents write them.
    ("電話は03-1234-5678です", "1234-5678", "[電話番号]"),
    ("携帯 090-1234-5678 に折り返しください", "090-1234-5678", "[電話番号]"),
    ("09012345678まで連絡ください", "09012345678", "[電話番号]"),
    ("(03)5246-1111に電話しても出ません", "5246-1111", "[電話番号]"),
    ("090.1234.5678に電話をください", "1234.5678", "[電話番号]"),
    ("〇九〇ー一二三四ー五六七八に連絡ください", "一二三四", "[電話番号]"),
    ("０９０－１２３４－５６７８です", "１２３４", "[電話番号]"),
    ("080 9876 5432 にかけてください", "9876", "[電話番号]"),
    ("+81-90-1234-5678 は私の番号です", "1234-5678", "[電話番号]"),
    ("０３（３８４２）１２３４へ", "3842", "[電話番号]"),
    ("〇三ー五二四六ー一一一一は区役所ですか", "五二四六", "[電話番号]"),
    ("自宅は０３ー５８００ー１２３４です", "5800", "[電話番号]"),
    ("070-1111-2222に電話がありました", "1111-2222", "[電話番号]"),
    ("050.3333.4444 はIP電話です", "3333.4444", "[電話番号]"),
    # E-mail addresses.
    ("taro.yamada+faq@example.co.jp へ返信ください", "taro.yamada", "[メールアドレス]"),
    ("メールは hanako_1985@gmail.com です", "hanako_1985", "[メールアドレス]"),
    ("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐに送ってください", "yamada", "[メールアドレス]"),
    # My Number, card and other long numbers, in any grouping.
    ("マイナンバーは1234 5678 9012です", "5678", "[番号]"),
    ("マイナンバー1234 5678 9012で申請できますか", "5678", "[番号]"),  # ー reads as a dash in the digits' copy
    ("ケータイナンバー090-1234-5678", "1234-5678", "[電話番号]"),
    ("番号123456789012を入力しました", "123456789012", "[番号]"),
    ("1234/5678/9012 が通知カードの番号です", "5678", "[番号]"),
    ("個人番号は1234.5678.9012", "5678", "[番号]"),
    ("カード番号4980-1234-5678-9012で払えますか", "1234", "[番号]"),
    ("１２３４－５６７８－９０１２で登録しました", "５６７８", "[番号]"),
    ("被保険者番号1234567890について", "1234567890", "[番号]"),
    # Postal codes.
    ("〒110-8615に送ってください", "110-8615", "[郵便番号]"),
    ("郵便番号は111-0032です", "111-0032", "[郵便番号]"),
    ("〒１１１ー００３２の住所です", "１１１", "[郵便番号]"),
    # Street addresses: digits, kanji numerals, full-width, 番地, the の form.
    ("台東区東上野4丁目5番6号に住んでます", "東上野4丁目", "[住所]"),
    ("東上野四丁目五番六号に住んでいます", "四丁目五番六号", "[住所]"),
    ("東上野４丁目５番６号のマンションです", "５番６号", "[住所]"),
    ("東上野4-5-6のマンション", "4-5-6", "[住所]"),
    ("上野4の5の6に住んでいます", "4の5の6", "[住所]"),
    ("浅草二丁目十二番三号です", "十二番三号", "[住所]"),
    ("千代田区神田1丁目2-3に事務所があります", "1丁目2-3", "[住所]"),
    ("蒲田5丁目13番地の1に住んでいます", "13番地", "[住所]"),
    ("住所は大森北１－２－３ 101号室です", "１－２－３", "[住所]"),
    ("谷中三丁目に住む高齢者です", "谷中三丁目", "[住所]"),
    ("今戸2丁目8番地3に住んでいます", "8番地3", "[住所]"),
    ("根岸5番7号の家からです", "5番7号", "[住所]"),
    # Dates of birth (other dates are kept: see below).
    ("生年月日は1985年4月3日です", "1985年4月3日", "[生年月日]"),
    ("昭和60年4月3日生まれです。高齢者のスマホ講座は", "昭和60年4月3日", "[生年月日]"),
    ("誕生日は平成2年12月1日です", "平成2年12月1日", "[生年月日]"),
    ("1990/05/20生まれの会社員です", "1990/05/20", "[生年月日]"),
    ("生年月日:S60.4.3", "S60.4.3", "[生年月日]"),
    ("生年月日は１９８５年４月３日です", "１９８５年", "[生年月日]"),
    ("生年月日は昭和六十年四月三日です", "四月三日", "[生年月日]"),
    # LINE ids.
    ("LINE IDはyamada_taro85です", "yamada_taro85", "[LINE ID]"),
    ("ラインID: hanako.s1985 に連絡ください", "hanako.s1985", "[LINE ID]"),
    ("LINEのユーザーID U4af4980629abcdef0123456789abcdef です", "U4af4980629", "[LINE ID]"),
    ("line id:@taro1234 を追加して", "taro1234", "[LINE ID]"),
    # Passport, residence card and other letter-and-digit ids.
    ("旅券番号TK1234567で本人確認できますか", "TK1234567", "[旅券等番号]"),
    ("パスポート番号はＭＺ７６５４３２１です", "７６５４３２１", "[旅券等番号]"),
    ("在留カードAB12345678CDで手続きできますか", "AB12345678CD", "[旅券等番号]"),
]

KEPT = [
    # Wards, towns, departments, documents and their measures.
    "台東区のDX推進計画について教えて",
    "千代田区の情報化推進計画の期間は？",
    "あると ききました。おおたくにも でんしとしょかんを つくって",  # おおたく read as a full name (おおた くに) is the ward in kana
    "大田区の情報政策課の電話番号を教えて",
    "情報政策課はどこにありますか",
    "デジタル推進課の担当は？",
    "令和7年度から何が変わりますか",
    "令和6年度のアンケート結果は？",
    "施策15の目標値を教えて",
    "施策10の目標は70%",
    "取組1-2の予定",
    "取組3-1-2の内容",
    "第3章には何が書いてありますか",
    "2025年にスマホ講座はありますか",
    "スマホが苦手なんですが教えてもらえる場所はありますか",
    "マイナカードでできる手続きは？",
    "マイナポータルから児童手当の現況届を出せる？",
    "マイナ保険証はいつから使えますか",
    "マイナンバーカードの交付率は何%ですか",
    "令和7年1月5日～1月20日の募集",
    "パブリックコメントは2025年1月5日から1月20日まででした",
    "計画期間は令和7年度から令和11年度までです",
    "2024/4/1から始まりますか",
    "上野駅の近くに窓口はありますか",
    "浅草で使えるWi-Fiスポットは",
    "神田の区民館で講座はありますか",
    "蒲田の窓口は何時まで開いていますか",
    "今戸や駒形の人は何%？",
    "金杉に住んでいる人の割合は？",
    "谷中の図書館でWi-Fiは使えますか",
    "秋葉原のイベントでキャッシュレスは使えますか",
    "健診を受けるよう区から声をかけてくれる仕組みはある？",
    "何章に書いてありますか",
    "素案の何章・何ページですか",
    "区役所の駐車場は何台ですか",
    "窓口の混雑状況は何時に分かりますか",
    "職員は1,000人くらいいますか",
    "予算は3億5000万円ですか",
    "DX人材を100人育成する計画ですか",
    "区民の80%がスマホを持っているの？",
    "電子申請の件数は年間12万件ですか",
    "ICTを使った見守りサービスはありますか",
    "AIチャットボットの未解決率の目標は？",
    "ペーパーレス会議は何回開かれましたか",
    "RPAで削減した時間は年間5000時間ですか",
    "LINEで粗大ごみの申し込みはできますか",
    "LINE公式アカウントの友だち数は？",
    "オープンデータは何件公開されていますか",
    "区のホームページはいつリニューアルしますか",
    "キャッシュレス決済は何か所で使えますか",
    "テレワークをしている職員の割合は",
    "DX推進本部の本部長は誰ですか",
    "CIO補佐官は置いていますか",
    "ガバメントクラウドへの移行は令和7年度末までですか",
    "基幹系20業務の標準化はいつ終わりますか",
    "Wi-Fi 6に対応していますか",
    "5Gの基地局は区内にいくつありますか",
    "第2期の計画と第1期の違いは",
    "意見番号12への区の考え方は",
    "03は東京の市外局番ですか",
    "区役所の代表電話番号を教えてください",
    "窓口は8時30分から17時15分までですか",
    "1日あたりの問い合わせ件数は",
    "高齢者の方のデジタルデバイド対策は",
    "子育て世帯向けのオンライン相談は",
]


@pytest.mark.parametrize(("text", "hidden", "placeholder"), MASKED)
def test_personal_data_is_masked(text, hidden, placeholder):
    masked = mask_personal_data(text, READINGS)
    assert unicodedata.normalize("NFKC", hidden) not in masked, masked
    assert placeholder in masked, masked


@pytest.mark.parametrize("text", KEPT)
def test_wards_documents_and_ordinary_numbers_are_kept(text):
    assert mask_personal_data(text, READINGS) == unicodedata.normalize("NFKC", text)


def test_the_wards_names_in_kana_are_read_as_places():
    assert len(READINGS) == len(WARDS) and "オオタク" in READINGS
    # The wards the app serves are the ones read as places: おおたくに reads to Sudachi as a full name (おおた くに).
    question = "あると ききました。おおたくにも でんしとしょかんを つくって"
    assert mask_personal_data(question, wards_read(["大田区"])) == question
    assert "おおた" not in mask_personal_data(question, wards_read(["台東区", "千代田区"]))


def test_the_tables_are_large_enough():
    assert len(MASKED) >= 60 and len(KEPT) >= 60


def test_every_question_we_wrote_passes_through_unchanged():
    # None of them holds personal data, so masking must not take a word from any.
    questions = [q for qs in json.loads((ROOT / "corpus" / "questions.json").read_text(encoding="utf-8")).values()
                 for q in qs]
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            questions += [row["question"]] if "question" in row else row["wordings"]
    assert len(questions) >= 2_800
    changed = [q for q in questions if mask_personal_data(q, READINGS) != unicodedata.normalize("NFKC", q)]
    assert changed == []


def test_stored_question_and_staff_answer_form_hold_the_masked_text(app, client):
    from sqlalchemy import select

    from bot.db import Question, get_db
    from test_staff import SEAT, add_staff, login

    asked = client.post(
        "/api/ask", json={"question": f"山田太郎です。電話は090-1234-5678。{SEAT}", "ward": "台東区"}
    ).get_json()
    with app.app_context():
        stored = get_db().scalars(select(Question.text)).all()
    assert stored == [f"[氏名]です。電話は[電話番号]。{SEAT}"]
    add_staff(app, "taito", "台東区")
    login(client, "taito")
    page = client.get(f"/staff/questions/{asked['id']}").text
    assert "[氏名]です" in page and "山田" not in page and "1234" not in page


def test_what_one_pattern_masks_moves_the_text_the_next_patterns_read():
    # The e-mail's placeholder is longer than the address: the phone number and the address after it are found in the
    # text as it reads once the address is masked, kanji digits and all.
    text = "a@b.jp か〇九〇ー一二三四ー五六七八へ。家は東上野4-5-6です。"
    assert mask_personal_data(text, READINGS) == "[メールアドレス] か[電話番号]へ。家は[住所]です。"
