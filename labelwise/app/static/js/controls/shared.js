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

// Zoom and pan for a stage whose media and overlay sit in `zoomer` inside stage.wrap: a CSS
// transform. Adds the zoom bar under the stage, stage.key (+ - 0 zoom, Ctrl+arrows pan, h
// hides regions, Space is the pan modifier), Ctrl+wheel zoom, Space+drag / middle-drag pan.
export function addZoom(stage, zoomer) {
  const wrap = stage.wrap;
  const zoomLabel = h("span", { class: "zoom-level", text: "100%" });
  const bar = h(
    "div",
    { class: "zoom-bar" },
    h("button", { type: "button", class: "zoom-out", title: "zoom out (-)", onclick: () => zoomBy(1 / 1.25) }, "−"),
    zoomLabel,
    h("button", { type: "button", class: "zoom-in", title: "zoom in (+)", onclick: () => zoomBy(1.25) }, "+"),
    h("button", { type: "button", class: "zoom-fit", title: "fit (0)", onclick: () => setView(1, 0, 0) }, "fit"),
    h("span", { class: "muted", text: "Ctrl+wheel or + − 0 zoom · Space+drag, middle drag or Ctrl+arrows pan · h hides regions" }),
  );
  wrap.after(bar);
  // Zoom and pan: a CSS transform on the image and its overlay inside the fixed-size stage.
  let tx = 0;
  let ty = 0;
  function setView(z, x, y) {
    const W = wrap.clientWidth;
    const H = wrap.clientHeight;
    z = Math.max(1, Math.min(16, z));
    stage.zoom = z;
    tx = Math.min(0, Math.max(W * (1 - z), x));
    ty = Math.min(0, Math.max(H * (1 - z), y));
    zoomer.style.transform = `translate(${tx}px, ${ty}px) scale(${z})`;
    stage.svg.style.setProperty("--z", String(z)); // strokes stay as thin as at 100%
    wrap.classList.toggle("zoomed", z > 1);
    zoomLabel.textContent = `${Math.round(z * 100)}%`;
    stage.listeners.forEach((f) => f());
  }
  function zoomBy(f, cx = wrap.clientWidth / 2, cy = wrap.clientHeight / 2) {
    // Keep the point under (cx, cy) (stage pixels) where it is.
    const z = Math.max(1, Math.min(16, stage.zoom * f));
    const k = z / stage.zoom;
    setView(z, cx - (cx - tx) * k, cy - (cy - ty) * k);
  }
  stage.zoomBy = zoomBy;
  stage.setView = setView;
  stage.view = () => ({ zoom: stage.zoom, tx, ty });
  wrap.addEventListener(
    "wheel",
    (e) => {
      const r = wrap.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        zoomBy(Math.exp(-e.deltaY / 300), e.clientX - r.left, e.clientY - r.top);
      } else if (stage.zoom > 1) {
        e.preventDefault();
        setView(stage.zoom, tx - e.deltaX, ty - e.deltaY);
      }
    },
    { passive: false },
  );
  // Pan: hold Space and drag, or drag with the middle button.
  let space = false;
  let pan = null;
  stage.panning = () => space || !!pan;
  const onKey = (e) => {
    if (!wrap.isConnected && stage.shown) return stage.destroy(); // the task is gone
    if (e.key !== " " || (e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName))) return;
    space = e.type === "keydown";
    wrap.classList.toggle("space", space);
  };
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", onKey);
  wrap.addEventListener("pointerdown", (e) => {
    if (!(e.button === 1 || (e.button === 0 && space))) return;
    e.preventDefault();
    e.stopPropagation();
    wrap.setPointerCapture(e.pointerId);
    pan = { x: e.clientX, y: e.clientY, tx, ty };
    wrap.classList.add("panning");
  }, true);
  wrap.addEventListener("pointermove", (e) => {
    if (pan) setView(stage.zoom, pan.tx + e.clientX - pan.x, pan.ty + e.clientY - pan.y);
  });
  wrap.addEventListener("pointerup", () => {
    pan = null;
    wrap.classList.remove("panning");
  });
  stage.key = (e) => {
    if (e.altKey || e.metaKey) return false;
    if ((e.key === "+" || e.key === "=") && !e.ctrlKey) return zoomBy(1.25), true;
    if ((e.key === "-" || e.key === "_") && !e.ctrlKey) return zoomBy(1 / 1.25), true;
    if (e.key === "0" && !e.ctrlKey) return setView(1, 0, 0), true;
    if (e.ctrlKey && e.key.startsWith("Arrow") && stage.zoom > 1) {
      const step = 0.1 * wrap.clientWidth;
      const dx = e.key === "ArrowLeft" ? step : e.key === "ArrowRight" ? -step : 0;
      const dy = e.key === "ArrowUp" ? step : e.key === "ArrowDown" ? -step : 0;
      setView(stage.zoom, tx + dx, ty + dy);
      return true;
    }
    if (e.key === "h" && !e.ctrlKey) return stage.toggleRegions(), true;
    if (e.key === " ") return true; // Space is the pan modifier here, not a page scroll
    return false;
  };
  stage.destroy = () => {
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("keyup", onKey);
  };

  requestAnimationFrame(() => (stage.shown = wrap.isConnected));
}
