"""The staff console's pages: the queue, answering, the FAQ list and CSV, the KPI, the audit log."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask import (
    Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for,
)
from sqlalchemy import or_, select

from bot.db import AuditEntry, FaqEntry, Phrasing, Question, as_utc, bump_index_revision, get_db
from bot.kpi import PERIODS, TOKYO, KpiFilter, kpi, kpi_by_period, parse_day, period_count
from bot.limits import allow
from bot.live_index import get_answerer, get_live_index, get_wards
from bot.service import CHANNELS
from bot.staff.auth import (
    ALL_WARDS, CSRF_FIELD, MAX_NAME_CHARS, audit, audit_repeated, authenticate, check_csrf, csrf_token, end_session,
    keyed, load_staff, login_required, sees_ward, start_session, visible_questions, writable_wards,
)
from bot.staff.chart import BASELINE, TARGET, kpi_chart
from bot.staff.faq_csv import COLUMNS, csv_bytes, export_faq, read_faq_csv
from bot.staff.faq_rules import MAX_FAQ_QUESTION_CHARS, FaqFields, faq_problems
from bot.staff.loop import Preview, entry_records, preview, record_wordings
from bot.staff.queue import STATUSES, QueueFilter, candidates, group_questions, queue_questions

bp = Blueprint("staff", __name__, url_prefix="/staff")

MAX_GROUPS = 50
MAX_NOTE_CHARS = 500
AUDIT_PAGE_ROWS = 100
# How far back the KPI page looks when no start day is given.
DEFAULT_SPAN = {"day": timedelta(days=29), "week": timedelta(weeks=11), "month": timedelta(days=334)}
MAX_KPI_PERIODS = 1000
# A row id in a URL: past the largest integer column (PostgreSQL's 32-bit), it can name no row; a 404, not a database error.
ROW_ID = "int(max=2147483647)"
CHANNEL_NAMES = {"web": "ウェブ", "line": "LINE", "api": "API"}
FORM_LABELS = {"question": "質問文", "answer": "回答", "department": "担当課", "ward": "区"}


@bp.before_request
def before() -> None:
    """Load the staff member and refuse any POST without this session's CSRF token."""
    load_staff()
    if request.method == "POST":
        check_csrf()


@bp.context_processor
def template_globals() -> dict:
    """Give every console template the CSRF field, the wards and the labels."""
    return {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,
        "wards": list(get_wards()),
        "channels": CHANNEL_NAMES,
        "statuses": STATUSES,
        "all_wards": ALL_WARDS,
    }


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def error_page(error):
    """Answer refused and unknown requests with a short Japanese page."""
    messages = {
        400: "リクエストを受け付けられませんでした。ページを読み込み直してから、もう一度お試しください。",
        403: "この操作の権限がありません。",
        404: "見つかりません（担当の区のものだけが表示されます）。",
    }
    return render_template("staff/error.html", message=messages[error.code]), error.code


@bp.app_template_filter("tokyo_time")
def tokyo_time(moment: datetime | None) -> str:
    """Show a stored UTC time as Tokyo time."""
    return as_utc(moment).astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if moment else "-"


def arg_choice(name: str, choices, default: str | None = None) -> str | None:
    """Read an optional query parameter that must be one of choices."""
    value = request.args.get(name) or default
    if value is not None and value not in choices:
        abort(400)
    return value


def arg_day(name: str) -> date | None:
    """Read an optional YYYY-MM-DD query parameter; the console's empty date field means none."""
    try:
        return parse_day(request.args.get(name) or None)
    except ValueError:
        abort(400)


# A console path and query in plain URL characters: no scheme, host, backslash, or line break to split headers.
SAFE_NEXT = re.compile(r"/staff(?:[/?][A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?")


def safe_next(target: str | None) -> str:
    """Return where to go after login: a console page, never another site; anything else is ignored."""
    if target and SAFE_NEXT.fullmatch(target):
        return target
    return url_for("staff.queue")


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the login form and log staff in; attempts are limited per address and per account, never slept on."""
    if request.method == "GET":
        return render_template("staff/login.html", error=None)
    name, password = request.form.get("name", "").strip()[:MAX_NAME_CHARS], request.form.get("password", "")
    address = request.remote_addr or "-"
    config = current_app.config
    # Per address, so one machine cannot guess at many accounts; per account across addresses, so many
    # machines cannot guess at one quickly. Account names are counted by a keyed hash, never kept.
    # A refused attempt touches no database and checks no password, so a flood of them costs the residents'
    # asks next to nothing; it is not audited, as it changed nothing and proved nothing.
    if not allow("staff-login", address, config["STAFF_LOGIN_PER_MINUTE"]) or not allow(
        "staff-login-account", keyed(name), config["STAFF_LOGIN_ACCOUNT_PER_MINUTE"]
    ):
        error = "短い時間にログインが何度も試されました。1分ほど待ってから、もう一度お試しください。"
        return render_template("staff/login.html", error=error), 429
    db = get_db()
    attempt = authenticate(db, name, password, address)
    if attempt.user is not None:
        audit(db, "login", ward=attempt.user.ward, staff=attempt.user.name)
        start_session(db, attempt.user)
        db.commit()
        return redirect(safe_next(request.args.get("next")))
    # A name that is no account is recorded as "-": it may be a password typed into the wrong field.
    staff = attempt.account.name if attempt.account else "-"
    ward = attempt.account.ward if attempt.account else None
    if attempt.locked_until is not None:
        error = f"ログインに続けて失敗したため、この端末からは {tokyo_time(attempt.locked_until)} までロックしています。"
        audit_repeated(db, "login_locked", staff=staff, ward=ward)
    else:
        error = "名前またはパスワードが違います。"
        audit_repeated(db, "login_failed", staff=staff, ward=ward)
    db.commit()
    return render_template("staff/login.html", error=error), 401


@bp.post("/logout")
@login_required
def logout():
    """Log out: the session ends on the server, so a copy of the cookie opens nothing."""
    db = get_db()
    audit(db, "logout")
    end_session(db)
    db.commit()
    return redirect(url_for("staff.login"))


@bp.get("/")
@login_required
def queue():
    """List unresolved questions, similar ones grouped, the most asked gap first."""
    status = arg_choice("status", [*STATUSES, "all"], "new")
    where = QueueFilter(
        ward=arg_choice("ward", get_wards()),
        channel=arg_choice("channel", CHANNELS),
        start=arg_day("from"),
        end=arg_day("to"),
        status=None if status == "all" else status,
    )
    groups = group_questions(queue_questions(get_db(), visible_questions(), where))
    shown = groups[:MAX_GROUPS]
    for group in shown:
        group.candidates = candidates(group.head)
    return render_template(
        "staff/queue.html", groups=shown, hidden=len(groups) - len(shown), where=where, status=status,
        question_count=sum(len(group.questions) for group in groups),
    )


def load_questions(ids: list[str]) -> list[Question]:
    """Return the unresolved questions with these ids, or 404 if any is unknown or of another ward."""
    db = get_db()
    unique = list(dict.fromkeys(i for i in ids if i))
    if not unique or len(unique) > 1000:
        abort(404)
    questions = [db.get(Question, question_id) for question_id in unique]
    for question in questions:
        if question is None or question.small_talk or not question.unresolved or not sees_ward(question.ward):
            abort(404)
    return questions


def detail_page(
    questions: list[Question], form: dict | None = None, errors: list[str] | None = None, status=200,
    draft_preview: Preview | None = None,
):
    """Render a question (or group) with the bot's candidates and the three ways to close it."""
    head = questions[0]
    allowed = writable_wards(get_wards())
    form = form or {
        "question": head.text,
        "answer": "",
        "department": "",
        "ward": head.ward if head.ward in allowed else allowed[0],
    }
    return (
        render_template(
            "staff/question.html", questions=questions, head=head, candidates=candidates(head), form=form,
            errors=errors or [], faq_wards=allowed, preview=draft_preview,
        ),
        status,
    )


@bp.get("/questions/<question_id>")
@login_required
def question(question_id: str):
    """Show one question, with the similar ones the queue grouped with it."""
    return detail_page(load_questions([question_id, *request.args.getlist("ids")]))


def faq_form_errors(form: dict) -> list[str]:
    """Check a FAQ form (question wording, answer, department, ward)."""
    fields = FaqFields(form["ward"], form["question"], form["answer"], form["department"])
    return faq_problems(fields, writable_wards(get_wards()), FORM_LABELS)


def faq_form() -> dict:
    """Read a FAQ form from the request."""
    return {key: request.form.get(key, "").strip() for key in ("question", "answer", "department", "ward")}


def close(questions: list[Question], status: str, note: str) -> None:
    """Set the review status of questions."""
    for question in questions:
        question.status, question.status_note = status, note


def targets(questions: list[Question]) -> str:
    """Name the questions an action was on, for the audit log."""
    return "question:" + ",".join(q.id for q in questions)


def form_entry(form: dict) -> FaqEntry:
    """Make an entry (not yet saved) of a checked FAQ form."""
    return FaqEntry(
        ward=form["ward"], question=form["question"], answer=form["answer"],
        department=form["department"] or None, created_by=g.staff.name,
    )


@bp.post("/questions/preview")
@login_required
def answer_preview():
    """Show, before publishing, which queued questions the answer would also close and which document answers it would take over."""
    questions = load_questions(request.form.getlist("ids"))
    form = faq_form()
    errors = faq_form_errors(form)
    if errors:
        return detail_page(questions, form, errors, 400)
    return detail_page(questions, form, draft_preview=preview(get_db(), visible_questions(), form_entry(form), questions))


@bp.post("/questions/answer")
@login_required
def answer():
    """Publish a staff answer as a FAQ entry with every wording of the group: the next ask, in any worker, finds it.

    Queued questions the preview showed it would answer (also_ids) are closed with it.
    """
    questions = load_questions(request.form.getlist("ids"))
    also = request.form.getlist("also_ids")
    if also:
        in_group = {q.id for q in questions}
        questions += [q for q in load_questions(also) if q.id not in in_group]
    form = faq_form()
    errors = faq_form_errors(form)
    if errors:
        return detail_page(questions, form, errors, 400)
    db = get_db()
    entry = form_entry(form)
    db.add(entry)
    db.flush()
    record_wordings(db, f"faq-{entry.id}", [q.text for q in questions], g.staff.name, (entry.question,))
    bump_index_revision(db)
    close(questions, "answered", f"faq-{entry.id}")
    audit(db, "answer", ward=entry.ward, target=f"{targets(questions)} faq:{entry.id}", detail=entry.question)
    db.commit()
    flash(f"回答を公開しました（FAQ {entry.id}、{len(questions)}件の質問）。")
    return redirect(url_for("staff.queue"))


@bp.post("/questions/link")
@login_required
def link():
    """Store the residents' wordings as phrasings of a corpus unit that answers them."""
    questions = load_questions(request.form.getlist("ids"))
    unit = get_live_index().corpus_unit(request.form.get("unit_id"))
    if unit is None:
        abort(404)
    if unit.ward not in writable_wards(get_wards()):
        abort(403)
    db = get_db()
    record_wordings(db, unit.id, [q.text for q in questions], g.staff.name)
    bump_index_revision(db)
    close(questions, "linked", unit.id)
    audit(db, "link", ward=unit.ward, target=f"{targets(questions)} unit:{unit.id}")
    db.commit()
    flash(f"{len(questions)}件の質問を「{unit.document} {unit.section}」に紐付けました。")
    return redirect(url_for("staff.queue"))


@bp.post("/questions/out-of-scope")
@login_required
def out_of_scope():
    """Mark questions as not for this bot, with a note saying why."""
    questions = load_questions(request.form.getlist("ids"))
    note = request.form.get("note", "").strip()
    if not 1 <= len(note) <= MAX_NOTE_CHARS:
        return detail_page(questions, errors=[f"対象外の理由を1〜{MAX_NOTE_CHARS}文字で入力してください。"], status=400)
    db = get_db()
    close(questions, "out_of_scope", note)
    audit(db, "out_of_scope", ward=questions[0].ward, target=targets(questions), detail=note)
    db.commit()
    flash(f"{len(questions)}件の質問を対象外にしました。")
    return redirect(url_for("staff.queue"))


def visible_faq():
    """Return the SQL condition for the FAQ entries the logged-in staff member may see."""
    return FaqEntry.ward.in_(writable_wards(get_wards()))


def load_faq(entry_id: int) -> FaqEntry:
    """Return a FAQ entry of the staff member's wards, or 404."""
    entry = get_db().get(FaqEntry, entry_id)
    if entry is None or not sees_ward(entry.ward):
        abort(404)
    return entry


def faq_page(errors: list[str] | None = None, status: int = 200):
    """Render the FAQ list."""
    show_retired = request.args.get("retired") == "1"
    query = select(FaqEntry).where(visible_faq()).order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc())
    if not show_retired:
        query = query.where(FaqEntry.retired.is_(False))
    db = get_db()
    entries = db.scalars(query).all()
    return render_template(
        "staff/faq.html", entries=entries, show_retired=show_retired, errors=errors or [], columns=COLUMNS,
        records=entry_records(db, [e.id for e in entries]),
    ), status


@bp.get("/faq")
@login_required
def faq_list():
    """List the FAQ entries staff have written."""
    return faq_page()


def entry_page(entry: FaqEntry, form: dict, errors: list[str], status: int = 200):
    """Render an entry's page: its form, how it has done, its wordings and the try box."""
    db = get_db()
    wordings = db.scalars(select(Phrasing).where(Phrasing.unit_id == f"faq-{entry.id}").order_by(Phrasing.id)).all()
    tried = request.args.get("try", "").strip()[:MAX_FAQ_QUESTION_CHARS]
    trial = None
    if tried:
        answerer = get_answerer()
        trial = {"question": tried, "answer": answerer.answer(tried, entry.ward),
                 "match": answerer.staff_match(tried, entry.ward)}
    return render_template(
        "staff/faq_edit.html", entry=entry, form=form, errors=errors, faq_wards=writable_wards(get_wards()),
        record=entry_records(db, [entry.id]).get(entry.id), wordings=wordings, trial=trial,
        unit_id=f"faq-{entry.id}",
    ), status


@bp.route(f"/faq/<{ROW_ID}:entry_id>/edit", methods=("GET", "POST"))
@login_required
def faq_edit(entry_id: int):
    """Show a FAQ entry and edit it; the change is live at once."""
    entry = load_faq(entry_id)
    form = {"question": entry.question, "answer": entry.answer, "department": entry.department or "",
            "ward": entry.ward}
    errors: list[str] = []
    if request.method == "POST":
        form = faq_form()
        errors = faq_form_errors(form)
        if not errors:
            db = get_db()
            entry.question, entry.answer, entry.ward = form["question"], form["answer"], form["ward"]
            entry.department = form["department"] or None
            bump_index_revision(db)
            audit(db, "faq_edit", ward=entry.ward, target=f"faq:{entry.id}", detail=entry.question)
            db.commit()
            flash(f"FAQ {entry.id} を更新しました。")
            return redirect(url_for("staff.faq_list"))
    return entry_page(entry, form, errors, 400 if errors else 200)


@bp.post(f"/faq/<{ROW_ID}:entry_id>/wordings")
@login_required
def faq_add_wording(entry_id: int):
    """Add a residents' wording the entry answers; it finds the entry from the next ask."""
    entry = load_faq(entry_id)
    text = request.form.get("text", "").strip()
    form = {"question": entry.question, "answer": entry.answer, "department": entry.department or "", "ward": entry.ward}
    if not 1 <= len(text) <= MAX_FAQ_QUESTION_CHARS:
        return entry_page(entry, form, [f"聞き方は1〜{MAX_FAQ_QUESTION_CHARS}文字で入力してください。"], 400)
    db = get_db()
    if record_wordings(db, f"faq-{entry.id}", [text], g.staff.name, (entry.question,)):
        bump_index_revision(db)
        audit(db, "faq_wording_add", ward=entry.ward, target=f"faq:{entry.id}", detail=text)
        db.commit()
        flash("聞き方を追加しました。")
    else:
        flash("その聞き方はすでに登録されています。")
    return redirect(url_for("staff.faq_edit", entry_id=entry.id))


@bp.post(f"/faq/<{ROW_ID}:entry_id>/wordings/<{ROW_ID}:wording_id>/delete")
@login_required
def faq_delete_wording(entry_id: int, wording_id: int):
    """Remove a wording from an entry."""
    entry = load_faq(entry_id)
    db = get_db()
    wording = db.get(Phrasing, wording_id)
    if wording is None or wording.unit_id != f"faq-{entry.id}":
        abort(404)
    db.delete(wording)
    bump_index_revision(db)
    audit(db, "faq_wording_delete", ward=entry.ward, target=f"faq:{entry.id}", detail=wording.text)
    db.commit()
    flash("聞き方を削除しました。")
    return redirect(url_for("staff.faq_edit", entry_id=entry.id))


@bp.post(f"/faq/<{ROW_ID}:entry_id>/retire")
@login_required
def faq_retire(entry_id: int):
    """Take a FAQ entry out of the answers (retired=1), or put it back (retired=0)."""
    entry = load_faq(entry_id)
    entry.retired = request.form.get("retired", "1") == "1"
    db = get_db()
    bump_index_revision(db)
    audit(db, "faq_retire" if entry.retired else "faq_restore", ward=entry.ward, target=f"faq:{entry.id}")
    db.commit()
    flash(f"FAQ {entry.id} を{'取り下げ' if entry.retired else '再公開し'}ました。")
    return redirect(url_for("staff.faq_list"))


def csv_response(data: bytes, filename: str) -> Response:
    """Return CSV bytes as a download."""
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.get("/faq/export.csv")
@login_required
def faq_export():
    """Download the FAQ entries as CSV (UTF-8 with a BOM, for Excel)."""
    db = get_db()
    entries = db.scalars(select(FaqEntry).where(visible_faq()).order_by(FaqEntry.id)).all()
    audit(db, "faq_export", ward=g.staff.ward, detail=f"{len(entries)}件")
    db.commit()
    return csv_response(export_faq(entries), "faq.csv")


@bp.post("/faq/import")
@login_required
def faq_import():
    """Create and update FAQ entries from a CSV; any wrong row and nothing changes."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return faq_page(["CSVファイルを選んでください。"], 400)
    db = get_db()
    known = {e.id: e for e in db.scalars(select(FaqEntry).where(visible_faq()))}
    rows, errors = read_faq_csv(upload.read(), writable_wards(get_wards()), set(known))
    if errors:
        return faq_page(errors, 400)
    created = updated = 0
    for row in rows:
        entry = known.get(row.id) if row.id is not None else None
        if entry is None:
            db.add(FaqEntry(ward=row.ward, question=row.question, answer=row.answer, department=row.department,
                            retired=row.retired, created_by=g.staff.name))
            created += 1
        elif (entry.ward, entry.question, entry.answer, entry.department, entry.retired) != (
            row.ward, row.question, row.answer, row.department, row.retired
        ):
            entry.ward, entry.question, entry.answer = row.ward, row.question, row.answer
            entry.department, entry.retired = row.department, row.retired
            updated += 1
    bump_index_revision(db)
    audit(db, "faq_import", ward=g.staff.ward,
          detail=f"新規{created}件、更新{updated}件")
    db.commit()
    flash(f"CSVを読み込みました（新規{created}件、更新{updated}件）。")
    return redirect(url_for("staff.faq_list"))


def kpi_request() -> tuple[KpiFilter, str]:
    """Read the KPI page's filter and period; the range defaults to the recent past, ending today in Tokyo."""
    period = arg_choice("period", PERIODS, "day")
    end = arg_day("to") or datetime.now(TOKYO).date()
    start = arg_day("from") or end - DEFAULT_SPAN[period]
    # Each period is a row and a bar: a mistyped year must not make a page of millions.
    if start > end or period_count(start, end, period) > MAX_KPI_PERIODS:
        abort(400)
    return KpiFilter(start, end, arg_choice("ward", get_wards()), arg_choice("channel", CHANNELS)), period


@bp.get("/kpi")
@login_required
def kpi_page():
    """Chart the unresolved rate per day, week or month against the plans' baseline and target."""
    where, period = kpi_request()
    db = get_db()
    figures = kpi(db, where)
    rows = kpi_by_period(figures, period, where.start, where.end)
    by_ward = {ward: kpi(db, KpiFilter(where.start, where.end, ward, where.channel)) for ward in get_wards()}
    by_channel = {ch: kpi(db, KpiFilter(where.start, where.end, where.ward, ch)) for ch in CHANNELS}
    return render_template(
        "staff/kpi.html", where=where, period=period, figures=figures, rows=rows, chart=kpi_chart(rows, period),
        by_ward=by_ward, by_channel=by_channel, baseline=BASELINE, target=TARGET,
    )


@bp.get("/kpi.csv")
@login_required
def kpi_export():
    """Download the KPI page's rows as CSV."""
    where, period = kpi_request()
    db = get_db()
    rows = kpi_by_period(kpi(db, where), period, where.start, where.end)
    audit(db, "kpi_export", ward=where.ward,
          detail=f"{period} {where.start}〜{where.end} {where.ward or '全区'} {where.channel or '全チャネル'}")
    db.commit()
    data = csv_bytes(
        ["period_start", "total", "unresolved", "unresolved_rate"],
        [[r["start"], r["total"], r["unresolved"], "" if r["unresolved_rate"] is None else r["unresolved_rate"]]
         for r in rows],
    )
    return csv_response(data, f"kpi-{period}.csv")


@bp.get("/audit")
@login_required
def audit_log():
    """Show who did what, when, and on what, newest first, a page at a time."""
    page = request.args.get("page", "1")
    # isdecimal, as int() reads it (isdigit also takes ²), and short, as int() refuses thousands of digits.
    if not (page.isdecimal() and len(page) <= 6) or not 1 <= int(page) <= 100_000:
        abort(400)
    page = int(page)
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if g.staff.ward != ALL_WARDS:
        query = query.where(or_(AuditEntry.ward == g.staff.ward, AuditEntry.staff == g.staff.name))
    # One row more than a page, to know whether an older page follows.
    rows = get_db().scalars(query.offset((page - 1) * AUDIT_PAGE_ROWS).limit(AUDIT_PAGE_ROWS + 1)).all()
    return render_template(
        "staff/audit.html", entries=rows[:AUDIT_PAGE_ROWS], page=page, has_older=len(rows) > AUDIT_PAGE_ROWS,
        per_page=AUDIT_PAGE_ROWS,
    )
