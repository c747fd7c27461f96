// Text spans (NER). Select text with the mouse then press a number (or click a label), or use
// the keyboard: "," / "." move the token cursor, "<" / ">" grow the selection, a number labels it.
// Click a span to select it; Delete removes it.
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
    for (let i = 0; i < points.length - 1; i++) {
      const a = points[i];
      const b = points[i + 1];
      const seg = h("span", { class: "seg", dataset: { start: a } }, text.slice(a, b));
      const covering = spans.map((sp, j) => [sp, j]).filter(([sp]) => sp.start <= a && sp.end >= b);
      if (covering.length) {
        const [sp, j] = covering[covering.length - 1];
        const li = control.labels.indexOf(sp.label);
        seg.classList.add("mark");
        seg.style.setProperty("--c", colour(li));
        seg.dataset.span = String(j);
        if (j === selected) seg.classList.add("selected");
        seg.title = sp.label;
      }
      if (kr && a >= kr[0] && b <= kr[1]) seg.classList.add("cursor");
      parts.push(seg);
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
    spans.push({ start, end, label: control.labels[i] });
    spans.sort((x, y) => x.start - y.start || y.end - x.end);
    selected = -1;
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
    if (selected >= 0) {
      spans[selected].label = control.labels[i];
      render();
      ctx.changed();
      return;
    }
    if (anchor >= 0) return add(kbdRange(), i);
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
    if (seg && seg.dataset.span !== undefined && window.getSelection().isCollapsed) select(Number(seg.dataset.span));
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
        cursor = Math.max(0, Math.min(toks.length - 1, cursor + (e.key === "." ? 1 : -1)));
        render();
        return true;
      }
      if ((e.key === "<" || e.key === ">") && cursor >= 0) {
        if (anchor < 0) anchor = cursor;
        cursor = Math.max(0, Math.min(toks.length - 1, cursor + (e.key === ">" ? 1 : -1)));
        render();
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0) {
        remove(selected);
        return true;
      }
      if (e.key === "Escape") {
        selected = -1;
        anchor = -1;
        render();
        return true;
      }
      return false;
    },
  };
}
