// labelwise web UI: a hash-routed single page app over the REST API (the same API as /docs).
import { h, clear, toast, colour, isTyping, fmt } from "./dom.js";
import { api, get, post, put, patch, del, setCsrf, setUnauthorizedHandler, newId, ApiError } from "./api.js";
import { createWorkspace, preload } from "./workspace.js";
import { confirmDialog, taskBrowserPage, uploadCard, exportDialog } from "./admin.js";

const root = document.getElementById("app");
const state = { user: null, page: null };
// Each navigation renders into its own container: a page still loading when the user moves on
// keeps appending to its own (detached) container, never on top of the next page.
let currentView = root;
let routeGen = 0;

// ---------------------------------------------------------------- server features
// What this server offers, read once from its OpenAPI document: the UI shows only what works.
let featureCache = null;
async function features() {
  if (!featureCache) {
    featureCache = fetch("/openapi.json", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { paths: {} }))
      .catch(() => ({ paths: {} }))
      .then((spec) => {
        const paths = spec.paths || {};
        const has = (path, method) => !!(paths[path] && paths[path][method]);
        const taskParams = (paths["/api/projects/{pid}/tasks"]?.get?.parameters || []).map((p) => p.name);
        const exportFormats = Object.keys(paths).find((k) => /export[-_/]?formats/.test(k) && paths[k].get);
        return {
          deletes: has("/api/projects/{pid}/tasks/{tid}", "delete"),
          deleteAnnotation: has("/api/annotations/{aid}", "delete"),
          deleteProject: has("/api/projects/{pid}", "delete"),
          deleteUser: Object.keys(paths).find((k) => /^\/api\/users\/\{[^}]+\}$/.test(k) && paths[k].delete) || null,
          richFilters: taskParams.includes("q") || taskParams.includes("annotator"),
          exportFormats: exportFormats || null,
        };
      });
  }
  return featureCache;
}

// ---------------------------------------------------------------- routing
const routes = [
  [/^#\/login$/, loginPage],
  [/^#\/?$/, projectsPage],
  [/^#\/projects\/(\d+)$/, projectPage],
  [/^#\/projects\/(\d+)\/label$/, labelPage],
  [/^#\/projects\/(\d+)\/label\/(\d+)$/, labelPage],
  [/^#\/projects\/(\d+)\/review$/, reviewPage],
  [/^#\/projects\/(\d+)\/adjudicate$/, adjudicatePage],
  [/^#\/projects\/(\d+)\/tasks$/, async (pid) => { const view = currentView; return taskBrowserPage(view, state, pid, await features()); }],
  [/^#\/users$/, usersPage],
];

async function route() {
  const hash = location.hash || "#/";
  if (!state.user && hash !== "#/login") {
    try {
      const me = await get("/api/me");
      state.user = me.user;
      setCsrf(me.csrf);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        location.hash = "#/login";
        return;
      }
      throw e;
    }
  }
  renderNav();
  state.page?.destroy?.();
  state.page = null;
  const gen = ++routeGen;
  const view = h("div", { class: "view" });
  root.replaceChildren(view);
  currentView = view;
  for (const [re, page] of routes) {
    const m = hash.match(re);
    if (m) {
      try {
        const made = (await page(...m.slice(1).map((x) => (x === undefined ? x : Number(x))))) || null;
        if (gen === routeGen) state.page = made;
        else made?.destroy?.();
      } catch (e) {
        if (gen === routeGen) showError(e);
      }
      return;
    }
  }
  view.append(h("p", { text: "Page not found." }));
}

function showError(e) {
  if (e instanceof ApiError && e.status === 401) {
    state.user = null;
    location.hash = "#/login";
    return;
  }
  clear(currentView).append(h("div", { class: "error-box", role: "alert" }, h("b", { text: "Error: " }), h("span", { text: e.message || String(e) })));
}

function renderNav() {
  const nav = document.getElementById("nav");
  clear(nav);
  const who = document.getElementById("whoami");
  if (!state.user) {
    who.textContent = "";
    return;
  }
  nav.append(h("a", { href: "#/" }, "Projects"));
  if (state.user.role === "admin") nav.append(h("a", { href: "#/users" }, "Users"));
  nav.append(h("a", { href: "/docs", target: "_blank", rel: "noopener" }, "API"));
  nav.append(
    h("a", {
      href: "#/login",
      id: "logout",
      onclick: async (e) => {
        e.preventDefault();
        await post("/api/logout", {}).catch(() => {});
        state.user = null;
        setCsrf(null);
        location.hash = "#/login";
      },
    }, "Log out"),
  );
  who.textContent = `${state.user.username} (${state.user.role})`;
}

document.addEventListener("keydown", (e) => {
  if (!state.page || !state.page.key) return;
  if (document.querySelector("dialog[open]")) return; // a modal (login, confirm) owns the keys
  // On keyboard-first pages Enter and Space mean what the page says (submit, toggle), never
  // "click the button that happens to have focus" (e.g. Reject, after a mouse click on it).
  if (state.page.ownsEnter && (e.key === "Enter" || e.key === " ") && e.target instanceof HTMLButtonElement) e.target.blur();
  if (isTyping(e) && !(e.key === "Escape" || (e.key === "Enter" && (e.ctrlKey || e.metaKey)))) return;
  if (isTyping(e) && e.key === "Escape") {
    e.target.blur();
    e.preventDefault();
    return;
  }
  if (state.page.key(e)) e.preventDefault();
});
// An expired session on a page with unsaved work: ask for the password in a dialog over the
// page, then the request that failed is sent again, so nothing typed or drawn is lost.
function reloginDialog() {
  if (!state.user) return false;
  const username = state.user.username;
  return new Promise((resolve) => {
    const pass = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, id: "relogin-password" });
    const msg = h("p", { class: "error", role: "alert" });
    const dlg = h(
      "dialog",
      { id: "relogin", class: "card", "aria-labelledby": "relogin-title" },
      h(
        "form",
        {
          method: "dialog",
          onsubmit: async (e) => {
            e.preventDefault();
            msg.textContent = "";
            try {
              const { csrf } = await api("GET", "/api/csrf", undefined, { noRelogin: true });
              const res = await api("POST", "/api/login", { username, password: pass.value }, { csrf, noRelogin: true });
              state.user = res.user;
              setCsrf(res.csrf);
              dlg.close();
              dlg.remove();
              toast("logged in again: carrying on");
              resolve(true);
            } catch (err) {
              msg.textContent = err.message;
              pass.select();
            }
          },
        },
        h("h2", { id: "relogin-title", text: "Your session has expired" }),
        h("p", { text: `Log in again as ${username} to carry on. Your unsaved work stays on this page and is sent once you are back.` }),
        h("label", {}, "Password", pass),
        h("div", { class: "row" },
          h("button", { type: "submit", class: "primary" }, "Log in"),
          h("button", {
            type: "button",
            onclick: () => {
              dlg.close();
              dlg.remove();
              state.user = null;
              resolve(false);
              location.hash = "#/login";
            },
          }, "Leave this page"),
        ),
        msg,
      ),
    );
    dlg.addEventListener("cancel", (e) => e.preventDefault()); // Escape does not drop the work
    document.body.append(dlg);
    dlg.showModal();
    pass.focus();
  });
}
setUnauthorizedHandler(reloginDialog);

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);

// ---------------------------------------------------------------- login
async function loginPage() {
  const app = currentView;
  const user = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card login",
      onsubmit: async (e) => {
        e.preventDefault();
        msg.textContent = "";
        try {
          const { csrf } = await get("/api/csrf");
          const res = await post("/api/login", { username: user.value, password: pass.value }, { csrf });
          state.user = res.user;
          setCsrf(res.csrf);
          location.hash = "#/";
        } catch (err) {
          msg.textContent = err.message;
        }
      },
    },
    h("h1", { text: "Log in to labelwise" }),
    h("label", {}, "User name", user),
    h("label", {}, "Password", pass),
    h("button", { type: "submit", class: "primary" }, "Log in"),
    msg,
  );
  app.append(form);
  user.focus();
}

// ---------------------------------------------------------------- projects
const PRESETS = {
  "Text classification": { object: { type: "text", field: "text" }, controls: [{ name: "label", type: "choices", labels: ["negative", "positive"], required: true }] },
  "Named entities (spans)": { object: { type: "text", field: "text" }, controls: [{ name: "entities", type: "spans", labels: ["PER", "ORG", "LOC"] }] },
  "Image boxes": { object: { type: "image", field: "image" }, controls: [{ name: "objects", type: "boxes", labels: ["car", "person"] }] },
  "Image polygons": { object: { type: "image", field: "image" }, controls: [{ name: "outline", type: "polygons", labels: ["road", "building"] }] },
  "Audio segments + transcription": { object: { type: "audio", field: "audio" }, controls: [{ name: "segments", type: "segments", labels: ["speech", "noise"], transcription: true }] },
  "Video boxes on keyframes": { object: { type: "video", field: "video" }, controls: [{ name: "tracks", type: "video_boxes", labels: ["person", "ball"] }] },
};

async function projectsPage() {
  const app = currentView;
  const projects = await get("/api/projects");
  const list = h("div", { class: "cards" });
  if (!projects.length) list.append(h("p", { class: "muted", text: state.user.role === "admin" ? "No projects yet: create one below." : "You are not a member of any project yet." }));
  for (const p of projects) {
    list.append(
      h(
        "div",
        { class: "card project-card", dataset: { project: p.id } },
        h("h2", {}, h("a", { href: `#/projects/${p.id}` }, p.name)),
        h("p", { class: "muted", text: `${p.config.object.type} · ${p.config.controls.map((c) => c.type).join(", ")} · overlap ${p.overlap} · ${p.queue_order}` }),
        p.description ? h("p", { text: p.description }) : null,
        h("div", { class: "row" },
          h("a", { class: "button primary", href: `#/projects/${p.id}/label` }, "Label"),
          state.user.role !== "annotator" ? h("a", { class: "button", href: `#/projects/${p.id}/review` }, "Review") : null,
          h("a", { class: "button", href: `#/projects/${p.id}` }, state.user.role !== "annotator" ? "Dashboard" : "My work"),
        ),
      ),
    );
  }
  app.append(h("h1", { text: "Projects" }), list);
  if (state.user.role === "admin") app.append(newProjectForm());
}

function newProjectForm() {
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const desc = h("input", { name: "description" });
  const overlap = h("input", { name: "overlap", type: "number", min: 1, max: 100, value: 1 });
  const order = h("select", { name: "queue_order" }, ["sequential", "random", "uncertainty"].map((o) => h("option", { value: o }, o)));
  const cfg = h("textarea", { name: "config", rows: 10, class: "code", spellcheck: "false" });
  const preset = h("select", { name: "preset", onchange: () => (cfg.value = JSON.stringify(PRESETS[preset.value], null, 2)) }, Object.keys(PRESETS).map((k) => h("option", { value: k }, k)));
  cfg.value = JSON.stringify(PRESETS["Text classification"], null, 2);
  const msg = h("p", { class: "error", role: "alert" });
  return h(
    "form",
    {
      class: "card",
      id: "new-project",
      onsubmit: async (e) => {
        e.preventDefault();
        msg.textContent = "";
        try {
          const p = await post("/api/projects", { name: name.value, description: desc.value, overlap: Number(overlap.value), queue_order: order.value, config: cfg.value });
          location.hash = `#/projects/${p.id}`;
        } catch (err) {
          msg.textContent = err.message;
        }
      },
    },
    h("h2", { text: "New project" }),
    h("div", { class: "grid2" },
      h("label", {}, "Name", name),
      h("label", {}, "Description", desc),
      h("label", {}, "Annotations per task (overlap)", overlap),
      h("label", {}, "Queue order", order),
    ),
    h("label", {}, "Start from", preset),
    h("label", {}, "Label configuration (YAML or JSON)", cfg),
    h("button", { type: "submit", class: "primary" }, "Create project"),
    msg,
  );
}

// ---------------------------------------------------------------- project dashboard
function bar(value, total, colourIndex = 0) {
  const pct = total ? (100 * value) / total : 0;
  return h("div", { class: "bar", title: `${value} / ${total}` }, h("div", { class: "fill", style: { width: `${pct}%`, background: colour(colourIndex) } }));
}

async function projectPage(pid) {
  const app = currentView;
  const p = await get(`/api/projects/${pid}`);
  app.append(
    h("h1", { text: p.name }),
    h("p", { class: "muted", text: p.description || "" }),
    h("div", { class: "row" },
      h("a", { class: "button primary", href: `#/projects/${pid}/label`, id: "start-labeling" }, "Start labeling"),
      p.can_review ? h("a", { class: "button", href: `#/projects/${pid}/review` }, "Review") : null,
      p.can_review ? h("a", { class: "button", href: `#/projects/${pid}/adjudicate` }, "Adjudicate") : null,
      p.can_review ? h("a", { class: "button", href: `#/projects/${pid}/tasks`, id: "browse-tasks" }, "Tasks") : null,
    ),
  );
  if (!p.can_review) return myWork(app, pid);
  const feats = await features();
  const d = await get(`/api/projects/${pid}/dashboard`);
  const prog = d.progress;
  const statusText = Object.entries(prog.annotations).map(([k, v]) => `${v} ${k}`).join(", ") || "none yet";
  app.append(
    h("section", { class: "card", id: "progress" },
      h("h2", { text: "Progress" }),
      bar(prog.complete, prog.tasks, 2),
      h("p", { text: `${prog.complete} of ${prog.tasks} tasks complete · ${prog.gold} adjudicated · ${prog.skipped} skips · annotations: ${statusText}` }),
    ),
  );
  const tp = h("table", { class: "data" }, h("tr", {}, ["annotator", "annotations", "last hour", "last day", "per hour", "mean s/task", "accepted", "rejected", "agreement"].map((t) => h("th", { text: t }))));
  for (const r of d.throughput) {
    const ag = d.agreement.annotators[r.username];
    tp.append(h("tr", {}, [r.username, r.annotations, r.last_hour, r.last_day, r.per_hour ?? "–", r.mean_seconds ?? "–", r.accepted, r.rejected, ag ? fmt(ag.mean_agreement) : "–"].map((v) => h("td", { text: String(v) }))));
  }
  app.append(h("section", { class: "card", id: "throughput" }, h("h2", { text: "Annotators" }), tp));
  const dist = h("section", { class: "card", id: "distribution" }, h("h2", { text: "Label distribution" }));
  for (const [name, counts] of Object.entries(d.distribution)) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    dist.append(h("h3", { text: name }));
    Object.entries(counts).forEach(([label, n], i) => dist.append(h("div", { class: "dist-row" }, h("span", { class: "dist-label", text: label }), bar(n, total, i), h("span", { class: "num", text: String(n) }))));
  }
  app.append(dist);
  const agr = h("section", { class: "card", id: "agreement" }, h("h2", { text: "Agreement" }));
  for (const [name, a] of Object.entries(d.agreement.controls)) {
    const parts = [`${a.type}: mean pairwise agreement ${fmt(a.mean_agreement)} over ${a.tasks_compared} tasks`];
    if ("fleiss_kappa" in a) parts.push(`Fleiss κ ${fmt(a.fleiss_kappa)}`, `Krippendorff α ${fmt(a.krippendorff_alpha)}`);
    agr.append(h("h3", { text: name }), h("p", { text: parts.join(" · ") }));
    if (a.cohen_kappa && Object.keys(a.cohen_kappa).length) {
      agr.append(h("table", { class: "data" }, h("tr", {}, h("th", { text: "pair" }), h("th", { text: "Cohen κ" })), Object.entries(a.cohen_kappa).map(([pair, k]) => h("tr", {}, h("td", { text: pair }), h("td", { text: fmt(k) })))));
    }
  }
  app.append(agr, exportCard(pid, p, feats));
  if (state.user.role === "admin") {
    app.append(importCard(pid, p));
    if (p.config.object.type !== "text") app.append(uploadCard(pid, p));
    app.append(settingsCard(pid, p), await membersCard(pid));
    if (feats.deleteProject) app.append(dangerCard(p));
  }
}

function dangerCard(p) {
  return h(
    "section",
    { class: "card danger-zone", id: "danger" },
    h("h2", { text: "Delete this project" }),
    h("p", { class: "muted", text: "Removes its tasks, annotations, media and members for good. Export first if you need the labels." }),
    h("button", {
      type: "button",
      class: "danger",
      id: "delete-project",
      onclick: async () => {
        const ok = await confirmDialog({ title: `Delete project ${p.name}?`, body: "This cannot be undone.", typed: p.name, action: "Delete the project" });
        if (!ok) return;
        try {
          await del(`/api/projects/${p.id}`);
          toast(`project ${p.name} deleted`);
          location.hash = "#/";
        } catch (err) {
          toast(err.message, "error");
        }
      },
    }, "Delete project…"),
  );
}

async function myWork(app, pid) {
  const res = await get(`/api/projects/${pid}/annotations?mine=true&limit=100`);
  const t = h("table", { class: "data", id: "my-work" }, h("tr", {}, ["item", "status", "review comment", ""].map((x) => h("th", { text: x }))));
  const feats = await features();
  for (const a of res.annotations) {
    // An answer nobody has reviewed yet can be withdrawn by its author (the task goes back).
    const withdraw = feats.deleteAnnotation && a.status === "submitted"
      ? h("button", {
          type: "button",
          class: "link danger",
          onclick: async () => {
            if (!(await confirmDialog({ title: `Withdraw your answer to ${a.item_id}?`, body: "The task goes back to the queue.", action: "Withdraw" }))) return;
            try {
              await del(`/api/annotations/${a.id}`);
              toast("answer withdrawn");
              route();
            } catch (err) {
              toast(err.message, "error");
            }
          },
        }, "withdraw")
      : null;
    t.append(h("tr", { dataset: { annotation: a.id } }, h("td", { text: a.item_id }), h("td", { text: a.status }), h("td", { text: a.review?.comment || "" }), h("td", {}, h("a", { href: `#/projects/${pid}/label/${a.task_id}` }, "open"), " ", withdraw)));
  }
  app.append(h("section", { class: "card" }, h("h2", { text: `My annotations (${res.total})` }), t));
}

function exportCard(pid, p, feats) {
  if (feats && feats.exportFormats) {
    const open = () => exportDialog(pid, p, feats.exportFormats);
    return h("section", { class: "card", id: "export" }, h("h2", { text: "Export" }), h("p", { class: "muted", text: "Download the labels in a format that fits this project." }), h("button", { type: "button", class: "primary", id: "open-export", onclick: open }, "Export…"));
  }
  const fmtSel = h("select", { id: "export-format" }, ["jsonl", "csv", "label_studio", "coco", "yolo", "voc", "conll"].map((f) => h("option", { value: f }, f)));
  const which = h("select", { id: "export-which" }, h("option", { value: "all" }, "every annotation"), h("option", { value: "final" }, "final answer per task"));
  const link = h("a", { class: "button primary", id: "export-link", download: "" }, "Download");
  const upd = () => link.setAttribute("href", `/api/projects/${pid}/export?format=${encodeURIComponent(fmtSel.value)}&which=${encodeURIComponent(which.value)}`);
  fmtSel.addEventListener("change", upd);
  which.addEventListener("change", upd);
  upd();
  return h("section", { class: "card", id: "export" }, h("h2", { text: "Export" }), h("div", { class: "row" }, fmtSel, which, link));
}

function importCard(pid) {
  const file = h("input", { type: "file", name: "file", id: "import-file" });
  const fmtSel = h("select", { name: "fmt" }, ["", "table", "jsonl", "csv", "label_studio", "coco", "yolo", "voc", "conll"].map((f) => h("option", { value: f }, f || "guess from file")));
  const dup = h("select", { name: "on_duplicate" }, ["error", "skip", "merge"].map((f) => h("option", { value: f }, `existing ids: ${f}`)));
  const msg = h("p", { role: "status" });
  return h(
    "form",
    {
      class: "card",
      id: "import",
      onsubmit: async (e) => {
        e.preventDefault();
        if (!file.files.length) return;
        const form = new FormData();
        form.append("file", file.files[0]);
        if (fmtSel.value) form.append("fmt", fmtSel.value);
        form.append("on_duplicate", dup.value);
        msg.textContent = "Importing…";
        try {
          const r = await api("POST", `/api/projects/${pid}/import`, undefined, { form });
          msg.textContent = `Imported ${r.tasks} tasks, ${r.annotations} annotations, ${r.predictions} predictions.` + (r.problems.length ? ` ${r.problems.length} problems: ${r.problems.slice(0, 3).join("; ")}` : "");
        } catch (err) {
          msg.textContent = `Import failed: ${err.message}`;
        }
      },
    },
    h("h2", { text: "Import tasks" }),
    h("p", { class: "muted", text: "CSV/TSV/JSONL/Parquet (one task per row), Label Studio JSON, COCO JSON, a YOLO or VOC zip, or CoNLL. Media referenced by tables must be uploaded first (the Upload media card below, or POST /api/projects/{id}/media), or the project imported from the command line." }),
    h("div", { class: "row" }, file, fmtSel, dup, h("button", { type: "submit", class: "primary" }, "Import")),
    msg,
  );
}

function settingsCard(pid, p) {
  const overlap = h("input", { type: "number", min: 1, max: 100, value: p.overlap });
  const order = h("select", {}, ["sequential", "random", "uncertainty"].map((o) => h("option", { value: o, selected: o === p.queue_order }, o)));
  const msg = h("span", { role: "status" });
  return h(
    "form",
    {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await patch(`/api/projects/${pid}`, { overlap: Number(overlap.value), queue_order: order.value });
          msg.textContent = "Saved.";
        } catch (err) {
          msg.textContent = err.message;
        }
      },
    },
    h("h2", { text: "Queue settings" }),
    h("div", { class: "row" }, h("label", {}, "Overlap", overlap), h("label", {}, "Order", order), h("button", { type: "submit" }, "Save"), msg),
  );
}

async function membersCard(pid) {
  const members = await get(`/api/projects/${pid}/members`);
  const who = h("input", { placeholder: "user name", id: "member-name" });
  const list = h("ul", {}, members.map((u) => h("li", { text: `${u.username} (${u.role})` })));
  const msg = h("span", { role: "status" });
  return h(
    "form",
    {
      class: "card",
      id: "members",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post(`/api/projects/${pid}/members`, { username: who.value });
          list.append(h("li", { text: who.value }));
          who.value = "";
        } catch (err) {
          msg.textContent = err.message;
        }
      },
    },
    h("h2", { text: "Members" }),
    list,
    h("div", { class: "row" }, who, h("button", { type: "submit" }, "Add member"), msg),
  );
}

// ---------------------------------------------------------------- labeling
const HELP = [
  ["1–9", "pick a class / the label for new regions"],
  ["↑ ↓ / Space", "move between choices / toggle"],
  ["Enter", "submit (Ctrl+Enter inside a text box)"],
  ["← →", "previous / next task (with a region selected: act on it, see below)"],
  ["z or Ctrl+Z", "undo (Ctrl+Y redo)"],
  ["Tab", "next control"],
  ["s", "skip this task"],
  ["Escape", "let go of the selection / leave a text box"],
  [", . < >", "spans: move / grow the token cursor · video: step frames (Shift: 10) · boxes, polygons, segments: select the previous / next one"],
  ["← → / Shift+← →", "selected span: move its end / start by a token · selected segment: by 0.1 s (Alt: 0.01 s)"],
  ["+ − 0", "image: zoom in / out / fit (Ctrl+wheel too); Space+drag or Ctrl+arrows pan · audio: zoom the timeline"],
  ["arrows / Alt+arrows", "selected box: move / resize (Shift: 10 px); polygon: move it or its selected vertex"],
  ["[ ]", "polygon: previous / next vertex · audio: mark segment start / end · video: previous / next key frame"],
  ["p w", "audio: play-pause, waveform / spectrogram"],
  ["k o", "video: key frame here / the object leaves here"],
  ["h", "image, video: hide / show the drawn regions"],
  ["Delete", "remove the selected region (or polygon vertex)"],
];

async function labelPage(pid, taskId) {
  const app = currentView;
  const project = await get(`/api/projects/${pid}`);
  const head = h("div", { class: "task-head" });
  const stage = h("div", { class: "task-body" });
  const submitBtn = h("button", { type: "button", class: "primary", id: "submit", onclick: () => submit() }, "Submit ⏎");
  const skipBtn = h("button", { type: "button", id: "skip", onclick: () => skip() }, "Skip (s)");
  const undoBtn = h("button", { type: "button", id: "undo", onclick: () => ws?.undo() }, "Undo (z)");
  const backBtn = h("button", { type: "button", id: "back", onclick: () => back() }, "← Back");
  const help = h("dl", { class: "help hidden" }, HELP.map(([k, v]) => [h("dt", {}, h("kbd", { text: k })), h("dd", { text: v })]));
  app.append(
    h("div", { class: "label-page" },
      h("div", { class: "row spread" }, h("h1", { text: project.config.title || project.name }), h("button", { type: "button", class: "link", onclick: () => help.classList.toggle("hidden") }, "keyboard ?")),
      project.config.instructions ? h("p", { class: "instructions", text: project.config.instructions }) : null,
      help, head, stage,
      h("div", { class: "row actions" }, backBtn, undoBtn, skipBtn, submitBtn),
    ),
  );
  let queue = [];
  let ws = null;
  let current = null; // {task, annotation, submissionId, shownAt}
  const done = []; // submitted in this session: {task_id}
  let backIndex = -1; // position in done when looking back
  let busy = false;

  function show(task, annotation) {
    const initial = annotation ? annotation.result : task.predictions?.[0]?.result || {};
    current = { task, annotation, submissionId: newId(), shownAt: performance.now() };
    ws = createWorkspace(project, task, { initial });
    clear(head).append(
      ...[
      h("span", { class: "item-id", text: `item ${task.item_id}` }),
      h("span", { class: "muted", text: ` · ${task.n_done}/${task.overlap} annotations` }),
      annotation ? h("span", { class: "badge", text: `editing your ${annotation.status} answer` }) : null,
      !annotation && task.predictions?.length
        ? h("span", { class: "badge prelabel", text: `pre-label from ${task.predictions[0].source}${task.predictions[0].score != null ? ` (${fmt(task.predictions[0].score)})` : ""}: accept with Enter or correct it` })
        : null,
      ...(task.review_comments || []).map((c) => h("div", { class: "review-comment" }, h("b", { text: "Reviewer: " }), h("span", { text: c }))),
      ].filter(Boolean),
    );
    clear(stage).append(ws.el);
    queue.slice(1).forEach((t) => preload(project, t));
  }

  async function refill() {
    const res = await get(`/api/projects/${pid}/next?count=2`);
    queue = res.tasks;
    return queue;
  }

  async function showNext() {
    backIndex = -1;
    if (!queue.length) await refill();
    if (!queue.length) {
      ws = null;
      current = null;
      clear(head);
      clear(stage).append(h("div", { class: "card done", id: "all-done" }, h("h2", { text: "All done 🎉" }), h("p", { text: "No tasks are waiting for you in this project." }), h("a", { href: `#/projects/${pid}` }, "Back to the project")));
      return;
    }
    show(queue[0], null);
    // Refresh the prefetch in the background (the current task stays reserved for us).
    refill().then((q) => q.slice(1).forEach((t) => preload(project, t))).catch(() => {});
  }

  async function submit() {
    if (!current || busy) return;
    const missing = ws.missing();
    if (missing.length) return toast(`answer ${missing.join(", ")} first`, "error");
    busy = true;
    const body = { result: ws.getResult(), lead_time: (performance.now() - current.shownAt) / 1000 };
    try {
      let saved;
      if (current.annotation) saved = await put(`/api/annotations/${current.annotation.id}`, body);
      else {
        // The same submission id on a retry: the server stores it once.
        for (let attempt = 0; ; attempt++) {
          try {
            saved = await post(`/api/projects/${pid}/tasks/${current.task.id}/annotations`, { ...body, submission_id: current.submissionId });
            break;
          } catch (e) {
            if (e instanceof ApiError || attempt >= 3) throw e;
            await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
          }
        }
      }
      toast("saved");
      if (!current.annotation) done.push(current.task.id);
      if (backIndex >= 0) {
        backIndex = -1;
        queue = [];
        return showNext();
      }
      queue = queue.filter((t) => t.id !== current.task.id);
      await showNext();
      void saved;
    } catch (e) {
      toast(e.message, "error");
    } finally {
      busy = false;
    }
  }

  async function skip() {
    if (!current || current.annotation) return;
    await post(`/api/projects/${pid}/tasks/${current.task.id}/skip`, {});
    queue = queue.filter((t) => t.id !== current.task.id);
    await showNext();
  }

  async function openTask(id) {
    const task = await get(`/api/projects/${pid}/tasks/${id}`);
    show(task, task.my_annotation);
  }

  async function back() {
    if (!done.length) return toast("nothing to go back to");
    backIndex = backIndex < 0 ? done.length - 1 : Math.max(0, backIndex - 1);
    await openTask(done[backIndex]);
  }

  async function forward() {
    if (backIndex < 0) return;
    if (backIndex < done.length - 1) {
      backIndex += 1;
      await openTask(done[backIndex]);
    } else {
      backIndex = -1;
      queue = [];
      await showNext();
    }
  }

  if (taskId) await openTask(taskId);
  else await showNext();

  return {
    ownsEnter: true,
    key(e) {
      if (ws && ws.key(e)) return true;
      if (e.key === "Enter") {
        submit();
        return true;
      }
      if (e.key === "ArrowLeft" && !e.altKey) {
        back();
        return true;
      }
      if (e.key === "ArrowRight" && !e.altKey) {
        forward();
        return true;
      }
      if (e.key === "s" && !e.ctrlKey && !e.metaKey) {
        skip();
        return true;
      }
      if (e.key === "?") {
        help.classList.toggle("hidden");
        return true;
      }
      return false;
    },
  };
}

// ---------------------------------------------------------------- review
async function reviewPage(pid) {
  const app = currentView;
  const project = await get(`/api/projects/${pid}`);
  const info = h("div", { class: "task-head" });
  const body = h("div", { class: "task-body" });
  const comment = h("input", { id: "review-comment", placeholder: "why (needed to reject)", class: "grow" });
  let items = [];
  let cur = null;
  let ws = null;
  let fixing = false;
  const acceptBtn = h("button", { type: "button", class: "primary", id: "accept", onclick: () => act("accept") }, "Accept (a)");
  const rejectBtn = h("button", { type: "button", id: "reject", onclick: () => act("reject") }, "Reject (r)");
  const fixBtn = h("button", { type: "button", id: "fix", onclick: () => startFix() }, "Fix (f)");
  app.append(
    h("h1", { text: `Review · ${project.name}` }),
    h("p", { class: "muted", text: "a accept · r reject (type a comment, Enter) · f fix, then Enter saves · Ctrl+Z undo while fixing" }),
    info, body,
    h("div", { class: "row actions" }, comment, rejectBtn, fixBtn, acceptBtn),
  );

  async function load() {
    items = (await get(`/api/projects/${pid}/review-queue?limit=20`)).annotations;
    next();
  }
  function next() {
    fixing = false;
    cur = items.shift() || null;
    comment.value = "";
    if (document.activeElement === comment) comment.blur();
    if (!cur) {
      clear(info);
      clear(body).append(h("div", { class: "card done", id: "review-done" }, h("h2", { text: "Nothing to review" }), h("p", { text: "Every submitted annotation has been reviewed." })));
      ws = null;
      return;
    }
    ws = createWorkspace(project, cur.task, { initial: cur.result, readOnly: true });
    clear(info).append(h("span", { class: "item-id", text: `item ${cur.task.item_id}` }), h("span", { class: "muted", text: ` · by ${cur.username}` }));
    clear(body).append(ws.el);
  }
  function startFix() {
    if (!cur) return;
    fixing = true;
    ws = createWorkspace(project, cur.task, { initial: ws.getResult() });
    clear(body).append(ws.el);
    info.append(h("span", { class: "badge", text: "fixing: Enter saves" }));
  }
  let acting = false;
  async function act(action) {
    if (!cur || acting) return;
    if (action === "reject" && !comment.value.trim()) {
      comment.focus();
      return toast("write why you reject it, then press Enter", "error");
    }
    const target = cur;
    acting = true;
    try {
      await post(`/api/annotations/${target.id}/review`, { action, comment: comment.value, result: action === "fix" ? ws.getResult() : undefined });
      toast(`${action}ed`);
      // The comment belonged to that annotation: leave the box so the next keys are shortcuts
      // again (and the next Enter cannot reject the next annotation with a stale comment).
      if (document.activeElement === comment || rejectBtn.contains(document.activeElement)) document.activeElement.blur();
      if (cur !== target) return;
      if (!items.length) await load();
      else next();
    } catch (e) {
      toast(e.message, "error");
    } finally {
      acting = false;
    }
  }
  comment.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing && !e.repeat) {
      e.preventDefault();
      act("reject");
    }
  });
  await load();
  return {
    ownsEnter: true,
    key(e) {
      if (fixing) {
        if (ws && ws.key(e)) return true;
        if (e.key === "Enter") {
          act("fix");
          return true;
        }
        return false;
      }
      if (ws && ws.ctx.stage?.key?.(e)) return true; // zoom and pan while reviewing
      if (e.key === "a") return act("accept"), true;
      if (e.key === "r") return comment.focus(), true;
      if (e.key === "f") return startFix(), true;
      return false;
    },
  };
}

// ---------------------------------------------------------------- adjudication
async function adjudicatePage(pid) {
  const app = currentView;
  const project = await get(`/api/projects/${pid}`);
  const listBox = h("div", { class: "card" });
  const detail = h("div", { id: "adjudication" });
  app.append(h("h1", { text: `Disagreements · ${project.name}` }), listBox, detail);
  let finalWs = null;
  let open = null;
  const rows = (await get(`/api/projects/${pid}/disagreements?limit=200`)).tasks;
  if (!rows.length) listBox.append(h("p", { id: "no-disagreements", text: "No disagreements: every task with several annotations agrees." }));
  else {
    listBox.append(
      h("table", { class: "data" },
        h("tr", {}, ["item", "annotations", "agreement", "adjudicated", ""].map((t) => h("th", { text: t }))),
        rows.map((r) => h("tr", {}, h("td", { text: r.item_id }), h("td", { text: String(r.n) }), h("td", { text: fmt(r.agreement) }), h("td", { text: r.adjudicated ? "yes" : "" }), h("td", {}, h("button", { type: "button", class: "link", onclick: () => openTask(r.task_id) }, "adjudicate")))),
      ),
    );
  }
  async function openTask(tid) {
    const task = await get(`/api/projects/${pid}/tasks/${tid}`);
    open = task;
    const cols = task.annotations.filter((a) => a.status !== "rejected").map((a) => {
      const w = createWorkspace(project, task, { initial: a.result, readOnly: true });
      return h("div", { class: "adj-col" }, h("h3", { text: `${a.username} (${a.status})` }), w.el, h("button", { type: "button", onclick: () => finalWs.setResult(a.result) }, "use this answer"));
    });
    const start = task.gold || task.annotations[0]?.result || {};
    finalWs = createWorkspace(project, task, { initial: start });
    clear(detail).append(
      h("h2", { text: `item ${task.item_id}` }),
      h("div", { class: "adj-grid" }, cols),
      h("div", { class: "card" }, h("h3", { text: "Final answer (gold)" }), finalWs.el, h("button", { type: "button", class: "primary", id: "save-gold", onclick: saveGold }, "Save as gold ⏎")),
    );
  }
  async function saveGold() {
    if (!open) return;
    await put(`/api/projects/${pid}/tasks/${open.id}/gold`, { result: finalWs.getResult() });
    toast("gold saved");
  }
  return {
    ownsEnter: true,
    key(e) {
      if (finalWs && finalWs.key(e)) return true;
      if (e.key === "Enter" && open) {
        saveGold();
        return true;
      }
      return false;
    },
  };
}

// ---------------------------------------------------------------- users (admin)
async function usersPage() {
  const app = currentView;
  const users = await get("/api/users");
  const feats = await features();
  const t = h("table", { class: "data", id: "users" }, h("tr", {}, ["user", "role", "active", ""].map((x) => h("th", { text: x }))));
  const userPath = (u) => {
    // The delete route names the user by id or by name: fill in whichever it asks for.
    const param = feats.deleteUser.match(/\{([^}]+)\}/)[1];
    return feats.deleteUser.replace(`{${param}}`, encodeURIComponent(/name/.test(param) ? u.username : u.id));
  };
  const removeUser = async (u) => {
    const ok = await confirmDialog({ title: `Delete user ${u.username}?`, body: "Their sessions, tokens and memberships go too. Someone with annotations or reviews cannot be deleted: you will be offered to deactivate them instead.", action: "Delete user" });
    if (!ok) return;
    try {
      await del(userPath(u));
      toast(`user ${u.username} deleted`);
      route();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) return toast(err.message, "error");
      // They have work that must keep its author: offer to deactivate them instead.
      const off = await confirmDialog({ title: `Deactivate ${u.username} instead?`, body: `${err.message}. A deactivated user cannot log in; their work stays credited to them.`, action: "Deactivate" });
      if (!off) return;
      try {
        await patch(`/api/users/${u.id}`, { active: false });
        toast(`user ${u.username} deactivated`);
        route();
      } catch (err2) {
        toast(err2.message, "error");
      }
    }
  };
  users.forEach((u) =>
    t.append(
      h("tr", { dataset: { user: u.username } },
        h("td", { text: u.username }), h("td", { text: u.role }), h("td", { text: u.active ? "yes" : "no" }),
        h("td", {}, feats.deleteUser && u.username !== state.user.username ? h("button", { type: "button", class: "link danger", onclick: () => removeUser(u) }, "delete") : null),
      ),
    ),
  );
  const name = h("input", { required: true, id: "new-user-name" });
  const pw = h("input", { type: "password", required: true, minlength: 8, id: "new-user-password" });
  const role = h("select", { id: "new-user-role" }, ["annotator", "reviewer", "admin"].map((r) => h("option", { value: r }, r)));
  const msg = h("span", { role: "status" });
  app.append(
    h("h1", { text: "Users" }),
    t,
    h("form", {
      class: "card",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post("/api/users", { username: name.value, password: pw.value, role: role.value });
          route();
        } catch (err) {
          msg.textContent = err.message;
        }
      },
    }, h("h2", { text: "Add user" }), h("div", { class: "row" }, name, pw, role, h("button", { type: "submit" }, "Add"), msg)),
  );
}
