"""The abstention threshold bench/fit.py keeps: the lowest that still abstains on enough unanswerable questions."""
from __future__ import annotations

import numpy as np

from helpers import bench_module
from index.text import squash


def test_the_threshold_is_the_lowest_that_keeps_the_abstention_bar():
    fit = bench_module("fit")
    # Fifty unanswerable questions (confidence 0.05 … 0.9) and ten answerable ones, all answered right.
    unanswerable = np.linspace(0.05, 0.9, 50)
    answerable = np.linspace(0.5, 0.99, 10)
    confidence = np.concatenate([unanswerable, answerable])
    right = np.concatenate([np.zeros(50), np.ones(10)])
    is_answerable = np.concatenate([np.zeros(50, bool), np.ones(10, bool)])
    threshold = fit.best_threshold(confidence, right, is_answerable)
    hit, abstain = fit.rates(confidence, right, is_answerable, threshold)
    assert abstain >= fit.MIN_ABSTENTION
    # One step lower and one more unanswerable question would be answered.
    assert fit.rates(confidence, right, is_answerable, threshold - 0.01)[1] < fit.MIN_ABSTENTION
    assert 0.0 < hit < 1.0


def test_an_answer_lacking_the_detail_asked_counts_as_abstained_whatever_the_model_says():
    fit = bench_module("fit")
    x = np.array([[2.0], [2.0]])
    sure = fit.confidence(x, np.array([True, False]), np.array([1.0]), 0.0)
    assert sure[0] > 0.8 and sure[1] == 0.0
    assert fit.rates(sure, np.array([1.0, 1.0]), np.array([True, True]), 0.5) == (0.5, 0.0)


def test_each_everyday_topic_weighs_one_unanswerable_question_however_many_wordings(tmp_path):
    fit = bench_module("fit")
    wordings = tmp_path / "staff_wordings.jsonl"
    wordings.write_text(
        '{"topic": "粗大ごみ", "ward": "台東区", "wordings": ["粗大ごみの出し方は", "ソファを捨てたい", "タンスの処分", "大きい家具の申込"]}\n'
        '{"topic": "区民葬", "ward": "大田区", "wordings": ["区民葬について", "葬儀の補助"]}\n',
        encoding="utf-8",
    )
    rows = fit.everyday_rows([wordings])
    assert [row["topic"] for row in rows] == [0, 0, 0, 0, 1, 1]
    assert not any(row["answerable"] for row in rows)
    assert [row["ward"] for row in rows] == ["台東区"] * 4 + ["大田区"] * 2
    for topic in (0, 1):
        assert sum(row["weight"] for row in rows if row["topic"] == topic) == 1.0


def test_a_row_weighted_two_counts_as_that_row_twice_in_the_abstention_fit():
    fit = bench_module("fit")
    x = np.array([[0.9], [0.2], [0.5], [0.7]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    weighted = fit.fit_abstainer(x, y, np.array([1.0, 1.0, 2.0, 1.0]))
    repeated = fit.fit_abstainer(np.vstack([x, x[2:3]]), np.append(y, 0.0))
    assert np.allclose(weighted[0], repeated[0]) and np.isclose(weighted[1], repeated[1])
    unweighted = fit.fit_abstainer(x, y)
    assert not np.isclose(weighted[1], unweighted[1])


def test_a_leader_the_bot_refuses_to_quote_counts_as_abstained_in_the_fit(answerer):
    fit = bench_module("fit")
    # The public comment's list of topics leads this leader's answer: the bot refuses it, and the fit must know.
    row = {"question": "区立図書館の書籍の電子化はもう始まってる？", "ward": "台東区", "answerable": False, "expect_any": []}
    (example,) = fit.collect(answerer, [row])
    query = answerer.query(row["question"], row["ward"])
    hits = answerer.retriever.search(query, limit=10_000)
    refused = [answerer.refuses(h, query, answerer.extract(h, query)) for h in hits]
    assert any(refused) and not all(refused)
    assert list(example.quotable) == [not r for r in refused]
    # No detail is asked, so whether a leader gives it says nothing.
    assert not any(extra["slot_given"] for extra in example.extra)


def test_a_runner_up_in_a_near_tie_that_gives_the_detail_more_fully_is_quoted_in_the_fit_as_in_the_answerer():
    fit = bench_module("fit")
    from index.answering import DETAIL_RUNNER_UP_MARGIN, MONTH_RUNNER_UP_MARGIN
    from index.retriever import ABSTAIN_FEATURES

    def leader(gives: int) -> dict[str, float]:
        return dict.fromkeys(ABSTAIN_FEATURES, 0.0) | {"slot_given": float(gives > 0), "gives": gives}

    def example(second_score: float, best_gives: int = 0) -> object:
        return fit.Example(
            answerable=True,
            features=np.array([[1.0], [second_score]]),
            extra=[leader(best_gives), leader(2)],
            gold=np.array([0.0, 1.0]),
            quotable=np.array([best_gives > 0, True]),
        )

    near = 1.0 - DETAIL_RUNNER_UP_MARGIN / 2
    far = 1.0 - (DETAIL_RUNNER_UP_MARGIN + MONTH_RUNNER_UP_MARGIN) / 2
    # A best giving a date's year only loses to a runner-up giving its month, as one giving nothing does, and from
    # further behind.
    examples = [example(near), example(far), example(near, best_gives=1), example(near, best_gives=2), example(far, best_gives=1)]
    rows = fit.abstain_rows(examples, np.array([1.0]))
    assert list(rows.right) == [1.0, 0.0, 1.0, 0.0, 1.0] and list(rows.quotable) == [True, False, True, True, True]
    # How sure the answer is is judged on the best, as the answerer judges it before putting the runner-up first.
    assert rows.features[0][ABSTAIN_FEATURES.index("slot_given")] == 0.0


def test_a_leader_is_right_in_the_fit_only_when_the_answer_cut_from_it_quotes_an_expected_phrase(answerer):
    fit = bench_module("fit")
    # The 施策's passage holds the KPI row's indicator past what its answer quotes: a neighbour, not the answer.
    row = {
        "question": "台東区って、キャッシュレスで払う人の割合をどれくらいまで増やすつもりなの？", "ward": "台東区",
        "answerable": True, "expect_any": ["キャッシュレス決済利用率"],
    }
    (example,) = fit.collect(answerer, [row])
    query = answerer.query(row["question"], row["ward"])
    hits = answerer.retriever.search(query, limit=10_000)
    quoted = ["キャッシュレス決済利用率" in squash(answerer.extract(h, query)) for h in hits]
    held = ["キャッシュレス決済利用率" in squash(h.unit.text) for h in hits]
    assert list(example.gold) == [float(q) for q in quoted]
    assert any(quoted) and any(h and not q for h, q in zip(held, quoted))
