"""Table rows and survey results as units of their own, each quoted with its heading.

A 施策's passage holds its KPI table as the document lays it out (指標　現況(…)　目標(…), then a line a row), and a survey
passage several results under 【(N) question】 headings. Asked about one indicator or one result, the
whole passage matches the question's words no better than its neighbours do, and its answer starts
with text that does not answer; so each row and each result is also a unit of its own. Their parent
passage stays as it is, for questions about the whole.
"""
from __future__ import annotations

import re
from dataclasses import replace

from index.text import CELL_SEPARATOR
from index.units import PASSAGE, Unit

# A KPI table: its column headings (指標　現況(令和2年度)　目標(令和7年度)), then its rows, a line each.
KPI_TABLE = re.compile(rf"^(?P<header>指標{CELL_SEPARATOR}.+)\n(?P<rows>(?:.*{CELL_SEPARATOR}.*(?:\n|$))+)", re.MULTILINE)
SURVEY_PASSAGE = re.compile(r"アンケート|調査結果")
# 【(3) インターネットを利用しない理由】: one survey question, its result below it.
SURVEY_QUESTION = re.compile(r"^【\((?P<number>\d+)\)\s*(?P<title>[^】]+)】$", re.MULTILINE)
# A paragraph of plan text that quotes the residents' survey with its figures (区民アンケート調査では、…87.7%…).
SURVEY_FINDING = re.compile(r"^.*区民アンケート.*\d\s?[%％].*$", re.MULTILINE)
SURVEY_FINDINGS_TITLE = "区民アンケート調査の結果"
# What a finding names, for the questions it answers: an answer residents gave (「利用したいと思う」), a rate (利用率).
QUOTED_ANSWER = re.compile(r"「([^」]{2,30})」")
RATE = re.compile(r"((?:[一-龥ァ-ヶー]{2,12}の)?[一-龥ァ-ヶー]{1,12}率)は")


def row_units(passages: list[Unit]) -> list[Unit]:
    """Return a unit for every KPI row and every survey result block of the passages."""
    units: list[Unit] = []
    for passage in passages:
        if passage.kind != PASSAGE:
            continue
        units.extend(kpi_rows(passage))
        if SURVEY_PASSAGE.search(" ".join(passage.headings)):
            units.extend(survey_results(passage))
        else:
            units.extend(survey_findings(passage))
    return units


def kpi_rows(passage: Unit) -> list[Unit]:
    """Make each row of a passage's KPI tables a unit: the 施策 it measures, the column headings, the row."""
    rows = [(table.group("header"), row) for table in KPI_TABLE.finditer(passage.text) for row in table.group("rows").splitlines()]
    units = []
    for number, (header, row) in enumerate(rows, 1):
        indicator = row.split(CELL_SEPARATOR)[0]
        units.append(
            replace(
                passage,
                id=f"{passage.id}-kpi{number}",
                section=f"{passage.section} > 評価指標",
                title=f"評価指標: {indicator}",
                text=f"{passage.title}の評価指標\n{header}\n{row}",
                headings=(*passage.headings, passage.title),
                measure=passage.measure or passage.title,
                asked=(f"{indicator}の目標は？", f"{indicator}は今どのくらい？"),
            )
        )
    return units


def survey_results(passage: Unit) -> list[Unit]:
    """Make each 【(N) question】 block of a survey passage that holds several a unit of its own."""
    starts = list(SURVEY_QUESTION.finditer(passage.text))
    if len(starts) < 2:
        return []
    units = []
    for start, end in zip(starts, [*starts[1:], None]):
        block = passage.text[start.start() : end.start() if end else len(passage.text)].strip()
        title = start.group("title").strip()
        units.append(
            replace(
                passage,
                id=f"{passage.id}-q{start.group('number')}",
                section=f"{passage.section} > ({start.group('number')}) {title}",
                title=title,
                text=block,
                headings=(*passage.headings, title),
                asked=(f"区民アンケートの「{title}」の結果は？",),
            )
        )
    return units


def survey_findings(passage: Unit) -> list[Unit]:
    """Make each paragraph of plan text that gives the residents' survey's figures a survey result of its own.

    The plan cites the survey where it argues for a 施策 (「利用しておらず今後も利用するつもりはない」という回答は…6.4%);
    asked what residents answered, that paragraph is the answer, not the 施策 around it nor the survey's overview.
    """
    units = []
    for number, finding in enumerate(SURVEY_FINDING.finditer(passage.text), 1):
        text = finding.group(0).strip()
        named = [f"「{m.group(1)}」と答えた人" for m in QUOTED_ANSWER.finditer(text)] + RATE.findall(text)
        units.append(
            replace(
                passage,
                id=f"{passage.id}-survey{number}",
                section=f"{passage.section} > {SURVEY_FINDINGS_TITLE}",
                title=f"{SURVEY_FINDINGS_TITLE}（{passage.title}）",
                text=text,
                headings=(*passage.headings, passage.title, SURVEY_FINDINGS_TITLE),
                measure=passage.measure or passage.title,
                asked=tuple(f"区民アンケートで{thing}はどのくらい？" for thing in dict.fromkeys(named)) or ("区民アンケートの結果は？",),
            )
        )
    return units
