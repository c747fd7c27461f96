// Tiny DOM helpers. User content only ever goes in via textContent / attributes, never innerHTML.
const SVG_NS = "http://www.w3.org/2000/svg";

function put(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") {
      // CSS custom properties ("--c") only take through setProperty, not Object.assign.
      for (const [name, val] of Object.entries(v)) {
        if (name.startsWith("--")) el.style.setProperty(name, val);
        else el.style[name] = val;
      }
    }
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function add(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  put(el, attrs);
  add(el, children);
  return el;
}

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  put(el, attrs);
  add(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Toasts stack at the top centre under the bar, away from the action buttons at the bottom of
// the page. A repeated message refreshes its toast instead of stacking a copy; at most three
// show at once (the oldest goes first).
const MAX_TOASTS = 3;
export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  for (const old of box.children) {
    if (old.textContent === message && old.dataset.kind === kind) {
      clearTimeout(Number(old.dataset.timer));
      old.dataset.timer = String(setTimeout(() => old.remove(), kind === "error" ? 6000 : 2500));
      return;
    }
  }
  const item = h("div", { class: `toast ${kind}`, text: message, role: kind === "error" ? "alert" : "status", dataset: { kind } });
  box.append(item);
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove();
  item.dataset.timer = String(setTimeout(() => item.remove(), kind === "error" ? 6000 : 2500));
}

// Distinct colours for labels, by index.
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f"];
export function colour(i) {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export function isTyping(e) {
  const t = e.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

export function fmt(n, digits = 2) {
  return n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toFixed(digits);
}
