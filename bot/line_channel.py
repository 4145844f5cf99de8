"""The LINE channel, once set: read LINE's webhook events, answer them and send the replies (line-bot-sdk).

Only an app with a LINE channel secret imports this module (see bot.line, which serves /callback).
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs

import urllib3
from flask import Flask, current_app, jsonify
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    Message,
    MessageAction,
    MessagingApi,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    Event,
    EventMode,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UserSource,
)
from sqlalchemy.exc import IntegrityError

from bot.db import LineEvent, get_db
from bot.errors import json_error
from bot.limits import allow
from bot.line import EXTENSION
from bot.live_index import get_wards
from bot.privacy import keyed_hash
from bot.retention import prune_line_events_hourly
from bot.service import (
    MAX_QUESTION_CHARS, QUESTION_ID, Asked, FeedbackRefused, ask, normalized_question, record_feedback, sources_of,
    storable,
)
from index.answering import example_questions, where_to_ask

log = logging.getLogger("ward_faq.line")

# LINE's limits on a reply: https://developers.line.biz/en/reference/messaging-api/#send-reply-message
MAX_MESSAGES = 5
MAX_TEXT_CHARS = 5000
MAX_LABEL_CHARS = 20
MAX_EVENT_ID_CHARS = 64
# Replies go out from a few threads of their own, never from the web worker that took the webhook; a reply
# slower than LINE_REPLY_TIMEOUT is given up on, and past MAX_WAITING_REPLIES new ones are dropped, not queued.
REPLY_THREADS = 8
MAX_WAITING_REPLIES = 1000

FEEDBACK_DATA = "feedback={id}&helpful={helpful}"
# A 「もしかして」 button: the abstained question's log id and the question it asks, as written.
SUGGESTION_DATA = "suggested_from={id}&ask={question}"
SUGGESTION = re.compile(r"suggested_from=([0-9A-Za-z_-]{1,64})&ask=(.+)", re.DOTALL)
MAX_POSTBACK_CHARS = 300
# Reading a body LINE signed can still fail on shapes the SDK does not expect; none of these may become a 500.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, RecursionError)

GREETING = (
    "友だち追加ありがとうございます。{ward}のDX・情報化の計画と、パブリックコメントへの区の考え方について、"
    "区の資料に書かれている内容からお答えします。知りたいことを文章で送ってください。"
    "下のボタンの質問もお試しください。"
)
ASK_IN_WORDS = (
    "メッセージありがとうございます。申し訳ありませんが、スタンプや画像、位置情報などにはお答えできません。"
    "知りたいことを文章で送ってください。"
)
UNREADABLE_TEXT = "申し訳ありません。読み取れない文字が含まれていました。ご質問を文章で送ってください。"
TOO_LONG = f"申し訳ありません。ご質問は{MAX_QUESTION_CHARS}文字以内の文章で送ってください。"
THANKS_RESOLVED = "ご回答ありがとうございます。お役に立ててよかったです。ほかにも知りたいことがあれば、文章で送ってください。"
THANKS_UNRESOLVED = "ご回答ありがとうございます。お役に立てず申し訳ありません。いただいた結果は回答の改善に使います。"
TOO_MANY = "申し訳ありません。短い時間に多くのメッセージが届きました。少し待ってから、もう一度送ってください。"
FEEDBACK_FINAL = "ご回答ありがとうございます。この回答へのご意見はすでに受け付けています。"
UNKNOWN_FEEDBACK = "申し訳ありません。どの回答へのご意見か分からなくなりました。お手数ですが、もう一度ご質問を送ってください。"


Reply = tuple[str, list[Message]]  # a reply token and the messages to send with it


class ReplySender:
    """Send replies from a small pool of threads, each call with its own timeout, at most so many waiting."""

    def __init__(self, api: MessagingApi, timeout: float, threads: int, max_waiting: int) -> None:
        self.api, self.timeout = api, timeout
        # Threads start at the first reply, so nothing runs before gunicorn forks its workers.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="line-reply")
        self._slots = threading.BoundedSemaphore(max_waiting)

    def submit(self, reply_token: str, messages: list[Message]) -> None:
        """Queue a reply and return at once; when too many wait already, log and drop it."""
        if not self._slots.acquire(blocking=False):
            log.error("LINE reply dropped: too many replies waiting")
            return
        future = self._pool.submit(self.send, reply_token, messages)
        future.add_done_callback(lambda _: self._slots.release())

    def send(self, reply_token: str, messages: list[Message]) -> None:
        """Call LINE's reply API once; a failure is logged in one line, without the messages."""
        request_body = ReplyMessageRequest(reply_token=reply_token, messages=messages[:MAX_MESSAGES])
        try:
            self.api.reply_message(request_body, _request_timeout=self.timeout)
        except ApiException as failure:
            log.error("LINE reply failed: HTTP %s", failure.status)
        except (urllib3.exceptions.HTTPError, OSError) as failure:
            log.error("LINE reply failed: %s", type(failure).__name__)


@dataclass(frozen=True)
class Channel:
    """One app's LINE channel: its parser, the sender of its replies, its ward and its example questions."""

    parser: WebhookParser
    replies: ReplySender
    ward: str | None
    # The same buttons for every greeting and small talk: made once, with the channel.
    examples: list[QuickReplyItem]

    def take(self, body: bytes, signature: str):
        """Take a webhook: check the signature, answer and log every event, queue the replies, say 200."""
        try:
            events = read_events(self.parser, body.decode("utf-8"), signature)
        except InvalidSignatureError:
            log.warning("LINE webhook refused: bad signature")
            return json_error(400, "bad_signature", "署名が正しくありません。")
        except UNREADABLE:
            log.warning("LINE webhook refused: the body is not a webhook payload")
            return json_error(400, "invalid_body", "LINEのWebhookとして読み取れません。")
        # Each reply goes to the reply threads as soon as its event is handled: if the database goes away
        # mid-batch, the events handled so far are answered and the rest get a 503, to be delivered again.
        for event in events:
            if (reply := handle(event)) is not None:
                self.replies.submit(*reply)
        prune_line_events_hourly()
        return jsonify({"status": "ok"})


def open_channel(app: Flask, secret: str, ward: str | None) -> Channel:
    """Open the app's LINE channel: the webhook parser and the reply sender, with nothing started yet."""
    configuration = Configuration(
        host=app.config["LINE_API_BASE_URL"].rstrip("/"),
        # Without a token the SDK cannot even be set up; an empty one lets LINE refuse the replies, as logged.
        access_token=app.config["LINE_CHANNEL_ACCESS_TOKEN"] or "",
    )
    # A retried reply would only keep LINE waiting longer; a failed one is logged instead.
    configuration.retries = 0
    configuration.connection_pool_maxsize = REPLY_THREADS
    # Nothing here opens a socket or starts a thread, so it is safe before gunicorn forks its workers.
    return Channel(
        parser=WebhookParser(secret),
        replies=ReplySender(
            MessagingApi(ApiClient(configuration)),
            timeout=float(app.config["LINE_REPLY_TIMEOUT"]),
            threads=REPLY_THREADS,
            max_waiting=MAX_WAITING_REPLIES,
        ),
        ward=ward,
        examples=example_buttons(example_questions(get_wards(app), ward)),
    )


def read_events(parser: WebhookParser, body: str, signature: str) -> list[Event]:
    """Check the signature and read the events; one event the SDK cannot read is skipped, not the whole batch."""
    try:
        return parser.parse(body, signature)
    except UNREADABLE:
        pass  # the signature was good (it is checked first): read the events one by one below
    payload = json.loads(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("not a webhook payload")
    return [event for event in map(read_event, payload["events"]) if event is not None]


def read_event(raw: object) -> Event | None:
    """Read one event as the SDK does, or None when it is not one the SDK knows in full."""
    try:
        return Event.from_dict(raw)
    except UNREADABLE:
        return None


def handle(event: Event) -> Reply | None:
    """Handle one event once, whatever the number of deliveries, workers or restarts."""
    handler = EVENT_HANDLERS.get(type(event))
    reply_token = getattr(event, "reply_token", None)
    # Standby events belong to another channel's bot; groups and rooms are not residents asking the ward.
    if handler is None or event.mode != EventMode.ACTIVE or not isinstance(event.source, UserSource):
        return None
    if not reply_token:
        return None
    if len(event.webhook_event_id) > MAX_EVENT_ID_CHARS or not storable(event.webhook_event_id):
        log.warning("LINE event skipped: webhookEventId not an id of at most %d characters", MAX_EVENT_ID_CHARS)
        return None
    if event.source.user_id is not None and not storable(event.source.user_id):
        log.warning("LINE event skipped: the userId is not an id")
        return None
    db = get_db()
    if db.get(LineEvent, event.webhook_event_id) is not None:
        return None
    if not allow("line", session_of(event.source) or "-", current_app.config["LINE_RATE_LIMIT_PER_MINUTE"]):
        handler = on_too_many
    try:
        messages = handler(event, LineEvent(webhook_event_id=event.webhook_event_id))
    except IntegrityError:
        # Another delivery of this event was handled in the meantime, maybe by another worker.
        db.rollback()
        return None
    return reply_token, messages


def on_message(event: MessageEvent, seen: LineEvent) -> list[Message]:
    """Answer a text message; ask for words when anything else is sent."""
    if isinstance(event.message, TextMessageContent):
        return answer_question(event, seen, event.message.text)
    remember(seen)
    return [text_message(ASK_IN_WORDS, examples())]


def why_not_asked(question: str) -> str | None:
    """Say why a question cannot be asked as it is (empty, too long, unstorable characters), or None."""
    if not question or len(question) > MAX_QUESTION_CHARS:
        return TOO_LONG
    if not storable(question):
        return UNREADABLE_TEXT
    return None


def answer_question(
    event: MessageEvent | PostbackEvent, seen: LineEvent, text: str, suggested_from: str | None = None
) -> list[Message]:
    """Answer a question as /api/ask does, logged on the line channel together with the event.

    suggested_from is the logged question whose 「もしかして」 button asked this one, if a button did.
    """
    question = normalized_question(text)
    if (refusal := why_not_asked(question)) is not None:
        remember(seen)
        return [text_message(refusal)]
    channel: Channel = current_app.extensions[EXTENSION]
    session = session_of(event.source)
    asked = ask(get_db(), question, channel.ward, "line", session, also=[seen], suggested_from=suggested_from)
    return answer_messages(asked)


def on_postback(event: PostbackEvent, seen: LineEvent) -> list[Message]:
    """Ask a 「もしかして」 question, or record the 解決した/解決しない button as /api/feedback does."""
    suggestion = SUGGESTION.fullmatch(event.postback.data)
    if suggestion is not None:  # a 「もしかして」 button: a new ask, logged with the question it came from
        suggested_from, question = suggestion.groups()
        return answer_question(event, seen, question, suggested_from)
    feedback = parse_feedback(event.postback.data)
    db = get_db()
    db.add(seen)
    db.commit()
    try:
        # Only this LINE user's own questions: the session of a LINE question is its user's salted hash.
        question = record_feedback(db, *feedback, session_of(event.source)) if feedback else None
    except FeedbackRefused as refused:
        return [text_message(FEEDBACK_FINAL if refused.reason == "final" else UNKNOWN_FEEDBACK)]
    if question is None:
        return [text_message(UNKNOWN_FEEDBACK)]
    if question.helpful:
        return [text_message(THANKS_RESOLVED)]
    return [text_message(THANKS_UNRESOLVED + where_to_ask(get_wards(), question.ward))]


def on_follow(event: FollowEvent, seen: LineEvent) -> list[Message]:
    """Greet a new friend with what the bot answers and three questions to try."""
    remember(seen)
    channel: Channel = current_app.extensions[EXTENSION]
    return [text_message(GREETING.format(ward=channel.ward or "区"), examples())]


def on_too_many(_event: Event, seen: LineEvent) -> list[Message]:
    """Ask a resident who sends too much, too fast, to wait; nothing is answered or logged."""
    remember(seen)
    return [text_message(TOO_MANY)]


# Unfollow, join, leave and every other event are not here: nothing is sent for them.
EVENT_HANDLERS: dict[type[Event], Callable[[Event, LineEvent], list[Message]]] = {
    MessageEvent: on_message,
    PostbackEvent: on_postback,
    FollowEvent: on_follow,
}


def remember(seen: LineEvent) -> None:
    """Mark an event handled that logs no question."""
    db = get_db()
    db.add(seen)
    db.commit()


def session_of(source: UserSource) -> str | None:
    """Return the salted hash that stands for the LINE user, never the user id itself."""
    if not source.user_id:
        return None
    return keyed_hash(source.user_id)


def answer_messages(asked: Asked) -> list[Message]:
    """Turn an answer into the reply: the answer, where it came from, and the feedback buttons."""
    answer = asked.answer
    if answer.small_talk:
        return [text_message(answer.text, examples())]
    if not answer.resolved:
        return [text_message(answer.text, suggestion_buttons(asked.question_id, answer.suggestions))]
    sources = sources_of(answer)
    origin = [source_line(sources[0], answer.department)] if sources else []
    texts = [answer.text, *origin]
    buttons = feedback_buttons(asked.question_id)
    return [text_message(text, buttons if i == len(texts) - 1 else None) for i, text in enumerate(texts)]


def source_line(source: dict, department: str | None) -> str:
    """Say which document and section the answer came from, and who is in charge, leaving out the unknown."""
    where = source["document"] + (f"（{source['section']}）" if source.get("section") else "")
    return f"出典: {where}" + (f"\n担当: {department}" if department else "")


def feedback_buttons(question_id: str) -> list[QuickReplyItem]:
    """Offer 解決した / 解決しない as postbacks carrying the question's log id."""
    return [
        QuickReplyItem(
            action=PostbackAction(
                label=label, data=FEEDBACK_DATA.format(id=question_id, helpful=helpful), display_text=label
            )
        )
        for label, helpful in (("解決した", 1), ("解決しない", 0))
    ]


def suggestion_buttons(question_id: str, suggestions: list[str]) -> list[QuickReplyItem]:
    """Offer 「もしかして」 questions as postbacks that ask them and say which abstained question they came from."""
    buttons = []
    for question in suggestions:
        data = SUGGESTION_DATA.format(id=question_id, question=question)
        if len(data) <= MAX_POSTBACK_CHARS:  # LINE refuses a longer postback, and with it the whole reply
            action = PostbackAction(label=clip(question, MAX_LABEL_CHARS), data=data, display_text=question)
            buttons.append(QuickReplyItem(action=action))
    return buttons


def examples() -> list[QuickReplyItem]:
    """Return the buttons of the channel's ward's example questions."""
    channel: Channel = current_app.extensions[EXTENSION]
    return channel.examples


def example_buttons(questions: tuple[str, ...]) -> list[QuickReplyItem]:
    """Offer example questions as buttons that send them."""
    return [QuickReplyItem(action=MessageAction(label=clip(q, MAX_LABEL_CHARS), text=q)) for q in questions]


def text_message(text: str, quick_reply: list[QuickReplyItem] | None = None) -> TextMessage:
    """Make a text message within LINE's length limit, with quick-reply buttons if any."""
    buttons = QuickReply(items=quick_reply) if quick_reply else None
    return TextMessage(text=clip(text, MAX_TEXT_CHARS), quick_reply=buttons)


def clip(text: str, limit: int) -> str:
    """Shorten text to limit characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_feedback(data: str) -> tuple[str, bool] | None:
    """Read our own postback data, `feedback=<id>&helpful=0|1`; None for anything else."""
    try:
        fields = parse_qs(data, strict_parsing=True, max_num_fields=2)
    except ValueError:
        return None
    ids, helpful = fields.get("feedback", []), fields.get("helpful", [])
    if len(fields) != 2 or len(ids) != 1 or len(helpful) != 1 or helpful[0] not in ("0", "1"):
        return None
    if not QUESTION_ID.fullmatch(ids[0]):
        return None
    return ids[0], helpful[0] == "1"
