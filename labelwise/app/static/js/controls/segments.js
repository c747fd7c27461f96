// Audio (or video) segments: drag on the timeline, or press "[" then "]" while listening to mark
// start and end at the playhead. A number sets or changes the label; "p" plays/pauses; click a
// segment to select it and hear it; Delete removes it. With transcription on, each segment has a text box.
import { h, colour } from "../dom.js";
import { labelKey, labelLegend, regionItem, showActive } from "./shared.js";

export function createSegments(control, ctx) {
  const media = ctx.media;
  let segs = [];
  let active = 0;
  let selected = -1;
  let markStart = null;
  let drag = null;
  const duration = () => Number(ctx.task.data.duration) || (Number.isFinite(media.duration) ? media.duration : 0);
  const bar = h("div", { class: "timeline", title: "drag to mark a segment" });
  const head = h("div", { class: "playhead" });
  const list = h("ul", { class: "region-list" });
  const legend = labelLegend(control, ctx, (i) => relabel(i));
  const el = h("div", { class: "segments" }, legend, list);
  ctx.objectSlot.append(bar);

  function relabel(i) {
    active = i;
    if (selected >= 0 && !ctx.readOnly) {
      segs[selected].label = control.labels[i];
      ctx.changed();
    }
    render();
  }

  function timeAt(evt) {
    const r = bar.getBoundingClientRect();
    const d = duration();
    return Math.max(0, Math.min(d, ((evt.clientX - r.left) / Math.max(r.width, 1)) * d));
  }

  function render() {
    const d = duration() || 1;
    const blocks = segs.map((sg, i) =>
      h("div", {
        class: "seg-block" + (i === selected ? " selected" : ""),
        dataset: { seg: i },
        title: `${sg.label} ${sg.start.toFixed(2)}–${sg.end.toFixed(2)} s`,
        style: { left: `${(100 * sg.start) / d}%`, width: `${(100 * (sg.end - sg.start)) / d}%`, background: colour(control.labels.indexOf(sg.label)) },
      }),
    );
    if (drag) {
      const a = Math.min(drag.t0, drag.t1);
      const b = Math.max(drag.t0, drag.t1);
      blocks.push(h("div", { class: "seg-block drawing", style: { left: `${(100 * a) / d}%`, width: `${(100 * (b - a)) / d}%` } }));
    }
    if (markStart !== null) blocks.push(h("div", { class: "mark-start", style: { left: `${(100 * markStart) / d}%` } }));
    head.style.left = `${(100 * (media.currentTime || 0)) / d}%`;
    bar.replaceChildren(...blocks, head);
    list.replaceChildren(
      ...segs.map((sg, i) =>
        regionItem(
          control,
          ctx,
          { label: sg.label, selected: i === selected, onSelect: () => select(i), onRemove: () => remove(i) },
          ` ${sg.start.toFixed(2)}–${sg.end.toFixed(2)} s `,
          control.transcription
            ? h("input", {
                class: "seg-text",
                value: sg.text || "",
                placeholder: "transcription",
                disabled: ctx.readOnly,
                onclick: (e) => e.stopPropagation(),
                onchange: (e) => { sg.text = e.target.value; ctx.changed(); },
              })
            : null,
        ),
      ),
    );
    showActive(legend, active);
  }

  function remove(i) {
    segs.splice(i, 1);
    selected = -1;
    render();
    ctx.changed();
  }

  function select(i) {
    selected = i;
    media.currentTime = segs[i].start;
    render();
  }

  function addSeg(a, b) {
    const start = Math.min(a, b);
    const end = Math.max(a, b);
    if (end - start < 0.01) return;
    segs.push({ start: +start.toFixed(3), end: +end.toFixed(3), label: control.labels[active] });
    segs.sort((x, y) => x.start - y.start);
    selected = segs.findIndex((sg) => sg.start === +start.toFixed(3));
    ctx.changed();
  }

  bar.addEventListener("pointerdown", (e) => {
    if (ctx.readOnly || e.button !== 0) return;
    const blk = e.target.closest(".seg-block");
    if (blk && blk.dataset.seg !== undefined) return select(Number(blk.dataset.seg));
    bar.setPointerCapture(e.pointerId);
    drag = { t0: timeAt(e), t1: timeAt(e) };
    render();
  });
  bar.addEventListener("pointermove", (e) => {
    if (drag) {
      drag.t1 = timeAt(e);
      render();
    }
  });
  bar.addEventListener("pointerup", (e) => {
    if (!drag) return;
    drag.t1 = timeAt(e);
    const d = drag;
    drag = null;
    if (Math.abs(d.t1 - d.t0) < 0.01 * Math.max(duration(), 1)) media.currentTime = d.t0;
    else addSeg(d.t0, d.t1);
    render();
  });
  media.addEventListener("timeupdate", render);
  media.addEventListener("loadedmetadata", render);

  render();
  return {
    el,
    get: () =>
      segs.length
        ? segs.map((sg) => {
            const out = { start: sg.start, end: sg.end, label: sg.label };
            if (control.transcription && sg.text) out.text = sg.text;
            return out;
          })
        : undefined,
    set(v) {
      segs = Array.isArray(v) ? v.map((sg) => ({ ...sg })) : [];
      selected = -1;
      render();
    },
    key(e) {
      if (labelKey(e, control, relabel)) return true;
      if (e.key === "[") {
        markStart = media.currentTime || 0;
        render();
        return true;
      }
      if (e.key === "]" && markStart !== null) {
        addSeg(markStart, media.currentTime || 0);
        markStart = null;
        render();
        return true;
      }
      if (e.key === "p") {
        if (media.paused) media.play().catch(() => {});
        else media.pause();
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0) {
        remove(selected);
        return true;
      }
      return false;
    },
  };
}
