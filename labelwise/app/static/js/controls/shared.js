// What the labelling controls share: the legend of label buttons, number keys for labels, the
// list of drawn regions, and the stage that maps pointer drags on an SVG overlay to media pixels.
import { h, s, colour } from "../dom.js";

// The row of label buttons (with their number key); onPick(i) when one is clicked.
export function labelLegend(control, ctx, onPick) {
  return h(
    "div",
    { class: "labels" },
    control.labels.map((label, i) =>
      h(
        "button",
        { type: "button", class: "label-pill", style: { "--c": colour(i) }, disabled: ctx.readOnly, onclick: () => onPick(i) },
        h("kbd", { text: i < 9 ? String(i + 1) : "" }),
        h("span", { text: label }),
      ),
    ),
  );
}

// Mark the legend button of the active label.
export function showActive(legend, active) {
  legend.querySelectorAll(".label-pill").forEach((b, i) => b.classList.toggle("on", i === active));
}

// Keys 1-9 choose a label: onPick(i) for a label that exists. True when the key was one of them.
export function labelKey(e, control, onPick) {
  if (!/^[1-9]$/.test(e.key) || e.ctrlKey || e.altKey || e.metaKey) return false;
  const i = Number(e.key) - 1;
  if (i < control.labels.length) onPick(i);
  return true;
}

// One row of a region list: swatch in the label's colour, the name (default: the label), the
// details, and a remove button unless the task is read-only.
export function regionItem(control, ctx, { label, name = label, selected, onSelect, onRemove }, ...details) {
  return h(
    "li",
    { class: selected ? "selected" : "", onclick: onSelect },
    h("span", { class: "swatch", style: { background: colour(control.labels.indexOf(label)) } }),
    h("b", { text: name }),
    ...details,
    ctx.readOnly
      ? null
      : h("button", { type: "button", class: "x", title: "remove", onclick: (e) => { e.stopPropagation(); onRemove(); } }, "×"),
  );
}

// Give a stage ({ wrap, svg, width, height }) an overlay in media pixels: toImage(event) -> [x, y]
// clamped to the media, pxPerScreen(), and pointer drags handed to stage.owner.down/move/up.
// Returns setBox, to call again once the media's size is known.
export function wireStage(stage) {
  const { svg, wrap } = stage;
  const setBox = () => {
    if (stage.width && stage.height) {
      svg.setAttribute("viewBox", `0 0 ${stage.width} ${stage.height}`);
      wrap.style.aspectRatio = `${stage.width} / ${stage.height}`;
    }
  };
  setBox();
  stage.toImage = (evt) => {
    // The overlay's on-screen box (zoom and pan included) maps linearly onto the media.
    const r = svg.getBoundingClientRect();
    if (!r.width || !r.height) return [0, 0];
    const x = ((evt.clientX - r.left) / r.width) * stage.width;
    const y = ((evt.clientY - r.top) / r.height) * stage.height;
    return [Math.max(0, Math.min(stage.width, x)), Math.max(0, Math.min(stage.height, y))];
  };
  stage.pxPerScreen = () => {
    const r = svg.getBoundingClientRect();
    return r.width ? stage.width / r.width : 1;
  };
  // "h" hides and shows the drawn regions, to see the media underneath.
  stage.toggleRegions = () => svg.classList.toggle("regions-hidden");
  let dragging = false;
  svg.addEventListener("pointerdown", (e) => {
    if (!stage.owner || e.button !== 0 || stage.panning?.()) return;
    e.preventDefault();
    dragging = true;
    svg.setPointerCapture(e.pointerId);
    stage.owner.down(stage.toImage(e), e);
  });
  svg.addEventListener("pointermove", (e) => {
    if (dragging && stage.owner) stage.owner.move(stage.toImage(e), e);
  });
  svg.addEventListener("pointerup", (e) => {
    if (!dragging) return;
    dragging = false;
    if (stage.owner) stage.owner.up(stage.toImage(e), e);
  });
  return setBox;
}

// The box ({ x, y, w, h }) spanned by a drag from (x0, y0) to (x1, y1).
export function dragBox(x0, y0, x1, y1) {
  return { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
}

// The outline of a box while it is being drawn.
export function draftOutline(b) {
  return s("rect", { class: "drawing", x: b.x, y: b.y, width: b.w, height: b.h, "vector-effect": "non-scaling-stroke" });
}

// Whether a drawn box is worth keeping: at least 3 screen pixels each way (less is a click).
export function bigEnough(b, stage) {
  const min = 3 * stage.pxPerScreen();
  return b.w >= min && b.h >= min;
}
