// Image regions: a stage (image + SVG overlay in image pixel coordinates, zoom and pan), bounding
// boxes and polygons. Boxes: drag to draw, drag a box to move it, drag one of its 8 handles to
// resize, arrows nudge (Shift = 10 px), Alt+arrows resize, a number relabels, Delete removes.
// Polygons: click to add points, click the first point or press Enter to close, Backspace drops
// the last point, Escape cancels. A selected polygon shows its vertices: drag one to move it,
// drag an edge's midpoint to add one, Alt+click (or [ ] then Delete) removes one; arrows nudge
// the selected vertex, or the whole polygon when no vertex is selected; drag inside to move it.
import { h, s, colour } from "../dom.js";
import { addZoom, bigEnough, dragBox, draftOutline, labelKey, labelLegend, regionItem, showActive, wireStage } from "./shared.js";

export function createImageStage(src, data, slot) {
  const img = h("img", { class: "stage-img", src, alt: "image to annotate", decoding: "async", draggable: "false" });
  const svg = s("svg", { class: "stage-svg", preserveAspectRatio: "none" });
  const zoomer = h("div", { class: "zoomer" }, img, svg);
  const wrap = h("div", { class: "stage", tabindex: "-1" }, zoomer);
  slot.append(wrap);
  const stage = { wrap, svg, img, owner: null, width: Number(data.width) || 0, height: Number(data.height) || 0, listeners: [], zoom: 1 };
  if (!stage.width) wrap.style.aspectRatio = "4 / 3";
  const setBox = wireStage(stage);
  addZoom(stage, zoomer);
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

// Box handles: [direction, x fraction, y fraction].
const HANDLES = [["nw", 0, 0], ["n", 0.5, 0], ["ne", 1, 0], ["e", 1, 0.5], ["se", 1, 1], ["s", 0.5, 1], ["sw", 0, 1], ["w", 0, 0.5]];

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
        // Eight handles: corners and edge midpoints.
        const r = 5 * px;
        for (const [dir, hx, hy] of HANDLES) {
          g.append(s("rect", { class: `handle ${dir}`, x: b.x + hx * b.w - r, y: b.y + hy * b.h - r, width: 2 * r, height: 2 * r, dataset: { handle: i, dir } }));
        }
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
        drag = { mode: "resize", i: Number(t.dataset.handle), dir: t.dataset.dir, from: { ...boxes[Number(t.dataset.handle)] } };
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
        // The handle's edges follow the pointer, the opposite edges stay (dragging past them flips).
        const f = drag.from;
        const x0 = drag.dir.includes("w") ? x : f.x;
        const x1 = drag.dir.includes("e") ? x : f.x + f.w;
        const y0 = drag.dir.includes("n") ? y : f.y;
        const y1 = drag.dir.includes("s") ? y : f.y + f.h;
        const nb = dragBox(x0, y0, x1, y1);
        Object.assign(boxes[drag.i], { x: nb.x, y: nb.y, w: Math.max(1, nb.w), h: Math.max(1, nb.h) });
        clamp(boxes[drag.i]);
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
      if ((e.key === "," || e.key === ".") && boxes.length) {
        const n = boxes.length;
        selected = selected < 0 ? (e.key === "." ? 0 : n - 1) : (selected + (e.key === "." ? 1 : -1) + n) % n;
        render();
        return true;
      }
      if (selected >= 0 && e.key.startsWith("Arrow") && !e.ctrlKey && !e.metaKey) {
        const step = e.shiftKey ? 10 : 1;
        const b = boxes[selected];
        if (e.altKey) {
          // Alt+arrows resize: move the right / bottom edge.
          if (e.key === "ArrowLeft") b.w = Math.max(1, b.w - step);
          if (e.key === "ArrowRight") b.w += step;
          if (e.key === "ArrowUp") b.h = Math.max(1, b.h - step);
          if (e.key === "ArrowDown") b.h += step;
        } else {
          if (e.key === "ArrowLeft") b.x -= step;
          if (e.key === "ArrowRight") b.x += step;
          if (e.key === "ArrowUp") b.y -= step;
          if (e.key === "ArrowDown") b.y += step;
        }
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
  let vertex = -1; // selected vertex of the selected polygon
  let drag = null; // { mode: "vertex" | "move", ... } while editing with the mouse
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
      if (i === selected && !ctx.readOnly && !drawing) {
        // Edit handles: drag a vertex to move it, drag an edge's midpoint to add one.
        p.points.forEach((q, j) => {
          const n = p.points[(j + 1) % p.points.length];
          g.append(s("circle", { class: "midpoint", cx: (q[0] + n[0]) / 2, cy: (q[1] + n[1]) / 2, r: 3.5 * px, dataset: { poly: i, mid: j } }));
        });
        p.points.forEach((q, j) => {
          g.append(s("circle", { class: "vertex edit" + (j === vertex ? " selected" : ""), cx: q[0], cy: q[1], r: 5 * px, dataset: { poly: i, vertex: j } }));
        });
      }
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
          { label: p.label, selected: i === selected, onSelect: () => { if (i !== selected) vertex = -1; selected = i; render(); }, onRemove: () => remove(i) },
          ` ${p.points.length} points`,
        ),
      ),
    );
    showActive(legend, active);
  }

  function remove(i) {
    polys.splice(i, 1);
    selected = -1;
    vertex = -1;
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
      const d = e.target.dataset || {};
      if (!drawing && d.poly !== undefined) {
        const i = Number(d.poly);
        if (d.vertex !== undefined && i === selected) {
          const j = Number(d.vertex);
          if (e.altKey || e.shiftKey) return removeVertex(j); // Alt/Shift+click deletes a vertex
          vertex = j;
          drag = { mode: "vertex", moved: false };
        } else if (d.mid !== undefined && i === selected) {
          vertex = Number(d.mid) + 1;
          polys[i].points.splice(vertex, 0, [x, y]);
          drag = { mode: "vertex", moved: true };
        } else {
          if (i !== selected) vertex = -1;
          selected = i;
          drag = { mode: "move", x0: x, y0: y, from: polys[i].points.map((q) => [...q]), moved: false };
        }
        render();
        return;
      }
      if (!drawing) drawing = [];
      const near = 8 * stage.pxPerScreen();
      if (drawing.length >= 3 && Math.hypot(x - drawing[0][0], y - drawing[0][1]) <= near) return close();
      drawing.push([x, y]);
      selected = -1;
      vertex = -1;
      render();
    },
    move([x, y]) {
      if (!drag || selected < 0) return;
      const p = polys[selected];
      if (drag.mode === "vertex") p.points[vertex] = [x, y];
      else {
        const W = stage.width;
        const H = stage.height;
        const xs = drag.from.map((q) => q[0]);
        const ys = drag.from.map((q) => q[1]);
        const dx = Math.max(-Math.min(...xs), Math.min(W - Math.max(...xs), x - drag.x0));
        const dy = Math.max(-Math.min(...ys), Math.min(H - Math.max(...ys), y - drag.y0));
        p.points = drag.from.map((q) => [q[0] + dx, q[1] + dy]);
      }
      drag.moved = true;
      render();
    },
    up() {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      if (moved) ctx.changed();
      render();
    },
  };

  function removeVertex(j) {
    const p = polys[selected];
    if (!p || p.points.length <= 3) return;
    p.points.splice(j, 1);
    vertex = Math.min(j, p.points.length - 1);
    render();
    ctx.changed();
  }

  function nudge(dx, dy) {
    const p = polys[selected];
    const pts = vertex >= 0 ? [p.points[vertex]] : p.points;
    const xs = pts.map((q) => q[0]);
    const ys = pts.map((q) => q[1]);
    dx = Math.max(-Math.min(...xs), Math.min(stage.width - Math.max(...xs), dx));
    dy = Math.max(-Math.min(...ys), Math.min(stage.height - Math.max(...ys), dy));
    pts.forEach((q) => {
      q[0] += dx;
      q[1] += dy;
    });
    render();
    ctx.changed();
  }
  stage.listeners.push(render);
  render();
  return {
    el,
    get: () => (polys.length ? polys.map((p) => ({ points: p.points.map((q) => [q[0], q[1]]), label: p.label })) : undefined),
    set(v) {
      polys = Array.isArray(v) ? v.map((p) => ({ points: p.points.map((q) => [...q]), label: p.label })) : [];
      selected = -1;
      vertex = -1;
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
      if (!drawing && (e.key === "," || e.key === ".") && polys.length) {
        const n = polys.length;
        selected = selected < 0 ? (e.key === "." ? 0 : n - 1) : (selected + (e.key === "." ? 1 : -1) + n) % n;
        vertex = -1;
        render();
        return true;
      }
      if (!drawing && selected >= 0 && (e.key === "[" || e.key === "]")) {
        // Walk through the selected polygon's vertices.
        const n = polys[selected].points.length;
        vertex = vertex < 0 ? (e.key === "]" ? 0 : n - 1) : (vertex + (e.key === "]" ? 1 : -1) + n) % n;
        render();
        return true;
      }
      if (!drawing && selected >= 0 && e.key.startsWith("Arrow") && !e.ctrlKey && !e.metaKey && !e.altKey) {
        const step = e.shiftKey ? 10 : 1;
        nudge(e.key === "ArrowLeft" ? -step : e.key === "ArrowRight" ? step : 0, e.key === "ArrowUp" ? -step : e.key === "ArrowDown" ? step : 0);
        return true;
      }
      if (e.key === "Escape" && vertex >= 0 && !drawing) {
        vertex = -1;
        render();
        return true;
      }
      if (e.key === "Escape" && (drawing || selected >= 0)) {
        drawing = null;
        selected = -1;
        render();
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0 && vertex >= 0) {
        removeVertex(vertex);
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
