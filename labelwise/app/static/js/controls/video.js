// Video boxes on keyframes, linearly interpolated between them (solid = keyframe, dashed =
// interpolated). Drag on the frame to start a track, drag a box to move it (that adds a
// keyframe), "," / "." step one frame (Shift: 10), "[" / "]" jump to the previous / next key
// frame (of the selected track, else of any), "k" adds a keyframe, "o" ends the track here
// (outside), a number sets the label, Delete removes the selected track. Under the video, a
// timeline shows every track's key frames and the frame count; click or drag it to seek.
import { h, s, colour } from "../dom.js";
import { addZoom, bigEnough, dragBox, draftOutline, labelKey, labelLegend, regionItem, showActive, wireStage } from "./shared.js";

export function interpolate(keyframes, frame) {
  if (!keyframes.length) return null;
  const k = [...keyframes].sort((a, b) => a.frame - b.frame);
  if (frame < k[0].frame) return null; // after the last keyframe the box stays (until "outside")
  for (let i = 0; i < k.length; i++) {
    const L = k[i];
    const R = k[i + 1];
    if (!R || frame < R.frame) {
      if (L.outside) return null;
      if (frame === L.frame || !R) return { x: L.x, y: L.y, w: L.w, h: L.h, key: frame === L.frame };
      const t = (frame - L.frame) / (R.frame - L.frame);
      return { x: L.x + t * (R.x - L.x), y: L.y + t * (R.y - L.y), w: L.w + t * (R.w - L.w), h: L.h + t * (R.h - L.h), key: false };
    }
  }
  return null;
}

export function createVideoStage(src, data, slot) {
  const video = h("video", { class: "stage-video", src, preload: "metadata", muted: true, playsinline: true });
  const svg = s("svg", { class: "stage-svg", preserveAspectRatio: "none" });
  const zoomer = h("div", { class: "zoomer" }, video, svg);
  const wrap = h("div", { class: "stage", tabindex: "-1" }, zoomer);
  const controls = h("div", { class: "video-controls" });
  slot.append(wrap, controls);
  const stage = { wrap, svg, video, controls, owner: null, width: Number(data.width) || 0, height: Number(data.height) || 0, fps: Number(data.fps) || 25, listeners: [], zoom: 1 };
  if (!stage.width) wrap.style.aspectRatio = "16 / 9";
  const setBox = wireStage(stage);
  addZoom(stage, zoomer); // zoom and pan on the frame, as on images
  video.addEventListener("loadedmetadata", () => {
    if (!stage.width) {
      stage.width = video.videoWidth;
      stage.height = video.videoHeight;
      setBox();
    }
    stage.listeners.forEach((f) => f());
  });
  stage.frame = () => Math.round((video.currentTime || 0) * stage.fps);
  // The number of frames: from the task data when the importer probed it, else the duration.
  stage.frames = () => Number(data.frames) || (Number.isFinite(video.duration) ? Math.max(1, Math.round(video.duration * stage.fps)) : Number(data.duration) ? Math.round(Number(data.duration) * stage.fps) : 0);
  stage.seek = (f) => {
    video.pause();
    const n = stage.frames();
    const target = Math.max(0, n ? Math.min(n - 1, f) : f);
    video.currentTime = target / stage.fps + 1e-4;
    stage.listeners.forEach((f) => f()); // show the new frame number now, not at "seeked"
  };
  return stage;
}

export function createVideoBoxes(control, ctx) {
  const stage = ctx.stage;
  const video = stage.video;
  const layer = s("g", { class: "layer", dataset: { control: control.name } });
  stage.svg.append(layer);
  let tracks = [];
  let active = 0;
  let selected = -1;
  let drag = null;
  const frameInfo = h("span", { class: "frame-info" });
  stage.controls.append(
    h("button", { type: "button", onclick: () => (video.paused ? video.play().catch(() => {}) : video.pause()) }, "play / pause"),
    h("button", { type: "button", onclick: () => stage.seek(stage.frame() - 1) }, "◀ frame"),
    h("button", { type: "button", onclick: () => stage.seek(stage.frame() + 1) }, "frame ▶"),
    frameInfo,
  );
  // The timeline: one row of key-frame markers per track (diamonds in the label's colour, a
  // line while the track is on screen), the playhead; click or drag to seek.
  const timeline = h("div", { class: "vtimeline", title: "click or drag to seek; [ ] jump between key frames" });
  const vhead = h("div", { class: "playhead" });
  stage.controls.after(timeline);
  let seeking = false;
  const seekAt = (e) => {
    const r = timeline.getBoundingClientRect();
    const n = stage.frames();
    if (n) stage.seek(Math.round(((e.clientX - r.left) / Math.max(1, r.width)) * (n - 1)));
  };
  timeline.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    timeline.setPointerCapture(e.pointerId);
    seeking = true;
    seekAt(e);
  });
  timeline.addEventListener("pointermove", (e) => seeking && seekAt(e));
  timeline.addEventListener("pointerup", () => (seeking = false));
  function renderTimeline(f) {
    const n = Math.max(1, stage.frames() - 1);
    const pos = (k) => `${(100 * Math.min(k, n)) / n}%`;
    const marks = [];
    tracks.forEach((t, i) => {
      const c = colour(control.labels.indexOf(t.label));
      const ks = t.keyframes;
      if (!ks.length) return;
      const last = ks[ks.length - 1];
      const end = last.outside ? last.frame : n;
      marks.push(h("div", { class: "span-line", style: { left: pos(ks[0].frame), width: `${(100 * Math.max(0, end - ks[0].frame)) / n}%`, background: c, top: i === selected ? "17px" : "8px" } }));
      ks.forEach((k) =>
        marks.push(h("div", { class: "kf" + (i === selected ? " sel" : "") + (k.outside ? " outside" : ""), title: `${t.label} ${t.track}: key frame ${k.frame}${k.outside ? " (leaves)" : ""}`, dataset: { frame: k.frame, track: t.track }, style: { left: pos(k.frame), background: c } })),
      );
    });
    vhead.style.left = pos(f);
    timeline.replaceChildren(...marks, vhead);
  }
  function jumpKey(dir) {
    const pool = (selected >= 0 ? [tracks[selected]] : tracks).flatMap((t) => t.keyframes.map((k) => k.frame));
    const f = stage.frame();
    const cands = pool.filter((k) => (dir > 0 ? k > f : k < f)).sort((a, b) => a - b);
    if (cands.length) stage.seek(dir > 0 ? cands[0] : cands[cands.length - 1]);
  }
  const list = h("ul", { class: "region-list" });
  const legend = labelLegend(control, ctx, (i) => relabel(i));
  const el = h("div", { class: "video-boxes" }, legend, list);

  function relabel(i) {
    active = i;
    if (selected >= 0 && !ctx.readOnly) {
      tracks[selected].label = control.labels[i];
      ctx.changed();
    }
    render();
  }

  function setKey(t, box, extra = {}) {
    const f = stage.frame();
    t.keyframes = t.keyframes.filter((k) => k.frame !== f);
    t.keyframes.push({ frame: f, x: box.x, y: box.y, w: box.w, h: box.h, ...extra });
    t.keyframes.sort((a, b) => a.frame - b.frame);
  }

  function render() {
    const f = stage.frame();
    const px = stage.pxPerScreen();
    const total = stage.frames();
    frameInfo.textContent = total ? `frame ${f} / ${total}` : `frame ${f}`;
    renderTimeline(f);
    const nodes = [];
    tracks.forEach((t, i) => {
      const b = interpolate(t.keyframes, f);
      if (!b) return;
      const c = colour(control.labels.indexOf(t.label));
      nodes.push(
        s("rect", {
          x: b.x, y: b.y, width: b.w, height: b.h, stroke: c, fill: c, "fill-opacity": 0.1,
          class: (b.key ? "key" : "interp") + (i === selected ? " selected" : ""),
          "vector-effect": "non-scaling-stroke", dataset: { track: i },
        }),
        s("text", { x: b.x, y: Math.max(13 * px, b.y - 3 * px), class: "region-label", fill: c, "font-size": 13 * px }, `${t.label} ${t.track}`),
      );
    });
    if (drag && drag.mode === "draw") {
      nodes.push(draftOutline(dragBox(drag.x0, drag.y0, drag.x1, drag.y1)));
    }
    layer.replaceChildren(...nodes);
    list.replaceChildren(
      ...tracks.map((t, i) =>
        regionItem(
          control,
          ctx,
          {
            label: t.label,
            name: `${t.label} ${t.track}`,
            selected: i === selected,
            onSelect: () => { selected = i; stage.seek(t.keyframes[0].frame); render(); },
            onRemove: () => { tracks.splice(i, 1); selected = -1; render(); ctx.changed(); },
          },
          ` ${t.keyframes.length} keyframes (frames ${t.keyframes[0].frame}–${t.keyframes[t.keyframes.length - 1].frame})`,
        ),
      ),
    );
    showActive(legend, active);
  }

  const handler = {
    down([x, y], e) {
      if (ctx.readOnly) return;
      video.pause();
      const t = e.target.dataset && e.target.dataset.track;
      if (t !== undefined) {
        selected = Number(t);
        const b = interpolate(tracks[selected].keyframes, stage.frame());
        drag = { mode: "move", dx: x - b.x, dy: y - b.y, box: { ...b }, moved: false };
      } else drag = { mode: "draw", x0: x, y0: y, x1: x, y1: y };
      render();
    },
    move([x, y]) {
      if (!drag) return;
      if (drag.mode === "draw") {
        drag.x1 = x;
        drag.y1 = y;
      } else {
        const b = drag.box;
        b.x = Math.max(0, Math.min(stage.width - b.w, x - drag.dx));
        b.y = Math.max(0, Math.min(stage.height - b.h, y - drag.dy));
        setKey(tracks[selected], b);
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
          let n = tracks.length + 1;
          while (tracks.some((t) => t.track === `t${n}`)) n++;
          const t = { track: `t${n}`, label: control.labels[active], keyframes: [] };
          setKey(t, b);
          tracks.push(t);
          selected = tracks.length - 1;
          ctx.changed();
        }
      } else if (d.moved) ctx.changed();
      render();
    },
  };

  let raf = 0;
  const loop = () => {
    render();
    if (!video.paused) raf = requestAnimationFrame(loop);
  };
  video.addEventListener("play", () => (raf = requestAnimationFrame(loop)));
  video.addEventListener("pause", () => cancelAnimationFrame(raf));
  video.addEventListener("seeked", render);
  stage.listeners.push(render);
  render();
  return {
    el,
    get: () =>
      tracks.length
        ? tracks.map((t) => ({ track: t.track, label: t.label, keyframes: t.keyframes.map((k) => ({ ...k })) }))
        : undefined,
    set(v) {
      tracks = Array.isArray(v) ? v.map((t) => ({ ...t, keyframes: t.keyframes.map((k) => ({ ...k })) })) : [];
      selected = -1;
      render();
    },
    activate(on) {
      if (on) stage.owner = handler;
    },
    key(e) {
      if (labelKey(e, control, relabel)) return true;
      if (e.key === "," || e.key === "." || e.key === "<" || e.key === ">") {
        const step = e.key === "<" || e.key === ">" ? 10 : 1;
        stage.seek(stage.frame() + (e.key === "." || e.key === ">" ? step : -step));
        return true;
      }
      if (e.key === "[" || e.key === "]") {
        jumpKey(e.key === "]" ? 1 : -1);
        return true;
      }
      if (selected >= 0 && (e.key === "k" || e.key === "o")) {
        const t = tracks[selected];
        const b = interpolate(t.keyframes, stage.frame()) || t.keyframes[t.keyframes.length - 1];
        setKey(t, b, e.key === "o" ? { outside: true } : {});
        ctx.changed();
        render();
        return true;
      }
      if ((e.key === "Delete" || e.key === "Backspace") && selected >= 0) {
        tracks.splice(selected, 1);
        selected = -1;
        ctx.changed();
        render();
        return true;
      }
      return false;
    },
  };
}
