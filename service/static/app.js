// The web page: asks POST /ask and shows the evidence in the article by its offsets.
// No external requests; text is inserted with textContent only.
"use strict";

const $ = (id) => document.getElementById(id);
const articles = new Map(); // doc_id -> the promise of the article: each is fetched once
const titles = new Map(); // doc_id -> title as shown, from the article list
let opening = 0; // the latest openArticle call: an older one that finishes later is dropped

function confidenceWords(c) {
  if (c >= 0.7) return "High confidence";
  if (c >= 0.45) return "Medium confidence";
  return "Low confidence";
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// A backslash before ASCII punctuation is a Markdown escape left in a scraped page
// ("US\$2.9"): it stays in the text, whose offsets count it, and is hidden where people read.
const PUNCTUATION = /[!-/:-@[-`{-~]/;

function isEscape(text, i) {
  if (text[i] !== "\\" || !PUNCTUATION.test(text[i + 1] || "")) return false;
  let before = 0;
  while (text[i - before - 1] === "\\") before += 1;
  return before % 2 === 0; // "\\$": the first escapes the second, which escapes nothing
}

// text[from, to) as people read it (positions in UTF-16 units, JavaScript's string indices).
function readable(text, from = 0, to = text.length) {
  return text.slice(from, to).replace(/\\/g, (m, i) => (isEscape(text, from + i) ? "" : m));
}

// The API's offsets count code points (Python str indices); JavaScript strings count UTF-16
// units, two for a character outside the Basic Multilingual Plane (an emoji). Returns the
// function from one to the other for this text.
function unitIndex(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
  const units = [];
  let u = 0;
  for (const ch of text) {
    units.push(u);
    u += ch.length;
  }
  units.push(u);
  return (i) => units[Math.min(i, units.length - 1)];
}

function getDocument(docId) {
  if (!articles.has(docId)) {
    const loading = fetch(`/documents/${encodeURIComponent(docId)}`).then(async (r) => {
      if (!r.ok) throw new Error(`could not load article ${docId}`);
      const doc = await r.json();
      doc.unit = unitIndex(doc.text);
      titles.set(docId, titleOf(doc));
      return doc;
    });
    loading.catch(() => articles.delete(docId)); // a failed fetch is tried again next time
    articles.set(docId, loading);
  }
  return articles.get(docId);
}

function titleOf(d) {
  return readable(d.title || d.doc_id);
}

function metaLine(d) {
  return readable([d.source, d.author, d.published].filter(Boolean).join(" · "));
}

// The spans to show, in code points: the article's sentences, plus the words of the cited
// span [start, end) that no sentence covers (a byline or date line is cited, not a sentence).
function segments(doc, start, end) {
  const spans = doc.sentences.slice();
  if (start === null) return spans;
  let at = start;
  const gap = (s, e) => {
    const part = s < e ? doc.text.slice(doc.unit(s), doc.unit(e)) : "";
    if (!/[\p{L}\p{N}]/u.test(part)) return; // blank, or a bullet between two sentences
    // trimmed (whitespace is one code point per UTF-16 unit), so paragraph breaks stay
    const lead = part.length - part.trimStart().length;
    const trail = part.length - part.trimEnd().length;
    spans.push([s + lead, e - trail]);
  };
  for (const [s, e] of doc.sentences) {
    if (e <= at || s >= end) continue;
    gap(at, s);
    at = Math.max(at, e);
  }
  gap(at, end);
  return spans.sort((a, b) => a[0] - b[0]);
}

// Render the article; highlight the spans inside [start, end) and mark the answer span
// [aStart, aEnd) inside them. All positions are code point offsets into the original file.
// The quote is scrolled into view inside the article's own pane; only `focus` (the reader
// asked for this article) moves the focus, and the view, to its heading.
async function openArticle(docId, span = {}, focus = false) {
  const { start = null, end = null, aStart = null, aEnd = null } = span;
  const ticket = ++opening;
  const doc = await getDocument(docId);
  if (ticket !== opening) return;
  const { text, unit } = doc;
  $("article").hidden = false;
  $("article-title").textContent = titleOf(doc);
  $("article-meta").textContent = metaLine(doc);
  const box = $("article-text");
  box.replaceChildren();
  let para = el("p");
  let prevEnd = null;
  let first = null;
  for (const [s, e] of segments(doc, start, end)) {
    const [us, ue] = [unit(s), unit(e)];
    if (prevEnd !== null && text.slice(unit(prevEnd), us).includes("\n")) {
      box.appendChild(para);
      para = el("p");
    } else if (prevEnd !== null) {
      para.appendChild(document.createTextNode(" "));
    }
    const node = el("span", { "data-start": s, "data-end": e });
    if (start !== null && s >= start && e <= end) {
      node.className = "hl";
      if (aStart !== null && aStart >= s && aEnd <= e) {
        const [ua, ub] = [unit(aStart), unit(aEnd)];
        node.append(readable(text, us, ua));
        node.appendChild(el("mark", { class: "answer-span" }, readable(text, ua, ub)));
        node.append(readable(text, ub, ue));
      } else {
        node.textContent = readable(text, us, ue);
      }
      first = first || node;
    } else {
      node.textContent = readable(text, us, ue);
    }
    para.appendChild(node);
    prevEnd = e;
  }
  box.appendChild(para);
  box.scrollTop = 0;
  if (first) {
    const offset = first.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop = offset - box.clientHeight / 4;
  }
  if (focus) {
    $("article-title").focus({ preventScroll: true });
    $("article").scrollIntoView({ block: "start" });
  }
}

function citationItem(c, answer) {
  const li = el("li");
  const open = el("button", { type: "button", class: "linklike" }, titleOf(c));
  const span = { start: c.start, end: c.end };
  if (answer) Object.assign(span, { aStart: answer.start, aEnd: answer.end });
  open.addEventListener("click", () => openArticle(c.doc_id, span, true));
  li.appendChild(open);
  const meta = [c.source, c.published].filter(Boolean).join(" · ");
  if (meta) li.appendChild(el("div", { class: "meta" }, readable(meta)));
  if (c.url) li.appendChild(el("a", { href: c.url, rel: "noopener noreferrer" }, c.url));
  li.appendChild(el("blockquote", {}, readable(c.quote)));
  return li;
}

function passageItem(p) {
  const li = el("li");
  const open = el("button", { type: "button", class: "linklike" }, p.doc_id);
  if (titles.has(p.doc_id)) open.textContent = titles.get(p.doc_id);
  else getDocument(p.doc_id).then((d) => { open.textContent = titleOf(d); }).catch(() => {});
  open.addEventListener("click", () => openArticle(p.doc_id, { start: p.start, end: p.end }, true));
  li.appendChild(open);
  const words = readable(p.text); // cut short without splitting an emoji's two halves
  const cut = words.length > 400 ? words.slice(0, 399).replace(/[\uD800-\uDBFF]$/, "") + "…" : "";
  li.appendChild(el("blockquote", {}, cut || words));
  return li;
}

async function ask(question) {
  $("status").textContent = "Looking in the articles…";
  $("ask-button").disabled = true;
  try {
    const r = await fetch("/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question }),
    });
    const body = await r.json();
    if (!r.ok) {
      $("status").textContent = body.detail || body.title || `Error ${r.status}`;
      return;
    }
    $("status").textContent = "";
    show(body);
  } catch (err) {
    $("status").textContent = "The service could not be reached. Please try again.";
  } finally {
    $("ask-button").disabled = false;
  }
}

// Start a new result at its top: the answer and its confidence, or the abstention, in view.
function revealResult() {
  const top = $("result").getBoundingClientRect().top;
  const bottom = $("confidence").getBoundingClientRect().bottom;
  if (top < 0 || bottom > window.innerHeight) $("result").scrollIntoView({ block: "start" });
}

function show(body) {
  $("result").hidden = false;
  const list = $("citations");
  list.replaceChildren();
  if (body.answer === null) {
    opening += 1; // an article still loading for the previous answer stays closed
    $("answer").textContent = "The articles don't say.";
    $("answer").className = "answer abstain";
    $("confidence").textContent = "No passage supports an answer. The closest passages:";
    $("sources-heading").textContent = "Closest passages";
    body.passages.forEach((p) => list.appendChild(passageItem(p)));
    $("article").hidden = true;
    revealResult();
    return;
  }
  $("answer").textContent = readable(body.answer);
  $("answer").className = "answer";
  $("confidence").textContent = `${confidenceWords(body.confidence)} (${body.confidence.toFixed(2)})`;
  $("sources-heading").textContent = "Sources";
  const span = { start: body.answer_start, end: body.answer_end };
  body.citations.forEach((c, i) => list.appendChild(citationItem(c, i === 0 ? span : null)));
  revealResult();
  const c = body.citations[0];
  const answer = { aStart: body.answer_start, aEnd: body.answer_end };
  openArticle(c.doc_id, { start: c.start, end: c.end, ...answer });
}

async function listDocuments() {
  const r = await fetch("/documents");
  if (!r.ok) {
    $("status").textContent = "The articles are still loading; reload in a moment.";
    return;
  }
  for (const d of await r.json()) {
    titles.set(d.doc_id, titleOf(d));
    const li = el("li");
    const b = el("button", { type: "button", class: "linklike" }, titles.get(d.doc_id));
    b.addEventListener("click", () => openArticle(d.doc_id, {}, true));
    li.appendChild(b);
    const meta = metaLine(d);
    if (meta) li.appendChild(el("div", { class: "meta" }, meta));
    $("documents").appendChild(li);
  }
  const total = Number(r.headers.get("X-Total-Count"));
  const shown = $("documents").children.length;
  if (total > shown) {
    // the list comes a page at a time: say how many more there are, the answers cite any
    $("documents").appendChild(el("li", { class: "meta" }, `and ${total - shown} more`));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = $("question").value.trim();
    if (q) ask(q);
  });
  listDocuments();
});
