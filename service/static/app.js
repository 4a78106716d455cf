// The web page: asks POST /ask and shows the evidence in the article by its offsets.
// No external requests; text is inserted with textContent only.
"use strict";

const $ = (id) => document.getElementById(id);
const docCache = new Map();

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

async function getDocument(docId) {
  if (!docCache.has(docId)) {
    const r = await fetch(`/documents/${encodeURIComponent(docId)}`);
    if (!r.ok) throw new Error(`could not load article ${docId}`);
    docCache.set(docId, await r.json());
  }
  return docCache.get(docId);
}

function metaLine(d) {
  return [d.source, d.author, d.published].filter(Boolean).join(" · ");
}

// Render the article's kept sentences; highlight those inside [start, end) and mark the
// answer span [aStart, aEnd) inside them. All positions are offsets into the original file.
async function openArticle(docId, start = null, end = null, aStart = null, aEnd = null) {
  const doc = await getDocument(docId);
  $("article").hidden = false;
  $("article-title").textContent = doc.title || doc.doc_id;
  $("article-meta").textContent = metaLine(doc);
  const box = $("article-text");
  box.replaceChildren();
  let para = el("p");
  let prevEnd = null;
  let first = null;
  for (const [s, e] of doc.sentences) {
    if (prevEnd !== null && doc.text.slice(prevEnd, s).includes("\n")) {
      box.appendChild(para);
      para = el("p");
    } else if (prevEnd !== null) {
      para.appendChild(document.createTextNode(" "));
    }
    const span = el("span", { "data-start": s, "data-end": e });
    const inside = start !== null && s >= start && e <= end;
    if (inside) {
      span.className = "hl";
      if (aStart !== null && aStart >= s && aEnd <= e) {
        span.append(doc.text.slice(s, aStart));
        span.appendChild(el("mark", { class: "answer-span" }, doc.text.slice(aStart, aEnd)));
        span.append(doc.text.slice(aEnd, e));
      } else {
        span.textContent = doc.text.slice(s, e);
      }
      first = first || span;
    } else {
      span.textContent = doc.text.slice(s, e);
    }
    para.appendChild(span);
    prevEnd = e;
  }
  box.appendChild(para);
  if (first) first.scrollIntoView({ block: "center" });
  else box.scrollTop = 0;
}

function citationItem(c, answer) {
  const li = el("li");
  const open = el("button", { type: "button", class: "linklike" }, c.title || c.doc_id);
  open.addEventListener("click", () => openArticle(c.doc_id, c.start, c.end,
    answer && answer.start !== null ? answer.start : null, answer ? answer.end : null));
  li.appendChild(open);
  const meta = [c.source, c.published].filter(Boolean).join(" · ");
  if (meta) li.appendChild(el("div", { class: "meta" }, meta));
  if (c.url) li.appendChild(el("a", { href: c.url, rel: "noopener noreferrer" }, c.url));
  li.appendChild(el("blockquote", {}, c.quote));
  return li;
}

function passageItem(p) {
  const li = el("li");
  const open = el("button", { type: "button", class: "linklike" }, p.doc_id);
  getDocument(p.doc_id).then((d) => { open.textContent = d.title || d.doc_id; }).catch(() => {});
  open.addEventListener("click", () => openArticle(p.doc_id, p.start, p.end));
  li.appendChild(open);
  li.appendChild(el("blockquote", {}, p.text.length > 400 ? p.text.slice(0, 399) + "…" : p.text));
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

function show(body) {
  $("result").hidden = false;
  const list = $("citations");
  list.replaceChildren();
  if (body.answer === null) {
    $("answer").textContent = "The articles don't say.";
    $("answer").className = "answer abstain";
    $("confidence").textContent = "No passage supports an answer. The closest passages:";
    $("sources-heading").textContent = "Closest passages";
    body.passages.forEach((p) => list.appendChild(passageItem(p)));
    $("article").hidden = true;
    return;
  }
  $("answer").textContent = body.answer;
  $("answer").className = "answer";
  $("confidence").textContent = `${confidenceWords(body.confidence)} (${body.confidence.toFixed(2)})`;
  $("sources-heading").textContent = "Sources";
  const span = { start: body.answer_start, end: body.answer_end };
  body.citations.forEach((c, i) => list.appendChild(citationItem(c, i === 0 ? span : null)));
  const c = body.citations[0];
  openArticle(c.doc_id, c.start, c.end, body.answer_start, body.answer_end);
}

async function listDocuments() {
  const r = await fetch("/documents");
  if (!r.ok) {
    $("status").textContent = "The articles are still loading; reload in a moment.";
    return;
  }
  for (const d of await r.json()) {
    const li = el("li");
    const b = el("button", { type: "button", class: "linklike" }, d.title || d.doc_id);
    b.addEventListener("click", () => openArticle(d.doc_id));
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
