// The household page (issue 19): plain JavaScript, no framework, nothing fetched from elsewhere.
// Every change goes to the speaker's /api/ with the session's CSRF token; the speaker pushes its
// state and ledger changes over server-sent events, so a mute pressed on the speaker shows at once.
"use strict";

const T = {
  zh: {
    title: "音箱隐私",
    skip: "跳到内容",
    loading: "正在连接音箱…",
    pairTitle: "与音箱配对",
    pairIntro: "为保护家人的隐私,只有配对过的手机才能查看和删除音箱上保存的内容。",
    announce: "请音箱播报配对码",
    announced: (s) => `音箱正在播报配对码,${Math.round(s / 60)} 分钟内有效。`,
    codeLabel: "音箱播报的 6 位配对码",
    pairBtn: "配对",
    codeFormat: "请输入 6 位数字。",
    nowTitle: "现在",
    mute: "静音",
    unmute: "取消静音",
    mute30: "静音 30 分钟",
    mute120: "静音 2 小时",
    muteTomorrow: "静音到明早",
    states: {
      armed: "正在等待唤醒词(不录音)",
      standby: "仅在按住说话键时录音",
      capturing: "正在录音",
      failed: "麦克风已因故障关闭",
    },
    mutedBy: {
      button: "已静音(静音键)",
      switch: "已静音(硬件开关)",
      timer: "已静音(定时)",
      fleet: "已静音(运营方策略)",
      guardian: "已静音(监护人设定的时段之外)",
    },
    until: (t) => `,至 ${t}`,
    micOff: "麦克风已关闭。",
    keptTitle: "音箱保存的录音",
    keptNone: (d) => `音箱上没有保存录音。录音最多保存 ${d} 天。`,
    keptSome: (n, d) => `音箱上保存了 ${n} 段录音(已变声、已加密),每段最多保存 ${d} 天。`,
    chartDesc: (n, d, first) => `过去 ${d} 天每天保存的录音数${n ? `;最早的一段将于 ${first} 删除` : ""}。`,
    dayBar: (day, n, exp) => `${day}:${n} 段,${exp} 删除`,
    deleteToday: "删除今天的录音",
    deleteAll: "删除全部录音",
    export: "导出副本(ZIP)",
    confirmAll: "删除音箱上保存的全部录音?已上传的会同时请求删除。此操作无法撤销。",
    confirmOne: (id) => `删除录音 #${id}?`,
    deleted: (n) => `已删除 ${n} 段录音。`,
    play: "播放",
    playLabel: (id) => `播放录音 #${id}`,
    del: "删除",
    delLabel: (id) => `删除录音 #${id}`,
    wake: (k) => `唤醒词 ${k || ""}`,
    talk: "按键说话",
    upload: { none: "未上传", queued: "等待上传", sent: "已上传(已变声)", dropped: "未上传(已取消)" },
    expires: (d) => `${d} 后删除`,
    days: (n) => `${n} 天`,
    hours: (n) => `${n} 小时`,
    minutes: (n) => `${n} 分钟`,
    seconds: (s) => `${s} 秒`,
    choicesTitle: "家庭的选择",
    choicesIntro: "唤醒词、按键说话和音箱上的录音属于基本语音服务;下面每一项可选功能都需要您的单独同意,撤回后立即停止。",
    features: {
      uploads: "上传录音(已变声、去标识)",
      training: "允许用上传的录音改进语音服务",
      voiceprint: (p) => `${p} 的声纹`,
      diagnostics: "发送诊断信息",
      purpose: (id) => `运营方用途:${id}`,
    },
    granted: (by, since) => `已同意(${by}${since ? `,${since}` : ""})`,
    notGranted: (by) => `未同意${by ? `(${by})` : ""}`,
    by: { household: "家人", guardian: "监护人", operator: "运营方默认", wipe: "清除后", default: "默认" },
    grant: "同意",
    withdraw: "撤回",
    agree: "我同意",
    confirmWithdraw: (f) => `撤回“${f}”?它允许的事情会立即停止。`,
    historyTitle: "选择的历史",
    historyLine: (at, f, g, by) => `${at} · ${f} · ${g ? "同意" : "撤回"} · ${by}`,
    recordTitle: "隐私记录",
    events: {
      mute: "静音",
      unmute: "取消静音",
      mode: "切换模式",
      "session-kept": "保存了一段录音",
      "session-discarded": "丢弃了一段录音",
      "false-wake": "误唤醒(未保存)",
      upload: "上传",
      deletion: "删除录音",
      purge: "到期自动删除",
      export: "导出副本",
      wipe: "清除全部",
      "consent-granted": "同意",
      "consent-withdrawn": "撤回同意",
      "policy-applied": "策略生效",
      "policy-rejected": "拒绝了一项策略",
      "page-paired": "手机已配对",
      "page-sessions-revoked": "手机配对已结束",
      "boot-muted": "启动时保持静音",
      "guardian-hours": "监护时段",
      diagnostics: "诊断信息",
    },
    chainOk: (n) => `✓ 隐私记录完整:${n} 条已核验,没有被改写。`,
    chainBroken: (at) => `✗ 隐私记录在第 ${at} 条处被改动!`,
    policyTitle: "生效的策略",
    policyFleet: (v, from) => `运营方策略第 ${v} 版(${from === "fleet" ? "整个设备群" : "本设备"})。`,
    policyNone: "没有运营方策略,使用音箱自己的设置。",
    policyBody: (p) =>
      `语音最多保留 ${p.retentionDays} 天;上传:${p.uploads ? "开" : "关"};用于训练:${p.trainingAllowed ? "允许" : "不允许"};唤醒词监听:${p.farField ? "开" : "关"}${p.hotel ? ";酒店模式" : ""}。`,
    logout: "退出此手机的配对",
    cancel: "取消",
    ok: "确定",
    unpaired: "此手机的配对已结束,请重新配对。",
  },
  en: {
    title: "Speaker privacy",
    skip: "Skip to content",
    loading: "Connecting to the speaker…",
    pairTitle: "Pair with the speaker",
    pairIntro: "To protect your household, only a paired phone can see and delete what the speaker keeps.",
    announce: "Ask the speaker for a code",
    announced: (s) => `The speaker is announcing a code, valid for ${Math.round(s / 60)} minutes.`,
    codeLabel: "The 6-digit code the speaker announced",
    pairBtn: "Pair",
    codeFormat: "Enter the 6 digits.",
    nowTitle: "Right now",
    mute: "Mute",
    unmute: "Unmute",
    mute30: "Mute for 30 min",
    mute120: "Mute for 2 h",
    muteTomorrow: "Mute until tomorrow",
    states: {
      armed: "Listening for the wake word only (not recording)",
      standby: "Records only while the talk button is held",
      capturing: "Recording now",
      failed: "Microphone closed after a fault",
    },
    mutedBy: {
      button: "Muted (mute button)",
      switch: "Muted (mute switch)",
      timer: "Muted (timer)",
      fleet: "Muted (operator's policy)",
      guardian: "Muted (outside the guardian's hours)",
    },
    until: (t) => ` until ${t}`,
    micOff: "The microphone is off.",
    keptTitle: "What the speaker keeps",
    keptNone: (d) => `Nothing is kept on the speaker. Recordings are kept at most ${d} days.`,
    keptSome: (n, d) => `${n} recordings kept on the speaker (voice-modified, encrypted), each at most ${d} days.`,
    chartDesc: (n, d, first) => `Recordings kept per day over the last ${d} days${n ? `; the oldest is deleted on ${first}` : ""}.`,
    dayBar: (day, n, exp) => `${day}: ${n}, deleted on ${exp}`,
    deleteToday: "Delete today's recordings",
    deleteAll: "Delete all recordings",
    export: "Export a copy (ZIP)",
    confirmAll: "Delete every recording kept on the speaker? Uploaded ones get deletion requests too. This cannot be undone.",
    confirmOne: (id) => `Delete recording #${id}?`,
    deleted: (n) => `Deleted ${n} recordings.`,
    play: "Play",
    playLabel: (id) => `Play recording #${id}`,
    del: "Delete",
    delLabel: (id) => `Delete recording #${id}`,
    wake: (k) => `wake word ${k || ""}`,
    talk: "talk button",
    upload: { none: "not uploaded", queued: "waiting to upload", sent: "uploaded (voice-modified)", dropped: "not uploaded (cancelled)" },
    expires: (d) => `deleted in ${d}`,
    days: (n) => `${n} days`,
    hours: (n) => `${n} h`,
    minutes: (n) => `${n} min`,
    seconds: (s) => `${s} s`,
    choicesTitle: "Household choices",
    choicesIntro:
      "The wake word, push-to-talk and recordings kept on the speaker are the basic voice service; every optional feature below needs its own consent and stops at once when withdrawn.",
    features: {
      uploads: "Upload recordings (voice-modified, de-identified)",
      training: "Let uploads improve the voice service",
      voiceprint: (p) => `${p}'s voiceprint`,
      diagnostics: "Send diagnostics",
      purpose: (id) => `Operator purpose: ${id}`,
    },
    granted: (by, since) => `On (${by}${since ? `, ${since}` : ""})`,
    notGranted: (by) => `Off${by ? ` (${by})` : ""}`,
    by: { household: "household", guardian: "guardian", operator: "operator default", wipe: "after a wipe", default: "default" },
    grant: "Allow",
    withdraw: "Withdraw",
    agree: "I agree",
    confirmWithdraw: (f) => `Withdraw “${f}”? What it allowed stops at once.`,
    historyTitle: "History of the choices",
    historyLine: (at, f, g, by) => `${at} · ${f} · ${g ? "allowed" : "withdrawn"} · ${by}`,
    recordTitle: "Privacy record",
    events: {
      mute: "muted",
      unmute: "unmuted",
      mode: "mode changed",
      "session-kept": "a recording was kept",
      "session-discarded": "a recording was discarded",
      "false-wake": "false wake (nothing kept)",
      upload: "upload",
      deletion: "recordings deleted",
      purge: "expired recordings deleted",
      export: "a copy exported",
      wipe: "everything wiped",
      "consent-granted": "consent given",
      "consent-withdrawn": "consent withdrawn",
      "policy-applied": "policy applied",
      "policy-rejected": "a policy refused",
      "page-paired": "a phone paired",
      "page-sessions-revoked": "a phone's pairing ended",
      "boot-muted": "started muted",
      "guardian-hours": "guardian hours",
      diagnostics: "diagnostics",
    },
    chainOk: (n) => `✓ The privacy record is intact: ${n} events verified, nothing rewritten.`,
    chainBroken: (at) => `✗ The privacy record was altered at event ${at}!`,
    policyTitle: "Policy in force",
    policyFleet: (v, from) => `Operator policy version ${v} (${from === "fleet" ? "whole fleet" : "this device"}).`,
    policyNone: "No operator policy: the speaker's own settings.",
    policyBody: (p) =>
      `Voice kept at most ${p.retentionDays} days; uploads ${p.uploads ? "on" : "off"}; training use ${p.trainingAllowed ? "allowed" : "not allowed"}; wake-word listening ${p.farField ? "on" : "off"}${p.hotel ? "; hotel mode" : ""}.`,
    logout: "Unpair this phone",
    cancel: "Cancel",
    ok: "OK",
    unpaired: "This phone is no longer paired; pair it again.",
  },
};

const DAY = 86_400_000;
const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("spa-lang") === "en" ? "en" : "zh";
let csrf = null;
let events = null;
const data = { state: null, captures: null, consents: null, audit: null };

const t = (key, ...args) => {
  const v = T[lang][key];
  return typeof v === "function" ? v(...args) : v;
};
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const pad = (n) => String(n).padStart(2, "0");
const dayOf = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const timeOf = (ms) => {
  const d = new Date(ms);
  return `${dayOf(ms)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const span = (ms) => {
  if (ms >= DAY) return t("days", Math.floor(ms / DAY));
  if (ms >= 3_600_000) return t("hours", Math.floor(ms / 3_600_000));
  return t("minutes", Math.max(0, Math.floor(ms / 60_000)));
};
const say = (id, text, error = false) => {
  const m = $(id);
  m.textContent = text;
  m.classList.toggle("error", error);
};

class Unpaired extends Error {}

async function api(path, method = "GET", body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = csrf ?? "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const json = await r.json().catch(() => ({}));
  if (r.status === 401) {
    // Only a phone that was paired is told its pairing ended; a first visit just sees the pairing screen.
    showPairing(csrf ? t("unpaired") : "");
    throw new Unpaired();
  }
  if (!r.ok) throw new Error(json.message || `HTTP ${r.status}`);
  return json;
}

/** Runs an action; its error goes to the status line `where`. */
async function act(where, fn) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof Unpaired)) say(where, e.message, true);
  }
}

function confirmDialog(text, okLabel) {
  const d = $("dialog");
  $("dialog-text").textContent = text;
  $("dialog-ok").textContent = okLabel ?? t("ok");
  d.returnValue = "";
  d.showModal();
  return new Promise((resolve) => d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true }));
}

// ---- pairing -------------------------------------------------------------------------------

function showPairing(message = "") {
  events?.close();
  events = null;
  csrf = null;
  $("loading").hidden = true;
  $("app").hidden = true;
  $("pair").hidden = false;
  say("pair-msg", message, Boolean(message));
}

async function pair(e) {
  e.preventDefault();
  const code = $("code").value.trim();
  if (!/^\d{6}$/.test(code)) return say("pair-msg", t("codeFormat"), true);
  const r = await fetch("/pair", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) return say("pair-msg", json.message || `HTTP ${r.status}`, true);
  $("code").value = "";
  csrf = json.csrf;
  await start();
}

async function announce() {
  const r = await fetch("/pair/announce", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const json = await r.json().catch(() => ({}));
  say("pair-msg", r.ok ? t("announced", json.validSeconds) : json.message || `HTTP ${r.status}`, !r.ok);
  $("code").focus();
}

// ---- rendering -----------------------------------------------------------------------------

function renderStatic() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = lang === "zh" ? "音箱隐私" : "Speaker privacy";
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  const other = lang === "zh" ? "en" : "zh";
  $("lang").textContent = other === "en" ? "English" : "中文";
  $("lang").setAttribute("lang", other === "en" ? "en" : "zh-CN");
}

function renderState() {
  const s = data.state;
  if (!s) return;
  const st = s.state;
  const box = $("state");
  let text;
  if (st.muted) {
    text = t("mutedBy")[st.mutedBy] ?? t("mutedBy").button;
    if (st.muteUntil) text += t("until", timeOf(st.muteUntil));
  } else text = t("states")[st.state] ?? st.state;
  if (!st.micOpen) text += ` ${t("micOff")}`;
  box.textContent = text;
  box.className = `state ${st.muted ? "muted" : st.state}`;
  const mute = $("mute");
  mute.textContent = st.muted ? t("unmute") : t("mute");
  mute.dataset.action = st.muted ? "unmute" : "mute";
  renderPolicy();
}

function renderPolicy() {
  const p = data.state?.policy;
  if (!p) return;
  $("policy-text").textContent = `${p.version ? t("policyFleet", p.version, p.appliedFrom) : t("policyNone")} ${t("policyBody", p)}`;
}

function renderCaptures() {
  const c = data.captures;
  if (!c) return;
  const d = c.retentionDays;
  $("kept-summary").textContent = c.captures.length ? t("keptSome", c.captures.length, d) : t("keptNone", d);
  renderChart(c);
  const list = $("captures");
  list.replaceChildren();
  for (const r of c.captures) {
    const at = Date.parse(r.capturedAt);
    const what = r.trigger === "wake" ? t("wake", r.keyword) : t("talk");
    const info = el(
      "div",
      {},
      el("strong", { text: `#${r.id} · ${timeOf(at)}` }),
      el("br"),
      el("span", {
        class: "detail",
        text: `${what} · ${t("seconds", (r.durationMs / 1000).toFixed(1))} · ${t("upload")[r.uploadState] ?? r.uploadState} · ${t("expires", span(r.expiresInMs))}`,
      }),
    );
    const buttons = el("div", { class: "row" });
    if (r.hasAudio)
      buttons.append(
        el("button", {
          type: "button",
          text: t("play"),
          "aria-label": t("playLabel", r.id),
          onclick: (e) => {
            const audio = el("audio", { controls: "", src: `/api/captures/${r.id}/audio`, "aria-label": t("playLabel", r.id) });
            e.currentTarget.replaceWith(audio);
            audio.play().catch(() => undefined);
          },
        }),
      );
    buttons.append(
      el("button", {
        type: "button",
        class: "danger",
        text: t("del"),
        "aria-label": t("delLabel", r.id),
        onclick: () =>
          act("kept-msg", async () => {
            if (!(await confirmDialog(t("confirmOne", r.id), t("del")))) return;
            const res = await api(`/api/captures/${r.id}`, "DELETE");
            say("kept-msg", t("deleted", res.deleted));
            await loadLedger();
          }),
      }),
    );
    list.append(el("li", { "data-capture": String(r.id) }, info, buttons));
  }
}

function renderChart(c) {
  const svg = $("chart");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const days = c.retentionDays;
  const today = new Date(dayOf(c.now) + "T00:00:00").getTime();
  const counts = new Map();
  for (const r of c.captures) {
    const k = dayOf(Date.parse(r.capturedAt));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const max = Math.max(1, ...counts.values());
  const w = 360 / days;
  const base = document.createElementNS(ns, "line");
  for (const [k, v] of Object.entries({ x1: 0, y1: 100, x2: 360, y2: 100 })) base.setAttribute(k, String(v));
  svg.append(base);
  for (let i = 0; i < days; i++) {
    const dayMs = today - (days - 1 - i) * DAY;
    const k = dayOf(dayMs);
    const n = counts.get(k) ?? 0;
    if (!n) continue;
    const h = Math.max(4, (n / max) * 92);
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", String(i * w));
    rect.setAttribute("y", String(100 - h));
    rect.setAttribute("width", String(Math.max(3, w * 0.8)));
    if (i * w + 3 > 360) rect.setAttribute("x", String(357));
    rect.setAttribute("height", String(h));
    const title = document.createElementNS(ns, "title");
    title.textContent = t("dayBar", k, n, dayOf(dayMs + days * DAY));
    rect.append(title);
    svg.append(rect);
  }
  const oldest = c.captures.reduce((m, r) => Math.min(m, r.expiresInMs), Infinity);
  $("chart-desc").textContent = t("chartDesc", c.captures.length, days, c.captures.length ? dayOf(c.now + oldest) : "");
}

const featureName = (c) => {
  const f = t("features");
  if (c.feature === "voiceprint") return f.voiceprint(c.person ?? "");
  if (c.feature.startsWith("purpose:")) return f.purpose(c.feature.slice(8));
  return f[c.feature] ?? c.feature;
};

function renderConsents() {
  const c = data.consents;
  if (!c) return;
  const list = $("consents");
  list.replaceChildren();
  const notices = new Map(c.notices.map((n) => [n.key, n]));
  for (const line of c.consents) {
    const name = featureName(line);
    const by = t("by")[line.by] ?? line.by;
    const status = line.granted ? t("granted", by, line.since ? dayOf(line.since) : "") : t("notGranted", line.by === "default" ? "" : by);
    const button = el("button", {
      type: "button",
      class: line.granted ? "danger" : "primary",
      text: line.granted ? t("withdraw") : t("grant"),
      "aria-label": `${line.granted ? t("withdraw") : t("grant")}: ${name}`,
      onclick: () =>
        act("choices-msg", async () => {
          const body = { feature: line.feature, person: line.person, granted: !line.granted };
          if (!line.granted) {
            const n = notices.get(line.currentNotice);
            if (!(await confirmDialog(n ? n[lang] : name, t("agree")))) return;
            body.notice = line.currentNotice;
          } else if (!(await confirmDialog(t("confirmWithdraw", name), t("withdraw")))) return;
          const res = await api("/api/consents", "POST", body);
          say("choices-msg", res.notice ? res.notice[lang] : "");
          await loadLedger();
        }),
    });
    list.append(
      el("li", { "data-feature": line.feature }, el("div", {}, el("strong", { text: name }), el("br"), el("span", { class: "detail", text: status })), button),
    );
  }
  const hist = $("consent-history");
  hist.replaceChildren(
    ...[...(c.history ?? [])].reverse().map((h) => el("li", { text: t("historyLine", timeOf(h.at), featureName(h), h.granted, t("by")[h.by] ?? h.by) })),
  );
}

function renderAudit() {
  const a = data.audit;
  if (!a) return;
  $("chain").textContent = a.verify.ok ? t("chainOk", a.verify.checked) : t("chainBroken", a.verify.brokenAt);
  $("chain").className = a.verify.ok ? "" : "msg error";
  $("audit").replaceChildren(
    ...[...a.events].reverse().map((e) => el("li", { text: `${timeOf(e.at)} · ${e.type}${Object.keys(e.data).length ? ` · ${JSON.stringify(e.data)}` : ""}` })),
  );
}

function renderAll() {
  renderStatic();
  renderState();
  renderCaptures();
  renderConsents();
  renderAudit();
}

// ---- data ----------------------------------------------------------------------------------

async function loadLedger() {
  const [captures, consents, audit] = await Promise.all([api("/api/captures"), api("/api/consents"), api("/api/audit?limit=30")]);
  Object.assign(data, { captures, consents, audit });
  renderCaptures();
  renderConsents();
  renderAudit();
}

function listen() {
  events?.close();
  events = new EventSource("/api/events");
  events.addEventListener("state", (e) => {
    data.state = JSON.parse(e.data);
    renderState();
  });
  events.addEventListener("ledger", () => act("kept-msg", loadLedger));
  // A revoked session: the stream ends; the session check shows the pairing screen.
  events.addEventListener("error", () => act("now-msg", () => api("/api/session")));
}

async function start() {
  try {
    const s = await api("/api/session");
    csrf = s.csrf;
  } catch (e) {
    if (!(e instanceof Unpaired)) showPairing(e.message);
    return;
  }
  try {
    data.state = await api("/api/state");
    await loadLedger();
  } catch (e) {
    if (!(e instanceof Unpaired)) say("pair-msg", e.message, true);
    $("loading").textContent = e.message;
    return;
  }
  $("export").href = `/api/export?csrf=${encodeURIComponent(csrf)}`;
  $("loading").hidden = true;
  $("pair").hidden = true;
  $("app").hidden = false;
  renderAll();
  listen();
}

function wire() {
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("spa-lang", lang);
    renderAll();
  });
  $("pair-form").addEventListener("submit", (e) => act("pair-msg", () => pair(e)));
  $("announce").addEventListener("click", () => act("pair-msg", announce));
  $("mute").addEventListener("click", (e) =>
    act("now-msg", async () => {
      say("now-msg", "");
      data.state = { ...data.state, ...(await api(`/api/${e.currentTarget.dataset.action}`, "POST")) };
      renderState();
    }),
  );
  for (const b of document.querySelectorAll("[data-mute]"))
    b.addEventListener("click", () =>
      act("now-msg", async () => {
        say("now-msg", "");
        const v = b.dataset.mute;
        data.state = { ...data.state, ...(await api("/api/mute", "POST", v === "tomorrow" ? { until: "tomorrow" } : { minutes: Number(v) })) };
        renderState();
      }),
    );
  $("delete-today").addEventListener("click", () =>
    act("kept-msg", async () => {
      const r = await api("/api/delete", "POST", { scope: "today" });
      say("kept-msg", t("deleted", r.deleted));
      await loadLedger();
    }),
  );
  $("delete-all").addEventListener("click", () =>
    act("kept-msg", async () => {
      if (!(await confirmDialog(t("confirmAll"), t("deleteAll")))) return;
      const r = await api("/api/delete", "POST", { scope: "all" });
      say("kept-msg", t("deleted", r.deleted));
      await loadLedger();
    }),
  );
  $("logout").addEventListener("click", () =>
    act("now-msg", async () => {
      await api("/api/logout", "POST");
      showPairing();
    }),
  );
}

renderStatic();
wire();
void start();
