// Image regions: a stage (image + SVG overlay in image pixel coordinates), bounding boxes and
// polygons. Boxes: drag to draw, drag a box to move it, drag its corner to resize, arrows nudge
// (Shift = 10 px), a number relabels, Delete removes. Polygons: click to add points, click the
// first point or press Enter to close, Backspace drops the last point, Escape cancels.
import { h, s, colour } from "../dom.js";
import { bigEnough, dragBox, draftOutline, labelKey, labelLegend, regionItem, showActive, wireStage } from "./shared.js";

export function createImageStage(src, data, slot) {
  const img = h("img", { class: "stage-img", src, alt: "image to annotate", loading: "lazy", decoding: "async", draggable: "false" });
  const svg = s("svg", { class: "stage-svg", preserveAspectRatio: "none" });
  const wrap = h("div", { class: "stage" }, img, svg);
  slot.append(wrap);
  const stage = { wrap, svg, img, owner: null, width: Number(data.width) || 0, height: Number(data.height) || 0, listeners: [] };
  const setBox = wireStage(stage);
  stage.ready = new Promise((resolve) => {
    const done = () => {
      if (!stage.width || !stage.height) {
        stage.width = img.naturalWidth;
        stage.height = img.naturalHeight;
        setBox();
      }
      stage.listeners.forEach((f) => f());
      resolve();
    };
    if (img.complete && img.naturalWidth) done();
    else {
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", () => resolve(), { once: true });
    }
  });
  return stage;
}

function labelText(x, y, text, c, px = 1) {
  // Font size in image pixels that renders at ~13 screen pixels whatever the zoom.
  const size = 13 * px;
  return s("text", { x, y: Math.max(size, y - 3 * px), class: "region-label", fill: c, "font-size": size }, text);
}

export function createBoxes(control, ctx) {
  const stage = ctx.stage;
  const layer = s("g", { class: "layer", dataset: { control: control.name } });
  stage.svg.append(layer);
  let boxes = [];
  let active = 0;
  let selected = -1;
  let drag = null;
  const list = h("ul", { class: "region-list" });
  const legend = labelLegend(control, ctx, (i) => relabel(i));
  const el = h("div", { class: "boxes" }, legend, list);

  function clamp(b) {
    const W = stage.width || Infinity;
    const H = stage.height || Infinity;
    b.w = Math.min(Math.max(b.w, 0), W);
    b.h = Math.min(Math.max(b.h, 0), H);
    b.x = Math.min(Math.max(b.x, 0), W - b.w);
    b.y = Math.min(Math.max(b.y, 0), H - b.h);
    return b;
  }

  function render() {
    const px = stage.pxPerScreen();
    const nodes = boxes.map((b, i) => {
      const c = colour(control.labels.indexOf(b.label));
      const g = s("g", { class: "box" + (i === selected ? " selected" : ""), dataset: { box: i } });
      g.append(s("rect", { x: b.x, y: b.y, width: b.w, height: b.h, stroke: c, fill: c, "fill-opacity": 0.12, "vector-effect": "non-scaling-stroke", dataset: { box: i } }));
      g.append(labelText(b.x, b.y, b.label, c, px));
      if (i === selected && !ctx.readOnly) {
        const r = 6 * px;
        g.append(s("rect", { class: "handle", x: b.x + b.w - r, y: b.y + b.h - r, width: 2 * r, height: 2 * r, dataset: { handle: i } }));
      }
      return g;
    });
    if (drag && drag.mode === "draw") {
      nodes.push(draftOutline(dragBox(drag.x0, drag.y0, drag.x1, drag.y1)));
    }
    layer.replaceChildren(...nodes);
    list.replaceChildren(
      ...boxes.map((b, i) =>
        regionItem(
          control,
          ctx,
          { label: b.label, selected: i === selected, onSelect: () => { selected = i; render(); }, onRemove: () => remove(i) },
          ` ${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.w)}×${Math.round(b.h)}`,
        ),
      ),
    );
    showActive(legend, active);
  }

  function relabel(i) {
    if (ctx.readOnly) return;
    active = i;
    if (selected >= 0) {
      boxes[selected].label = control.labels[i];
      ctx.changed();
    }
    render();
  }

  function remove(i) {
    boxes.splice(i, 1);
    selected = -1;
    render();
    ctx.changed();
  }

  const handler = {
    down([x, y], e) {
      if (ctx.readOnly) return;
      const t = e.target;
      if (t.dataset && t.dataset.handle !== undefined) {
        drag = { mode: "resize", i: Number(t.dataset.handle) };
      } else if (t.dataset && t.dataset.box !== undefined) {
        const i = Number(t.dataset.box);
        selected = i;
        drag = { mode: "move", i, dx: x - boxes[i].x, dy: y - boxes[i].y, moved: false };
      } else {
        selected = -1;
        drag = { mode: "draw", x0: x, y0: y, x1: x, y1: y };
      }
      render();
    },
    move([x, y]) {
      if (!drag) return;
      if (drag.mode === "draw") {
        drag.x1 = x;
        drag.y1 = y;
      } else if (drag.mode === "move") {
        const b = boxes[drag.i];
        b.x = x - drag.dx;
        b.y = y - drag.dy;
        clamp(b);
        drag.moved = true;
      } else {
        const b = boxes[drag.i];
        b.w = Math.max(1, x - b.x);
        b.h = Math.max(1, y - b.y);
        clamp(b);
        drag.moved = true;
      }
      render();
    },
    up([x, y]) {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.mode === "draw") {
        const b = dragBox(d.x0, d.y0, x, y);
        if (bigEnough(b, stage)) {
          boxes.push(clamp({ ...b, label: control.labels[active] }));
          selected = boxes.length - 1;
          ctx.changed();
        }
      } else if (d.moved) ctx.changed();
      render();
    },
  };

  stage.listeners.push(render);
  render();
  return {
    el,
    get: () => (boxes.length ? boxes.map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, label: b.label })) : undefined),
    set(v) {
      boxes = Array.isArray(v) ? v.map((b) => ({ ...b })) : [];
      selected = -1;
      render();
    },
    activate(on) {
      if (on) stage.owner = handler;
    },
    key(e) {
      if (labelKey(e, control, relabel)) return true;
      if (selected >= 0 && e.key.startsWith("Arrow")) {
        const step = e.shiftKey ? 10 : 1;
        const b = boxes[selected];
        if (e.key === "ArrowLeft") b.x -= step;
        if (e.key === "ArrowRight") b.x += step;
        if (e.key === "ArrowUp") b.y -= step;
        if (e.key === "ArrowDown") b.y += step;
        clamp(b);
        render();
        ctx.changed();
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0) {
        remove(selected);
        return true;
      }
      if (e.key === "Escape" && selected >= 0) {
        selected = -1;
        render();
        return true;
      }
      return false;
    },
  };
}

export function createPolygons(control, ctx) {
  const stage = ctx.stage;
  const layer = s("g", { class: "layer", dataset: { control: control.name } });
  stage.svg.append(layer);
  let polys = [];
  let active = 0;
  let selected = -1;
  let drawing = null; // points of the polygon being drawn
  const list = h("ul", { class: "region-list" });
  const legend = labelLegend(control, ctx, (i) => {
    active = i;
    if (selected >= 0 && !ctx.readOnly) {
      polys[selected].label = control.labels[i];
      ctx.changed();
    }
    render();
  });
  const el = h("div", { class: "polygons" }, legend, list);

  function render() {
    const px = stage.pxPerScreen();
    const nodes = polys.map((p, i) => {
      const c = colour(control.labels.indexOf(p.label));
      const g = s("g", { class: "poly" + (i === selected ? " selected" : "") });
      g.append(s("polygon", { points: p.points.map((q) => q.join(",")).join(" "), stroke: c, fill: c, "fill-opacity": 0.15, "vector-effect": "non-scaling-stroke", dataset: { poly: i } }));
      g.append(labelText(p.points[0][0], p.points[0][1], p.label, c, px));
      return g;
    });
    if (drawing) {
      nodes.push(s("polyline", { class: "drawing", points: drawing.map((q) => q.join(",")).join(" "), "vector-effect": "non-scaling-stroke" }));
      drawing.forEach((q, j) => nodes.push(s("circle", { class: j === 0 ? "vertex first" : "vertex", cx: q[0], cy: q[1], r: 4 * px })));
    }
    layer.replaceChildren(...nodes);
    list.replaceChildren(
      ...polys.map((p, i) =>
        regionItem(
          control,
          ctx,
          { label: p.label, selected: i === selected, onSelect: () => { selected = i; render(); }, onRemove: () => remove(i) },
          ` ${p.points.length} points`,
        ),
      ),
    );
    showActive(legend, active);
  }

  function remove(i) {
    polys.splice(i, 1);
    selected = -1;
    render();
    ctx.changed();
  }

  function close() {
    if (drawing && drawing.length >= 3) {
      polys.push({ points: drawing, label: control.labels[active] });
      selected = polys.length - 1;
      ctx.changed();
    }
    drawing = null;
    render();
  }

  const handler = {
    down([x, y], e) {
      if (ctx.readOnly) return;
      if (!drawing && e.target.dataset && e.target.dataset.poly !== undefined) {
        selected = Number(e.target.dataset.poly);
        render();
        return;
      }
      if (!drawing) drawing = [];
      const near = 8 * stage.pxPerScreen();
      if (drawing.length >= 3 && Math.hypot(x - drawing[0][0], y - drawing[0][1]) <= near) return close();
      drawing.push([x, y]);
      selected = -1;
      render();
    },
    move() {},
    up() {},
  };
  stage.listeners.push(render);
  render();
  return {
    el,
    get: () => (polys.length ? polys.map((p) => ({ points: p.points.map((q) => [q[0], q[1]]), label: p.label })) : undefined),
    set(v) {
      polys = Array.isArray(v) ? v.map((p) => ({ points: p.points.map((q) => [...q]), label: p.label })) : [];
      selected = -1;
      drawing = null;
      render();
    },
    activate(on) {
      if (on) stage.owner = handler;
      else if (drawing) {
        drawing = null;
        render();
      }
    },
    key(e) {
      if (labelKey(e, control, (i) => legend.children[i].click())) return true;
      if (drawing && e.key === "Enter") {
        close();
        return true;
      }
      if (drawing && e.key === "Backspace") {
        drawing.pop();
        if (!drawing.length) drawing = null;
        render();
        return true;
      }
      if (e.key === "Escape" && (drawing || selected >= 0)) {
        drawing = null;
        selected = -1;
        render();
        return true;
      }
      if (e.key === "Delete" && selected >= 0) {
        remove(selected);
        return true;
      }
      return false;
    },
  };
}
