// Text spans (NER). Select text with the mouse then press a number (or click a label), or use
// the keyboard: "," / "." move the token cursor, "<" / ">" grow the selection, a number labels it.
// A new span stays selected: ← → move its end by a token, Shift+← → its start, or drag the
// handles at its ends; Escape lets go. Click a span to select it (clicking again walks through
// overlapping spans); Delete removes it. Overlapping spans each get an underline and a tag.
import { h, colour } from "../dom.js";
import { labelKey, labelLegend, regionItem, showActive } from "./shared.js";

function tokens(text) {
  const out = [];
  const re = /\S+/g;
  let m;
  while ((m = re.exec(text))) out.push([m.index, m.index + m[0].length]);
  return out;
}

export function createSpans(control, ctx) {
  const text = String(ctx.task.data[ctx.config.object.field] ?? "");
  const toks = tokens(text);
  let spans = [];
  let active = 0; // current label
  let selected = -1; // selected span index
  let cursor = toks.length ? 0 : -1; // token cursor
  let anchor = -1; // start token of a keyboard selection
  const view = h("div", { class: "text-view", dataset: { control: control.name } });
  const legend = labelLegend(control, ctx, (i) => labelSelection(i));
  const list = h("ul", { class: "region-list" });
  const el = h("div", { class: "spans" }, legend, list);
  ctx.objectSlot.append(view);

  function kbdRange() {
    if (cursor < 0) return null;
    const a = anchor < 0 ? cursor : Math.min(anchor, cursor);
    const b = anchor < 0 ? cursor : Math.max(anchor, cursor);
    return [toks[a][0], toks[b][1]];
  }

  function render() {
    const cuts = new Set([0, text.length]);
    spans.forEach((sp) => {
      cuts.add(sp.start);
      cuts.add(sp.end);
    });
    const kr = ctx.readOnly ? null : kbdRange();
    if (kr) {
      cuts.add(kr[0]);
      cuts.add(kr[1]);
    }
    const points = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);
    const parts = [];
    const sel = selected >= 0 && !ctx.readOnly ? spans[selected] : null;
    for (let i = 0; i < points.length - 1; i++) {
      const a = points[i];
      const b = points[i + 1];
      if (sel && a === sel.start) parts.push(h("span", { class: "span-handle", dataset: { edge: "start", start: a }, title: "drag to move the start (Shift+← →)" }));
      const seg = h("span", { class: "seg", dataset: { start: a } }, text.slice(a, b));
      // Every span covering this piece, innermost (shortest) first: each gets its own underline.
      const covering = spans
        .map((sp, j) => [sp, j])
        .filter(([sp]) => sp.start <= a && sp.end >= b)
        .sort(([x], [y]) => x.end - x.start - (y.end - y.start));
      if (covering.length) {
        const [sp, j] = covering[0];
        seg.classList.add("mark");
        seg.style.setProperty("--c", colour(control.labels.indexOf(sp.label)));
        seg.style.setProperty("--lines", covering.map(([o], k) => `inset 0 -${2 * (k + 1)}px 0 0 ${colour(control.labels.indexOf(o.label))}`).join(", "));
        seg.style.setProperty("--pad", `${2 * covering.length}px`);
        const mine = covering.find(([, k]) => k === selected);
        seg.dataset.span = String(mine ? mine[1] : j);
        seg.dataset.spans = covering.map(([, k]) => k).join(" ");
        seg.dataset.labels = covering.map(([o]) => o.label).join(" ");
        if (mine) seg.classList.add("selected");
        seg.title = covering.map(([o]) => o.label).join(" + ");
      }
      if (kr && a >= kr[0] && b <= kr[1]) seg.classList.add("cursor");
      parts.push(seg);
      // A small tag in the label's colour after each span that ends here.
      for (const [o] of covering.filter(([o]) => o.end === b).reverse()) {
        const tag = h("span", { class: "tag", "aria-hidden": "true", dataset: { start: b } }, o.label);
        tag.style.setProperty("--c", colour(control.labels.indexOf(o.label)));
        parts.push(tag);
      }
      if (sel && b === sel.end) parts.push(h("span", { class: "span-handle", dataset: { edge: "end", start: b }, title: "drag to move the end (← →)" }));
    }
    view.replaceChildren(...parts);
    list.replaceChildren(
      ...spans.map((sp, j) =>
        regionItem(
          control,
          ctx,
          { label: sp.label, selected: j === selected, onSelect: () => select(j), onRemove: () => remove(j) },
          " ",
          h("q", { text: text.slice(sp.start, sp.end) }),
        ),
      ),
    );
    showActive(legend, active);
  }

  // Move one edge of the selected span to a token boundary near character offset pos.
  function moveEdge(edge, pos) {
    const sp = spans[selected];
    if (!sp) return false;
    if (edge === "start") {
      const cands = toks.filter(([a]) => a < sp.end);
      if (!cands.length) return false;
      const best = cands.reduce((p, q) => (Math.abs(q[0] - pos) < Math.abs(p[0] - pos) ? q : p));
      if (best[0] === sp.start) return false;
      sp.start = best[0];
    } else {
      const cands = toks.filter(([, b]) => b > sp.start);
      if (!cands.length) return false;
      const best = cands.reduce((p, q) => (Math.abs(q[1] - pos) < Math.abs(p[1] - pos) ? q : p));
      if (best[1] === sp.end) return false;
      sp.end = best[1];
    }
    return true;
  }

  // Step an edge of the selected span by one token (dir -1 or +1).
  function stepEdge(edge, dir) {
    const sp = spans[selected];
    if (!sp) return false;
    if (edge === "end") {
      const i = toks.findIndex(([, b]) => b >= sp.end);
      const k = Math.max(0, Math.min(toks.length - 1, i + dir));
      if (toks[k][1] <= sp.start || toks[k][1] === sp.end) return false;
      sp.end = toks[k][1];
    } else {
      let i = toks.findIndex(([a, b]) => a <= sp.start && sp.start < b);
      if (i < 0) i = toks.findIndex(([a]) => a >= sp.start);
      const k = Math.max(0, Math.min(toks.length - 1, i + dir));
      if (toks[k][0] >= sp.end || toks[k][0] === sp.start) return false;
      sp.start = toks[k][0];
    }
    return true;
  }

  function resorted() {
    const keep = spans[selected];
    spans.sort((x, y) => x.start - y.start || y.end - x.end);
    selected = spans.indexOf(keep);
  }

  let edgeDrag = null;
  view.addEventListener("pointerdown", (e) => {
    const hd = e.target.closest(".span-handle");
    if (!hd || ctx.readOnly || e.button !== 0) return;
    e.preventDefault();
    view.setPointerCapture(e.pointerId);
    edgeDrag = { edge: hd.dataset.edge, moved: false };
  });
  view.addEventListener("pointermove", (e) => {
    if (!edgeDrag) return;
    const r = document.caretRangeFromPoint ? document.caretRangeFromPoint(e.clientX, e.clientY) : null;
    if (!r) return;
    const pos = offsetOf(r.startContainer, r.startOffset);
    if (pos === null || Number.isNaN(pos)) return;
    if (moveEdge(edgeDrag.edge, pos)) {
      edgeDrag.moved = true;
      render();
    }
  });
  view.addEventListener("pointerup", () => {
    if (!edgeDrag) return;
    const d = edgeDrag;
    edgeDrag = null;
    if (d.moved) {
      resorted();
      render();
      ctx.changed();
    }
  });

  function select(j) {
    selected = selected === j ? -1 : j;
    render();
  }

  function remove(j) {
    spans.splice(j, 1);
    selected = -1;
    render();
    ctx.changed();
  }

  function offsetOf(node, off) {
    // Map a DOM selection point to a character offset in the text.
    let el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    if (el && el.classList && (el.classList.contains("tag") || el.classList.contains("span-handle"))) return Number(el.dataset.start);
    if (!el || !el.dataset || el.dataset.start === undefined) {
      if (el === view) {
        const child = view.childNodes[off];
        return child ? Number(child.dataset.start) : text.length;
      }
      return null;
    }
    return Number(el.dataset.start) + (node.nodeType === Node.TEXT_NODE ? off : 0);
  }

  function mouseRange() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !view.contains(sel.anchorNode) || !view.contains(sel.focusNode)) return null;
    let a = offsetOf(sel.anchorNode, sel.anchorOffset);
    let b = offsetOf(sel.focusNode, sel.focusOffset);
    if (a === null || b === null) return null;
    if (a > b) [a, b] = [b, a];
    while (a < b && /\s/.test(text[a])) a++;
    while (b > a && /\s/.test(text[b - 1])) b--;
    return a < b ? [a, b] : null;
  }

  function add(range, i) {
    const [start, end] = range;
    if (spans.some((sp) => sp.start === start && sp.end === end && sp.label === control.labels[i])) return;
    const added = { start, end, label: control.labels[i] };
    spans.push(added);
    spans.sort((x, y) => x.start - y.start || y.end - x.end);
    selected = spans.indexOf(added); // selected: arrows adjust its edges, Escape lets go
    window.getSelection()?.removeAllRanges();
    anchor = -1;
    render();
    ctx.changed();
  }

  function labelSelection(i) {
    if (ctx.readOnly) return;
    active = i;
    const r = mouseRange();
    if (r) return add(r, i);
    if (anchor >= 0) return add(kbdRange(), i);
    if (selected >= 0) {
      spans[selected].label = control.labels[i];
      render();
      ctx.changed();
      return;
    }
    render();
  }

  view.addEventListener("mouseup", () => {
    if (ctx.readOnly) return;
    const r = mouseRange();
    if (r) view.classList.add("has-selection");
    else view.classList.remove("has-selection");
  });
  view.addEventListener("click", (e) => {
    const seg = e.target.closest(".seg");
    if (!seg || seg.dataset.span === undefined || !window.getSelection().isCollapsed) return;
    // Overlapping spans: each click selects the next one covering this piece.
    const under = seg.dataset.spans.split(" ").map(Number);
    const at = under.indexOf(selected);
    selected = -1;
    select(at >= 0 && at < under.length - 1 ? under[at + 1] : at >= 0 ? -1 : under[0]);
  });

  render();
  return {
    el,
    get: () => (spans.length ? spans.map((sp) => ({ start: sp.start, end: sp.end, label: sp.label })) : undefined),
    set(v) {
      spans = Array.isArray(v) ? v.map((sp) => ({ start: sp.start, end: sp.end, label: sp.label })) : [];
      selected = -1;
      render();
    },
    key(e) {
      if (labelKey(e, control, labelSelection)) return true;
      if ((e.key === "," || e.key === ".") && cursor >= 0) {
        anchor = -1;
        selected = -1;
        cursor = Math.max(0, Math.min(toks.length - 1, cursor + (e.key === "." ? 1 : -1)));
        render();
        return true;
      }
      if ((e.key === "<" || e.key === ">") && cursor >= 0) {
        if (anchor < 0) anchor = cursor;
        selected = -1;
        cursor = Math.max(0, Math.min(toks.length - 1, cursor + (e.key === ">" ? 1 : -1)));
        render();
        return true;
      }
      if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && selected >= 0 && !ctx.readOnly && !e.altKey && !e.ctrlKey && !e.metaKey) {
        if (stepEdge(e.shiftKey ? "start" : "end", e.key === "ArrowRight" ? 1 : -1)) {
          resorted();
          render();
          ctx.changed();
        }
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0) {
        remove(selected);
        return true;
      }
      if (e.key === "Escape" && (selected >= 0 || anchor >= 0)) {
        selected = -1;
        anchor = -1;
        render();
        return true;
      }
      return false;
    },
  };
}
