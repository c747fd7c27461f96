// One task on screen: the object (text, image, audio, video) and one widget per control of the
// label config. Handles the active control (Tab), undo (Ctrl+Z / z) and redo (Ctrl+Y).
import { h } from "./dom.js";
import { mediaUrl } from "./api.js";
import { createChoices } from "./controls/choices.js";
import { createText } from "./controls/text.js";
import { createSpans } from "./controls/spans.js";
import { createImageStage, createBoxes, createPolygons } from "./controls/regions.js";
import { createSegments } from "./controls/segments.js";
import { createVideoStage, createVideoBoxes } from "./controls/video.js";

const FACTORIES = {
  choices: createChoices,
  text: createText,
  spans: createSpans,
  boxes: createBoxes,
  polygons: createPolygons,
  segments: createSegments,
  video_boxes: createVideoBoxes,
};

export function createWorkspace(project, task, opts = {}) {
  const config = project.config;
  const readOnly = !!opts.readOnly;
  const field = config.object.field;
  const value = task.data[field];
  const objectSlot = h("div", { class: `object object-${config.object.type}` });
  const panel = h("div", { class: "controls" });
  const el = h("div", { class: "workspace" + (readOnly ? " readonly" : "") }, objectSlot, panel);
  const extras = (config.show || []).filter((k) => k in task.data);
  if (extras.length) {
    objectSlot.append(h("dl", { class: "extra" }, extras.map((k) => [h("dt", { text: k }), h("dd", { text: String(task.data[k]) })])));
  }
  const ctx = { project, config, task, readOnly, objectSlot, changed: () => changed() };
  if (config.object.type === "image") ctx.stage = createImageStage(mediaUrl(project.id, value), task.data, objectSlot);
  else if (config.object.type === "video") ctx.stage = createVideoStage(mediaUrl(project.id, value), task.data, objectSlot);
  else if (config.object.type === "audio") {
    ctx.media = h("audio", { class: "stage-audio", src: mediaUrl(project.id, value), controls: true, preload: "metadata" });
    objectSlot.append(ctx.media);
  }
  if (config.object.type === "video") ctx.media = ctx.stage.video;
  if (config.object.type === "text" && !config.controls.some((c) => c.type === "spans")) {
    objectSlot.append(h("div", { class: "text-view plain", text: String(value ?? "") }));
  }

  const widgets = config.controls.map((c) => {
    const w = FACTORIES[c.type](c, ctx);
    const box = h(
      "section",
      { class: "control", dataset: { name: c.name, type: c.type } },
      h("h3", {}, h("span", { text: c.name }), c.required ? h("span", { class: "req", title: "required", text: " *" }) : null),
      c.description ? h("p", { class: "muted", text: c.description }) : null,
      w.el,
    );
    box.addEventListener("pointerdown", () => setActive(widgets.findIndex((x) => x.box === box)));
    return { control: c, w, box };
  });
  widgets.forEach((x) => panel.append(x.box));
  let active = -1;
  function setActive(i) {
    if (i < 0 || i === active) return;
    if (active >= 0) {
      widgets[active].box.classList.remove("active");
      widgets[active].w.activate?.(false);
    }
    active = i;
    widgets[i].box.classList.add("active");
    widgets[i].w.activate?.(true);
  }
  // Region controls listen to the stage; make the first control active.
  setActive(0);

  let history = [];
  let future = [];
  let current = null;
  function snapshot() {
    return JSON.stringify(getResult());
  }
  function changed() {
    const now = snapshot();
    if (now === current) return;
    if (current !== null) history.push(current);
    if (history.length > 200) history.shift();
    future = [];
    current = now;
    opts.onChange?.();
  }
  function restore(text) {
    const r = JSON.parse(text);
    widgets.forEach(({ control, w }) => w.set(r[control.name]));
    current = text;
    opts.onChange?.();
  }
  function getResult() {
    const out = {};
    widgets.forEach(({ control, w }) => {
      const v = w.get();
      if (v !== undefined && v !== null) out[control.name] = v;
    });
    return out;
  }
  function setResult(r) {
    widgets.forEach(({ control, w }) => w.set((r || {})[control.name]));
    current = snapshot();
    history = [];
    future = [];
  }
  setResult(opts.initial || {});

  return {
    el,
    ctx,
    getResult,
    setResult,
    missing() {
      const r = getResult();
      return config.controls.filter((c) => c.required && r[c.name] === undefined).map((c) => c.name);
    },
    undo() {
      if (!history.length) return false;
      future.push(current);
      restore(history.pop());
      return true;
    },
    redo() {
      if (!future.length) return false;
      history.push(current);
      restore(future.pop());
      return true;
    },
    key(e) {
      if (readOnly) return ctx.stage?.key ? ctx.stage.key(e) : false; // zoom and pan still work
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") return e.shiftKey ? this.redo() || true : this.undo() || true;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") return this.redo() || true;
      if (e.key === "z" && !e.ctrlKey && !e.metaKey && !e.altKey) return this.undo() || true;
      if (e.key === "Tab") {
        setActive((active + (e.shiftKey ? -1 : 1) + widgets.length) % widgets.length);
        return true;
      }
      if (active >= 0 && widgets[active].w.key(e)) return true;
      return ctx.stage?.key ? ctx.stage.key(e) : false;
    },
    focusControl(name) {
      setActive(widgets.findIndex((x) => x.control.name === name));
    },
  };
}

export function preload(project, task) {
  // Warm the browser cache for a prefetched task's media.
  const v = task.data[project.config.object.field];
  if (project.config.object.type === "image" && typeof v === "string") {
    const img = new Image();
    img.src = mediaUrl(project.id, v);
  }
}
