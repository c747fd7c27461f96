// Audio (or video) segments on a timeline that shows the sound: a waveform (or, with "w", a
// spectrogram) drawn from the decoded audio with the Web Audio API. Drag on the timeline to
// mark a segment, or press "[" then "]" while listening to mark start and end at the playhead.
// A number sets or changes the label; "p" plays/pauses; click a segment to select it and hear
// it; drag its edges to resize it or its body to move it; with a segment selected ← → move its
// end (Shift: its start) by 0.1 s (Alt: 0.01 s); "," / "." select the previous / next one;
// "+" / "-" / "0" (or Ctrl+wheel) zoom the timeline, which then scrolls and follows the
// playhead; Delete removes it. With transcription on, each segment has a text box.
import { h, colour } from "../dom.js";
import { labelKey, labelLegend, regionItem, showActive } from "./shared.js";

// ---------------------------------------------------------------- the picture of the sound
// Peaks (min, max per column) of a decoded AudioBuffer's first channel.
function peaks(buffer, columns) {
  const data = buffer.getChannelData(0);
  const lo = new Float32Array(columns);
  const hi = new Float32Array(columns);
  const per = data.length / columns;
  for (let c = 0; c < columns; c++) {
    let mn = 0;
    let mx = 0;
    const a = Math.floor(c * per);
    const b = Math.min(data.length, Math.max(a + 1, Math.floor((c + 1) * per)));
    for (let i = a; i < b; i++) {
      const v = data[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    lo[c] = mn;
    hi[c] = mx;
  }
  return { lo, hi };
}

// In-place radix-2 FFT (re, im of length 2^k).
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const ar = re[i + k + len / 2] * cr - im[i + k + len / 2] * ci;
        const ai = re[i + k + len / 2] * ci + im[i + k + len / 2] * cr;
        re[i + k + len / 2] = re[i + k] - ar;
        im[i + k + len / 2] = im[i + k] - ai;
        re[i + k] += ar;
        im[i + k] += ai;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

// Log-magnitude spectrum (dB, Hann window) of one frame per column: columns × (n/2) values.
function spectrogram(buffer, columns, n = 512) {
  const data = buffer.getChannelData(0);
  const out = [];
  const re = new Float32Array(n);
  const im = new Float32Array(n);
  for (let c = 0; c < columns; c++) {
    const mid = Math.floor(((c + 0.5) / columns) * data.length);
    for (let i = 0; i < n; i++) {
      const v = data[mid - n / 2 + i] || 0;
      re[i] = v * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
      im[i] = 0;
    }
    fft(re, im);
    const col = new Float32Array(n / 2);
    for (let k = 0; k < n / 2; k++) col[k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-10);
    out.push(col);
  }
  return out;
}

function drawWave(canvas, buffer, mode) {
  const w = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
  const hgt = Math.max(1, Math.round(canvas.clientHeight * (window.devicePixelRatio || 1)));
  canvas.width = w;
  canvas.height = hgt;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, w, hgt);
  if (mode === "spectrogram") {
    const cols = Math.min(w, 800);
    const spec = spectrogram(buffer, cols);
    const bins = spec[0].length;
    let top = -Infinity;
    spec.forEach((col) => col.forEach((v) => (top = Math.max(top, v))));
    const img = g.createImageData(cols, hgt);
    // Log frequency axis from 50 Hz to Nyquist, so speech and tones are not squeezed at the bottom.
    const nyq = buffer.sampleRate / 2;
    const binOf = (y) => {
      const f = 50 * Math.pow(nyq / 50, (hgt - 1 - y) / Math.max(1, hgt - 1));
      return Math.min(bins - 1, Math.max(0, Math.round((f / nyq) * bins)));
    };
    for (let x = 0; x < cols; x++) {
      for (let y = 0; y < hgt; y++) {
        const k = binOf(y);
        const t = Math.max(0, Math.min(1, (spec[x][k] - (top - 80)) / 80)); // 80 dB range
        const o = 4 * (y * cols + x);
        img.data[o] = Math.round(255 * Math.min(1, 1.6 * t));
        img.data[o + 1] = Math.round(255 * Math.max(0, 1.8 * t - 0.8));
        img.data[o + 2] = Math.round(120 * (1 - t) + 40 * t);
        img.data[o + 3] = 255;
      }
    }
    const tmp = document.createElement("canvas");
    tmp.width = cols;
    tmp.height = hgt;
    tmp.getContext("2d").putImageData(img, 0, 0);
    g.imageSmoothingEnabled = true;
    g.drawImage(tmp, 0, 0, w, hgt);
    return;
  }
  const { lo, hi } = peaks(buffer, w);
  let top = 1e-6;
  for (let x = 0; x < w; x++) top = Math.max(top, -lo[x], hi[x]);
  const mid = hgt / 2;
  g.fillStyle = "#57606a";
  for (let x = 0; x < w; x++) {
    const y0 = mid - (hi[x] / top) * (mid - 2);
    const y1 = mid - (lo[x] / top) * (mid - 2);
    g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
  }
}

// Longer audio is not decoded for the picture (it would take hundreds of MB in the tab).
const MAX_WAVE_SECONDS = 30 * 60;

// Decode the media's audio once per URL (prefetched tasks and re-renders share it).
const decoded = new Map();
function decode(url) {
  if (!decoded.has(url)) {
    const p = fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${r.status}`))))
      // 16 kHz is plenty for a picture of speech and sounds, and a quarter of the memory.
      .then((buf) => new OfflineAudioContext(1, 1, 16000).decodeAudioData(buf));
    decoded.set(url, p);
    if (decoded.size > 8) decoded.delete(decoded.keys().next().value);
    p.catch(() => decoded.delete(url));
  }
  return decoded.get(url);
}

// ---------------------------------------------------------------- the control
export function createSegments(control, ctx) {
  const media = ctx.media;
  let segs = [];
  let active = 0;
  let selected = -1;
  let markStart = null;
  let drag = null;
  let mode = "waveform";
  let buffer = null;
  const duration = () => Number(ctx.task.data.duration) || (Number.isFinite(media.duration) ? media.duration : 0) || buffer?.duration || 0;
  const canvas = h("canvas", { class: "wave", "aria-hidden": "true" });
  // The timeline scrolls sideways when zoomed: bar is the window, track the full length.
  const track = h("div", { class: "track" });
  const bar = h("div", { class: "timeline", title: "drag to mark a segment; drag a segment's edges to resize it; + − 0 or Ctrl+wheel zoom" }, track);
  let zoom = 1;
  const zoomInfo = h("span", { class: "tl-zoom muted", text: "1×" });
  const head = h("div", { class: "playhead" });
  const clock = h("span", { class: "clock" });
  const status = h("span", { class: "muted wave-status", text: "decoding audio…" });
  const modeBtn = h("button", { type: "button", class: "wave-mode", title: "waveform / spectrogram (w)", onclick: () => toggleMode() }, "spectrogram (w)");
  const list = h("ul", { class: "region-list" });
  const legend = labelLegend(control, ctx, (i) => relabel(i));
  const el = h("div", { class: "segments" }, legend, list);
  ctx.objectSlot.append(bar, h("div", { class: "timeline-bar" }, clock, modeBtn, zoomInfo, status));

  // Zoom the timeline (1× to 64×, capped so the waveform canvas stays a sane size), keeping
  // time t at the same place in the window.
  function setZoom(z, t = media.currentTime || 0) {
    const d = duration() || 1;
    const maxZ = Math.max(1, Math.min(64, 16000 / Math.max(1, bar.clientWidth * (window.devicePixelRatio || 1))));
    const before = (t / d) * track.clientWidth - bar.scrollLeft;
    zoom = Math.max(1, Math.min(maxZ, z));
    track.style.width = `${zoom * 100}%`;
    zoomInfo.textContent = `${zoom.toFixed(zoom < 10 ? 1 : 0)}×`;
    bar.scrollLeft = (t / d) * track.clientWidth - (zoom === 1 ? 0 : before);
    paint();
    render();
  }
  bar.addEventListener(
    "wheel",
    (e) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      setZoom(zoom * Math.exp(-e.deltaY / 300), timeAt(e));
    },
    { passive: false },
  );

  function paint() {
    if (buffer && canvas.isConnected) drawWave(canvas, buffer, mode);
  }
  // While playing, keep the playhead in the window.
  function follow() {
    if (zoom === 1 || media.paused) return;
    const x = ((media.currentTime || 0) / (duration() || 1)) * track.clientWidth;
    if (x < bar.scrollLeft || x > bar.scrollLeft + bar.clientWidth - 10) bar.scrollLeft = x - 20;
  }
  function toggleMode() {
    mode = mode === "waveform" ? "spectrogram" : "waveform";
    modeBtn.textContent = mode === "waveform" ? "spectrogram (w)" : "waveform (w)";
    bar.dataset.mode = mode;
    paint();
  }
  bar.dataset.mode = mode;
  const known = Number(ctx.task.data.duration) || 0;
  if (known > MAX_WAVE_SECONDS) {
    status.textContent = `no waveform for audio over ${MAX_WAVE_SECONDS / 60} min (this one is ${(known / 60).toFixed(0)} min): segments still work`;
    bar.dataset.wave = "none";
  } else if ((media.currentSrc || media.src) && new URL(media.currentSrc || media.src, location.href).origin !== location.origin) {
    // Another site's file: the browser may play it but not hand its bytes to the page.
    status.textContent = "no waveform for audio on another site";
    bar.dataset.wave = "none";
  } else if (media.currentSrc || media.src) {
    decode(media.currentSrc || media.src)
      .then((b) => {
        buffer = b;
        status.textContent = `${b.numberOfChannels} ch · ${b.sampleRate} Hz · ${b.duration.toFixed(2)} s`;
        bar.dataset.wave = "ready";
        requestAnimationFrame(() => {
          paint();
          render();
        });
      })
      .catch(() => {
        status.textContent = "no waveform: the browser could not decode this file's audio";
        bar.dataset.wave = "none";
      });
  }
  if (window.ResizeObserver) {
    let lastW = 0;
    new ResizeObserver(() => {
      if (track.clientWidth !== lastW) {
        lastW = track.clientWidth;
        paint();
      }
    }).observe(track);
  }

  function relabel(i) {
    active = i;
    if (selected >= 0 && !ctx.readOnly) {
      segs[selected].label = control.labels[i];
      ctx.changed();
    }
    render();
  }

  function timeAt(evt) {
    const r = track.getBoundingClientRect();
    const d = duration();
    return Math.max(0, Math.min(d, ((evt.clientX - r.left) / Math.max(r.width, 1)) * d));
  }

  function render() {
    const d = duration() || 1;
    const blocks = segs.map((sg, i) => {
      const c = colour(control.labels.indexOf(sg.label));
      return h(
        "div",
        {
          class: "seg-block" + (i === selected ? " selected" : ""),
          dataset: { seg: i },
          title: `${sg.label} ${sg.start.toFixed(2)}–${sg.end.toFixed(2)} s`,
          style: { left: `${(100 * sg.start) / d}%`, width: `${(100 * (sg.end - sg.start)) / d}%`, "--c": c },
        },
        ctx.readOnly ? null : h("div", { class: "edge l", dataset: { edge: "start", seg: i } }),
        ctx.readOnly ? null : h("div", { class: "edge r", dataset: { edge: "end", seg: i } }),
      );
    });
    if (drag && drag.mode === "draw") {
      const a = Math.min(drag.t0, drag.t1);
      const b = Math.max(drag.t0, drag.t1);
      blocks.push(h("div", { class: "seg-block drawing", style: { left: `${(100 * a) / d}%`, width: `${(100 * (b - a)) / d}%` } }));
    }
    if (markStart !== null) blocks.push(h("div", { class: "mark-start", style: { left: `${(100 * markStart) / d}%` } }));
    head.style.left = `${(100 * (media.currentTime || 0)) / d}%`;
    clock.textContent = `${(media.currentTime || 0).toFixed(2)} / ${duration().toFixed(2)} s`;
    track.replaceChildren(canvas, ...blocks, head);
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

  function tidy(keep) {
    // Round, order, and keep the same segment selected.
    keep.start = +keep.start.toFixed(3);
    keep.end = +keep.end.toFixed(3);
    segs.sort((x, y) => x.start - y.start);
    selected = segs.indexOf(keep);
  }

  function addSeg(a, b) {
    const start = Math.min(a, b);
    const end = Math.max(a, b);
    if (end - start < 0.01) return;
    const sg = { start, end, label: control.labels[active] };
    segs.push(sg);
    tidy(sg);
    ctx.changed();
  }

  // Move an edge (or the whole segment) of segment sg, keeping it inside the media and at
  // least 10 ms long.
  function setEdge(sg, edge, t) {
    const d = duration();
    if (edge === "start") sg.start = Math.max(0, Math.min(sg.end - 0.01, t));
    else sg.end = Math.min(d || Infinity, Math.max(sg.start + 0.01, t));
  }

  bar.addEventListener("pointerdown", (e) => {
    if (ctx.readOnly || e.button !== 0 || e.target === bar) return; // (bar itself: its scrollbar)
    const edge = e.target.closest(".edge");
    const blk = e.target.closest(".seg-block");
    bar.setPointerCapture(e.pointerId);
    if (edge) {
      selected = Number(edge.dataset.seg);
      drag = { mode: "edge", edge: edge.dataset.edge, sg: segs[selected], moved: false };
    } else if (blk && blk.dataset.seg !== undefined) {
      select(Number(blk.dataset.seg));
      const sg = segs[selected];
      drag = { mode: "move", sg, t0: timeAt(e), from: [sg.start, sg.end], moved: false };
    } else drag = { mode: "draw", t0: timeAt(e), t1: timeAt(e) };
    render();
  });
  bar.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const t = timeAt(e);
    if (drag.mode === "draw") drag.t1 = t;
    else if (drag.mode === "edge") {
      setEdge(drag.sg, drag.edge, t);
      drag.moved = true;
    } else {
      const len = drag.from[1] - drag.from[0];
      const start = Math.max(0, Math.min((duration() || Infinity) - len, drag.from[0] + t - drag.t0));
      if (Math.abs(start - drag.sg.start) > 1e-6) drag.moved = true;
      drag.sg.start = start;
      drag.sg.end = start + len;
    }
    render();
  });
  bar.addEventListener("pointerup", (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.mode === "draw") {
      d.t1 = timeAt(e);
      if (Math.abs(d.t1 - d.t0) < 0.01 * Math.max(duration(), 1)) media.currentTime = d.t0;
      else addSeg(d.t0, d.t1);
    } else if (d.moved) {
      tidy(d.sg);
      ctx.changed();
    }
    render();
  });
  media.addEventListener("timeupdate", () => {
    render();
    follow();
  });
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
      if ((e.key === "," || e.key === ".") && segs.length) {
        // Walk through the segments (and hear each from its start).
        const n = segs.length;
        select(selected < 0 ? (e.key === "." ? 0 : n - 1) : (selected + (e.key === "." ? 1 : -1) + n) % n);
        return true;
      }
      if ((e.key === "+" || e.key === "=") && !e.ctrlKey) return setZoom(zoom * 1.5), true;
      if ((e.key === "-" || e.key === "_") && !e.ctrlKey) return setZoom(zoom / 1.5), true;
      if (e.key === "0" && !e.ctrlKey) return setZoom(1), true;
      if (e.key === "w" && !e.ctrlKey && !e.metaKey) {
        toggleMode();
        return true;
      }
      if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && selected >= 0 && !ctx.readOnly && !e.ctrlKey && !e.metaKey) {
        const sg = segs[selected];
        const step = (e.altKey ? 0.01 : 0.1) * (e.key === "ArrowRight" ? 1 : -1);
        const edge = e.shiftKey ? "start" : "end";
        setEdge(sg, edge, sg[edge] + step);
        tidy(sg);
        render();
        ctx.changed();
        return true;
      }
      if (e.key === "Escape" && selected >= 0) {
        selected = -1;
        render();
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
