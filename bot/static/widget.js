/* ward-faq web widget: <script src="https://BOT-HOST/widget.js" data-ward="台東区" defer></script>
   adds a chat about the ward's DX plans. Plain JS, no dependencies; it talks only to the host it came from. */
(() => {
  "use strict";
  const script = document.currentScript;
  // A page that has the tag twice (a template and a CMS block, say) still gets one button.
  if (!script || window.__wardFaqWidget) return;
  window.__wardFaqWidget = true;

  // Where to ask when the bot cannot help, and questions to try (corpus/wards.json; a test keeps the two the same).
  const WARDS = {
    "台東区": ["台東区役所（代表 03-5246-1111）", "情報政策課", ["スマホの使い方を教えてもらえる場所はありますか？", "マイナンバーカードでできる手続きを増やす予定はありますか？", "区のDX推進計画の期間はいつからいつまでですか？"]],
    "千代田区": ["千代田区役所（代表 03-3264-2111）", "デジタル政策課", ["区民がデジタルのアイデアを提案できる制度はありますか？", "区役所で生成AIを使っても情報漏えいは大丈夫ですか？", "情報セキュリティの監査はどのように行っていますか？"]],
    "大田区": ["大田区役所（代表 03-5744-1111）", "情報政策課", ["情報化推進計画の進行管理は誰がするのですか？", "大田区にも電子図書館を作ってほしいです", "職員のテレワークは進めていますか？"]],
  };
  const API = new URL(script.src, location.href).origin;
  const WARD = WARDS[script.dataset.ward] ? script.dataset.ward : null;
  // The ward's own examples, or one of each ward's on a page for no ward in particular.
  const EXAMPLES = WARD ? WARDS[WARD][2] : Object.values(WARDS).map((info) => info[2][0]);
  const NAME = WARD || "区";
  const KEY = "ward-faq:" + (WARD || "all");
  const TIMEOUT_MS = 10000;
  const KEEP = 40;
  const ERRORS = {
    network: "申し訳ありません。サーバーにつながりませんでした。通信の状態を確かめて、もう一度送信してください。",
    timeout: "申し訳ありません。回答に時間がかかっています。少し待ってから、もう一度送信してください。",
    429: "短い時間にたくさんの質問が届いています。1分ほど待ってから、もう一度送信してください。",
    400: "質問を読み取れませんでした。500文字以内の文章で、もう一度送信してください。",
    other: "申し訳ありません。ただいま回答できません。時間をおいて、もう一度お試しください。",
  };

  // px only: rem would follow the ward page's root font size.
  const CSS = `
:host{all:initial}
.root{font:15px/1.7 "BIZ UDPGothic","Hiragino Sans","Hiragino Kaku Gothic ProN",Meiryo,"Noto Sans CJK JP","Noto Sans JP",sans-serif;color:#1f2328}
.root.large{font-size:19px}
*{box-sizing:border-box}
[hidden]{display:none!important}
button,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer;min-height:40px;border-radius:8px;border:1px solid #0b57a4;background:#fff;color:#0b57a4;padding:4px 12px;text-align:left}
button:hover{background:#eef3f9}
:focus-visible{outline:3px solid #ffbf00;outline-offset:0;box-shadow:0 0 0 6px #111}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;min-height:56px;padding:0 22px;border:2px solid #fff;border-radius:28px;background:#0b57a4;color:#fff;font-size:16px;font-weight:bold;box-shadow:0 4px 14px rgba(0,0,0,.3)}
.launcher:hover{background:#0a4f94}
.launcher svg{width:24px;height:24px;fill:currentColor}
.panel{position:fixed;right:20px;bottom:88px;z-index:2147483001;display:flex;flex-direction:column;width:400px;height:min(640px,calc(100vh - 108px));background:#fff;border:1px solid #8a939d;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;animation:in .18s ease-out}
@keyframes in{from{opacity:0;transform:translateY(12px)}}
.head{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 14px;background:#0b57a4;color:#fff}
.head h2{flex:1;margin:0;font-size:1.07em}
.head button{border-color:#fff;background:#0b57a4;color:#fff;font-size:1.3em;line-height:1;padding:4px 12px}
.head button:hover{background:#0a4f94}
.tools{display:flex;gap:8px;padding:6px 12px;background:#eef3f9;border-bottom:1px solid #c9d3de}
.tools button{min-height:36px;font-size:.87em}
.tools button[aria-pressed=true]{background:#0b57a4;color:#fff}
.log{position:relative;flex:1;overflow-y:auto;padding:12px;background:#f7f9fc}
.msg{margin:0 0 12px;padding:10px 12px;border-radius:10px;max-width:92%;overflow-wrap:anywhere;white-space:pre-wrap}
.msg p{margin:0}
.user{margin-left:auto;background:#dbe8f7}
.bot{max-width:100%;background:#fff;border:1px solid #c9d3de}
.meta{margin-top:6px!important;font-size:.87em;color:#4a5058}
.links{display:flex;flex-direction:column;gap:6px;margin-top:8px}
.links button{min-height:36px;font-size:.93em}
.fb{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-top:10px;padding-top:8px;border-top:1px solid #e3e8ee}
.fb button{min-width:64px;text-align:center}
.error{margin:0;padding:8px 12px;background:#fdecea;color:#b3261e;font-size:.93em}
form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #c9d3de}
input{flex:1;min-width:0;min-height:44px;padding:6px 10px;border:2px solid #4a5058;border-radius:8px;background:#fff}
form button{min-height:44px;background:#0b57a4;color:#fff;font-weight:bold}
form button:hover{background:#0a4f94}
.note{margin:0;padding:0 12px 8px;font-size:.85em;color:#4a5058}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border:0;border-radius:0}.launcher{right:12px;bottom:12px}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}`;

  // Builds elements; strings become text nodes (Element.append), so no data is ever parsed as HTML.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child != null && child !== ""));
    return node;
  }

  function newSession() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fresh(keep) {
    return { session: newSession(), messages: [], open: !!(keep && keep.open), large: !!(keep && keep.large) };
  }

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY));
      if (saved && typeof saved.session === "string" && Array.isArray(saved.messages)) return saved;
    } catch (e) {
      // Storage blocked or corrupted: start a new conversation.
    }
    return fresh();
  }

  function save() {
    state.messages = state.messages.slice(-KEEP);
    try {
      sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      // Storage blocked or full: the conversation just does not follow the resident to the next page.
    }
  }

  async function post(path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response, data;
    try {
      response = await fetch(API + path, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "X-Ward-Faq-Channel": "web" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      data = response.ok ? await response.json() : null;
    } catch (e) {
      throw new Error(controller.signal.aborted ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw new Error(response.status === 413 ? "400" : String(response.status));
    return data;
  }

  let state = load();
  let busy = false;

  const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  const bubble = document.createElementNS("http://www.w3.org/2000/svg", "path");
  bubble.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9zm0-3v2h10V6zm0 6v2h7v-2z");
  icon.append(bubble);

  const launcher = el("button", {
    type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "panel",
    "aria-label": NAME + "の計画について質問するチャット", onclick: () => setOpen(!state.open, true),
  }, icon, "質問する");
  const large = el("button", { type: "button", "aria-pressed": "false", onclick: toggleLarge }, "文字を大きく");
  const clear = el("button", { type: "button", onclick: clearConversation }, "会話を消去");
  const close = el("button", { type: "button", "aria-label": "チャットを閉じる", onclick: () => setOpen(false, true) }, "×");
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "会話", tabindex: "0" });
  const error = el("p", { class: "error", role: "alert", hidden: "" });
  const input = el("input", {
    id: "question", type: "text", maxlength: "500", autocomplete: "off", enterkeyhint: "send",
    placeholder: "例：スマホ教室はありますか",
  });
  const send = el("button", { type: "submit" }, "送信");
  const form = el("form", { onsubmit: (event) => { event.preventDefault(); ask(input.value); } },
    el("label", { for: "question", class: "sr" }, "質問を入力"), input, send);
  const panel = el("section", { id: "panel", class: "panel", role: "dialog", "aria-label": NAME + " 質問チャット", hidden: "" },
    el("div", { class: "head" }, el("h2", {}, NAME + "の計画について質問"), close),
    el("div", { class: "tools" }, large, clear),
    log, error, form,
    el("p", { class: "note" }, "回答は区の資料からの引用です。お名前や電話番号などは入力しないでください。"));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false, true);
  });
  const root = el("div", { class: "root" }, launcher, panel);

  function setOpen(open, moveFocus) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) log.scrollTop = log.scrollHeight;
    if (moveFocus) (open ? input : launcher).focus();
  }

  function toggleLarge() {
    state.large = !state.large;
    save();
    applyLarge();
  }

  function applyLarge() {
    root.classList.toggle("large", state.large);
    large.setAttribute("aria-pressed", String(state.large));
  }

  function clearConversation() {
    state = fresh(state);
    save();
    showError("");
    render();
    input.focus();
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  // suggestedFrom: the id of the abstained question whose 「もしかして」 buttons these are, sent with the ask.
  function questionButtons(label, questions, suggestedFrom) {
    if (!questions || !questions.length) return null;
    return el("div", { class: "links", role: "group", "aria-label": label },
      el("p", { class: "meta" }, label),
      ...questions.map((q) => el("button", { type: "button", onclick: () => { input.value = q; ask(q, suggestedFrom); } }, q)));
  }

  function greeting() {
    return el("div", { class: "msg bot" },
      el("p", {}, "こんにちは。" + NAME + "のDX推進計画・情報化の計画と、パブリックコメントへの区の考え方について、区の資料からお答えします。知りたいことを文章で入力してください。"),
      questionButtons("質問の例", EXAMPLES));
  }

  function userMessage(text) {
    return el("div", { class: "msg user" }, el("span", { class: "sr" }, "あなたの質問："), el("p", {}, text));
  }

  function source(src) {
    const where = src.document + (src.section ? "「" + src.section + "」" : "");
    const link = typeof src.url === "string" && /^https?:\/\//.test(src.url)
      ? el("a", { href: src.url, target: "_blank", rel: "noopener noreferrer" }, where) : where;
    return el("p", { class: "meta" }, "出典：", link);
  }

  function botMessage(message) {
    const data = message.data;
    const node = el("div", { class: "msg bot" },
      el("span", { class: "sr" }, "回答："),
      el("p", {}, data.answer),
      data.sources && data.sources.length ? source(data.sources[0]) : null,
      data.department ? el("p", { class: "meta" }, "担当：" + data.department) : null,
      data.resolved
        ? questionButtons("関連する質問", data.suggestions)
        : questionButtons("もしかして、こちらのご質問ですか？", data.suggestions, data.id));
    // Small talk and abstentions carry no sources: only real answers are rated.
    if (data.resolved && data.sources && data.sources.length) node.append(feedback(message));
    return node;
  }

  function feedback(message) {
    if (message.feedback === true) return el("p", { class: "fb" }, "ご協力ありがとうございました。");
    if (message.feedback === false) {
      const [inquiries, department] = WARDS[WARD] || ["お住まいの区の区役所", null];
      const office = message.data.department || department;
      return el("p", { class: "fb" },
        "お役に立てず申し訳ありません。くわしくは" + inquiries + "にお問い合わせください。"
        + (office ? "この件は" + office + "が担当しています。" : ""));
    }
    const rate = (helpful) => () => {
      message.feedback = helpful;
      save();
      node.replaceWith(feedback(message));
      input.focus();
      // The session shows the service this is the tab that asked: no other client may rate its answers.
      post("/api/feedback", { id: message.data.id, helpful, session: state.session }).catch(() => {
        // The verdict is a courtesy: the resident already has the guidance, so a lost one is not worth an error.
      });
    };
    const node = el("div", { class: "fb", role: "group", "aria-label": "この回答は役に立ちましたか？" },
      el("span", {}, "役に立ちましたか？"),
      el("button", { type: "button", onclick: rate(true) }, "はい"),
      el("button", { type: "button", onclick: rate(false) }, "いいえ"));
    return node;
  }

  function render() {
    log.replaceChildren(greeting(), ...state.messages.map((m) => (m.role === "user" ? userMessage(m.text) : botMessage(m))));
    log.scrollTop = log.scrollHeight;
  }

  async function ask(text, suggestedFrom) {
    const question = text.trim();
    if (!question || busy) return;
    busy = true;
    showError("");
    log.setAttribute("aria-busy", "true");
    const asked = userMessage(question);
    const waiting = el("p", { class: "meta" }, "回答を探しています…");
    log.append(asked, waiting);
    log.scrollTop = log.scrollHeight;
    try {
      const body = { question, ward: WARD, session: state.session };
      if (suggestedFrom) body.suggested_from = suggestedFrom;
      const data = await post("/api/ask", body);
      const answer = {
        role: "bot",
        data: {
          id: data.id, resolved: data.resolved, answer: data.answer, sources: (data.sources || []).slice(0, 1),
          department: data.department, suggestions: data.suggestions || [],
        },
      };
      state.messages.push({ role: "user", text: question }, answer);
      save();
      waiting.replaceWith(botMessage(answer));
      input.value = "";
      log.scrollTop = asked.offsetTop - 8;
    } catch (e) {
      // The question stays in the box, so trying again is one key away.
      asked.remove();
      waiting.remove();
      showError(ERRORS[e.message] || ERRORS.other);
    } finally {
      busy = false;
      log.removeAttribute("aria-busy");
    }
  }

  function mount() {
    const host = document.createElement("ward-faq-widget");
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(el("style", {}, CSS), root);
    document.body.append(host);
    applyLarge();
    render();
    // Reopen on the next page without taking the focus away from it.
    setOpen(state.open, false);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
