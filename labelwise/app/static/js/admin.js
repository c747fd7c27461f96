// Admin and lead screens: the task browser (filters, paging, keyboard), deleting things behind
// a confirmation, media upload, and the export dialog.
import { h, clear, toast, fmt } from "./dom.js";
import { api, get, post, del } from "./api.js";
import { createWorkspace } from "./workspace.js";

// ---------------------------------------------------------------- confirmation
// A modal asking before something is destroyed. With `typed`, the user must type that text
// (e.g. the project's name) before the button works. Resolves true when confirmed.
export function confirmDialog({ title, body, action = "Delete", typed = null }) {
  return new Promise((resolve) => {
    const input = typed ? h("input", { id: "confirm-typed", autocomplete: "off", "aria-label": `type ${typed} to confirm` }) : null;
    const go = h("button", { type: "submit", class: "primary danger-fill", id: "confirm-yes", disabled: !!typed }, action);
    const dlg = h(
      "dialog",
      { id: "confirm", class: "card", "aria-labelledby": "confirm-title" },
      h(
        "form",
        {
          method: "dialog",
          onsubmit: (e) => {
            e.preventDefault();
            if (typed && input.value !== typed) return;
            finish(true);
          },
        },
        h("h2", { id: "confirm-title", text: title }),
        h("p", { text: body }),
        typed ? h("label", {}, `Type ${typed} to confirm`, input) : null,
        h("div", { class: "row" }, go, h("button", { type: "button", id: "confirm-no", onclick: () => finish(false) }, "Cancel (Esc)")),
      ),
    );
    if (input) input.addEventListener("input", () => (go.disabled = input.value !== typed));
    function finish(ok) {
      dlg.close();
      dlg.remove();
      resolve(ok);
    }
    dlg.addEventListener("cancel", (e) => {
      e.preventDefault();
      finish(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    (input || go).focus();
  });
}

// ---------------------------------------------------------------- media upload
const ACCEPT = { image: "image/*", audio: "audio/*", video: "video/*" };

// Upload media files into the project (two at a time) and, if asked, make one task per file.
// Every file's outcome is listed; failures are named, never dropped.
export function uploadCard(pid, project) {
  const type = project.config.object.type;
  const field = project.config.object.field;
  const files = h("input", { type: "file", multiple: true, id: "upload-files", accept: ACCEPT[type] || "" });
  const makeTasks = h("input", { type: "checkbox", id: "upload-tasks", checked: true });
  const list = h("ul", { class: "upload-list", id: "upload-list" });
  const msg = h("p", { role: "status", id: "upload-status" });
  const drop = h("div", { class: "drop", text: "…or drop files here" });
  let pending = [];
  const pick = (fl) => {
    pending = [...fl];
    msg.textContent = pending.length ? `${pending.length} file(s) chosen` : "";
  };
  files.addEventListener("change", () => pick(files.files));
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    pick(e.dataTransfer.files);
  });

  async function upload(e) {
    e.preventDefault();
    if (!pending.length) return (msg.textContent = "Choose files first.");
    clear(list);
    const done = [];
    const failed = [];
    let next = 0;
    const rows = pending.map((f) => {
      const li = h("li", { dataset: { file: f.name } }, h("span", { text: `${f.name} · ${(f.size / 1024).toFixed(0)} KB · ` }), h("span", { class: "state", text: "waiting" }));
      list.append(li);
      return li;
    });
    const worker = async () => {
      while (next < pending.length) {
        const i = next++;
        const f = pending[i];
        const state = rows[i].querySelector(".state");
        state.textContent = "uploading…";
        const form = new FormData();
        form.append("file", f, f.name);
        if (makeTasks.checked) form.append("add_task", "true");
        try {
          const r = await api("POST", `/api/projects/${pid}/media`, undefined, { form });
          done.push(r);
          const existed = r.task && r.task.skipped && r.task.skipped.length;
          state.textContent = makeTasks.checked ? (existed ? "uploaded (the task already existed)" : "uploaded, task added") : "uploaded";
          state.className = "state ok";
        } catch (err) {
          failed.push(`${f.name}: ${err.message}`);
          state.textContent = err.message;
          state.className = "state bad";
        }
      }
    };
    msg.textContent = `Uploading ${pending.length} file(s)…`;
    await Promise.all([worker(), worker()]);
    const made = makeTasks.checked ? ` Created ${done.reduce((n, r) => n + (r.task ? r.task.tasks : 0), 0)} task(s).` : "";
    msg.textContent = `Uploaded ${done.length} of ${pending.length} file(s).${made}` + (failed.length ? ` ${failed.length} failed: ${failed.join("; ")}` : "");
    msg.className = failed.length ? "error" : "";
    toast(failed.length ? `${failed.length} upload(s) failed` : `uploaded ${done.length} file(s)`, failed.length ? "error" : "info");
    pending = [];
    files.value = "";
  }

  return h(
    "form",
    { class: "card", id: "upload", onsubmit: upload },
    h("h2", { text: "Upload media" }),
    h("p", { class: "muted", text: type === "text" ? "This is a text project: import a table instead." : `Add ${type} files to this project (kept on the server); each can become a task.` }),
    h("div", { class: "row" }, files, drop, h("label", { class: "inline" }, makeTasks, " one task per file"), h("button", { type: "submit", class: "primary", disabled: type === "text" }, "Upload")),
    list,
    msg,
  );
}

// ---------------------------------------------------------------- task browser
const PAGE = 50;

// The task browser: every task of a project with filters, paging and the keyboard
// (j/k or ↑/↓ move, Enter opens, x chooses, Delete removes, ←/→ change page, / searches).
export async function taskBrowserPage(app, state, pid, features) {
  const project = await get(`/api/projects/${pid}`);
  const isAdmin = state.user.role === "admin";
  const members = await get(`/api/projects/${pid}/members`).catch(() => []);
  const labels = [...new Set(project.config.controls.flatMap((c) => c.labels || []))];
  const status = h("select", { id: "f-status" }, [["", "any status"], ["open", "open"], ["complete", "complete"], ...(features.richFilters ? [["unannotated", "no annotations yet"], ["gold", "adjudicated (gold)"], ["no_gold", "not adjudicated"], ["skipped", "skipped by someone"]] : [])].map(([v, t]) => h("option", { value: v }, t)));
  const annotator = h("select", { id: "f-annotator" }, h("option", { value: "" }, "any annotator"), members.map((m) => h("option", { value: m.username }, m.username)));
  const label = h("select", { id: "f-label" }, h("option", { value: "" }, "any label"), labels.map((l) => h("option", { value: l }, l)));
  const q = h("input", { id: "f-q", type: "search", placeholder: "search item id and text (/)", class: "grow" });
  const table = h("table", { class: "data tasks", id: "task-table" });
  const pager = h("div", { class: "row" });
  const detail = h("div", { id: "task-detail" });
  const filters = h(
    "form",
    { class: "filters card", id: "task-filters", onsubmit: (e) => { e.preventDefault(); offset = 0; load(); } },
    h("label", {}, "Status", status),
    features.richFilters ? h("label", {}, "Annotator", annotator) : null,
    features.richFilters ? h("label", {}, "Label", label) : null,
    features.richFilters ? h("label", { class: "grow" }, "Search", q) : null,
    h("button", { type: "submit" }, "Filter"),
  );
  [status, annotator, label].forEach((s) => s.addEventListener("change", () => { offset = 0; load(); }));
  app.append(
    h("div", { class: "row spread" }, h("h1", { text: `Tasks · ${project.name}` }), h("a", { href: `#/projects/${pid}` }, "← dashboard")),
    h("p", { class: "muted", text: "j/k or ↑/↓ move · Enter opens · ←/→ page · / search" + (isAdmin ? " · x chooses · Delete removes the chosen tasks (or the one under the cursor)" : "") }),
    filters,
    h("div", { class: "browser" }, h("div", {}, table, pager), detail),
  );

  let offset = 0;
  let rows = [];
  const picked = new Map(); // task id -> row, chosen for a bulk delete (x / the checkboxes)
  let total = 0;
  let cursor = 0;
  let open = null;

  async function load() {
    const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    if (status.value) params.set("status", status.value);
    if (features.richFilters) {
      if (annotator.value) params.set("annotator", annotator.value);
      if (label.value) params.set("label", label.value);
      if (q.value.trim()) params.set("q", q.value.trim());
    }
    const res = await get(`/api/projects/${pid}/tasks?${params}`);
    rows = res.tasks;
    total = res.total;
    cursor = Math.min(cursor, Math.max(0, rows.length - 1));
    render();
  }

  function render() {
    clear(table).append(
      h("tr", {}, [isAdmin ? "✓" : "", "item", "done", "annotators", "status", "gold", ""].map((x) => h("th", { text: x }))),
      ...rows.map((r, i) =>
        h(
          "tr",
          { class: i === cursor ? "cursor" : "", dataset: { task: r.id }, onclick: () => { cursor = i; render(); openTask(r.id); } },
          h("td", {}, isAdmin ? h("input", { type: "checkbox", class: "pick", "aria-label": `choose ${r.item_id}`, checked: picked.has(r.id), onclick: (e) => { e.stopPropagation(); toggle(r); } }) : null),
          h("td", { text: r.item_id }),
          h("td", { text: `${r.n_done}/${r.overlap}` }),
          h("td", { class: "annotators", text: (r.annotators || []).map((a) => (a.status === "submitted" ? a.username : `${a.username} (${a.status})`)).join(", ") }),
          h("td", { text: r.complete ? "complete" : "open" }),
          h("td", { text: r.has_gold ? "yes" : "" }),
          h("td", {}, isAdmin && features.deletes ? h("button", { type: "button", class: "link danger", title: "delete this task", onclick: (e) => { e.stopPropagation(); removeTask(r); } }, "delete") : null),
        ),
      ),
    );
    if (!rows.length) table.append(h("tr", {}, h("td", { colspan: 7, class: "muted", text: "No task matches these filters." })));
    const last = Math.min(total, offset + rows.length);
    clear(pager).append(
      isAdmin && features.deletes && picked.size
        ? h("button", { type: "button", class: "danger", id: "delete-picked", onclick: () => removePicked() }, `Delete ${picked.size} chosen task(s)…`)
        : null,
      h("button", { type: "button", id: "prev-page", disabled: offset === 0, onclick: () => page(-1) }, "← previous"),
      h("span", { id: "page-info", text: total ? `${offset + 1}–${last} of ${total}` : "0 tasks" }),
      h("button", { type: "button", id: "next-page", disabled: offset + PAGE >= total, onclick: () => page(1) }, "next →"),
    );
    table.querySelector("tr.cursor")?.scrollIntoView({ block: "nearest" });
  }

  function page(dir) {
    const to = offset + dir * PAGE;
    if (to < 0 || to >= total) return;
    offset = to;
    cursor = 0;
    load();
  }

  async function openTask(tid) {
    const task = await get(`/api/projects/${pid}/tasks/${tid}`);
    open = task;
    const anns = task.annotations || [];
    const view = h("div", { class: "preview" });
    const show = (a) => {
      const ws = createWorkspace(project, task, { initial: a ? a.result : task.gold || {}, readOnly: true });
      clear(view).append(ws.el);
    };
    const annList = h(
      "table",
      { class: "data", id: "task-annotations" },
      h("tr", {}, ["annotator", "status", "lead s", ""].map((x) => h("th", { text: x }))),
      anns.map((a) =>
        h(
          "tr",
          { dataset: { annotation: a.id } },
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => show(a) }, a.username)),
          h("td", { text: a.status }),
          h("td", { text: a.lead_time != null ? fmt(a.lead_time, 1) : "–" }),
          h("td", {}, isAdmin && features.deleteAnnotation ? h("button", { type: "button", class: "link danger", onclick: () => removeAnnotation(a) }, "delete") : null),
        ),
      ),
    );
    clear(detail).append(
      h(
        "section",
        { class: "card" },
        h("div", { class: "row spread" }, h("h2", { text: `item ${task.item_id}` }), h("a", { class: "button", href: `#/projects/${pid}/label/${task.id}` }, "open in the labeling view")),
        anns.length ? annList : h("p", { class: "muted", text: "No annotations yet." }),
        task.gold ? h("p", { class: "badge", text: "adjudicated (gold) answer set" }) : null,
        view,
      ),
    );
    show(anns[0] || null);
  }

  async function removeTask(r) {
    if (!isAdmin) return;
    if (!features.deletes) return toast("this server cannot delete tasks yet", "error");
    const ok = await confirmDialog({ title: `Delete task ${r.item_id}?`, body: `The task and its ${r.n_done} annotation(s) are removed for good. Exports made before keep them.` });
    if (!ok) return;
    try {
      await del(`/api/projects/${pid}/tasks/${r.id}`);
      toast(`task ${r.item_id} deleted`);
      if (open && open.id === r.id) clear(detail);
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function toggle(r) {
    if (picked.has(r.id)) picked.delete(r.id);
    else picked.set(r.id, r);
    render();
  }

  async function removePicked() {
    const ids = [...picked.keys()];
    const names = [...picked.values()].map((r) => r.item_id);
    const ok = await confirmDialog({ title: `Delete ${ids.length} task(s)?`, body: `${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""} and their annotations are removed for good.` });
    if (!ok) return;
    try {
      const res = await post(`/api/projects/${pid}/tasks/delete`, { ids });
      toast(`${res.deleted} task(s) deleted`);
      picked.clear();
      clear(detail);
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function removeAnnotation(a) {
    const ok = await confirmDialog({ title: `Delete ${a.username}'s annotation?`, body: "The task goes back to the queue if it needs another answer." });
    if (!ok) return;
    try {
      await del(`/api/annotations/${a.id}`);
      toast("annotation deleted");
      await load();
      await openTask(open.id);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  await load();
  return {
    key(e) {
      if (e.key === "j" || e.key === "ArrowDown") {
        cursor = Math.min(rows.length - 1, cursor + 1);
        render();
        return true;
      }
      if (e.key === "k" || e.key === "ArrowUp") {
        cursor = Math.max(0, cursor - 1);
        render();
        return true;
      }
      if (e.key === "Enter" && rows[cursor] && !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) {
        openTask(rows[cursor].id);
        return true;
      }
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        page(e.key === "ArrowRight" ? 1 : -1);
        return true;
      }
      if (e.key === "x" && rows[cursor] && isAdmin) {
        toggle(rows[cursor]);
        return true;
      }
      if (e.key === "Delete" && isAdmin && features.deletes && (picked.size || rows[cursor])) {
        if (picked.size) removePicked();
        else removeTask(rows[cursor]);
        return true;
      }
      if (e.key === "/") {
        (features.richFilters ? q : status).focus();
        return true;
      }
      return false;
    },
  };
}

// ---------------------------------------------------------------- export
// The export dialog: only the formats that fit this project can be picked (the others are
// listed underneath with the reason); ↑/↓ choose, Enter downloads, Escape closes.
export async function exportDialog(pid, project, path) {
  const res = await get(path.replace("{pid}", String(pid)));
  const formats = res.formats || [];
  const fit = formats.filter((f) => f.fits);
  const unfit = formats.filter((f) => !f.fits);
  let cursor = 0;
  const which = h("select", { id: "export-which" }, h("option", { value: "all" }, "every annotation"), h("option", { value: "final" }, "final answer per task (gold, else the accepted one)"));
  const radios = fit.map((f, i) =>
    h(
      "li",
      { dataset: { format: f.name } },
      h("input", { type: "radio", name: "export-format", id: `fmt-${f.name}`, value: f.name, checked: i === 0 }),
      h("label", { for: `fmt-${f.name}`, class: "inline" }, h("b", { text: f.name }), f.zip ? h("span", { class: "muted", text: " (zip)" }) : null),
      h("span", { class: "muted", text: f.description || "" }),
    ),
  );
  const link = h("a", { class: "button primary", id: "export-download", download: "" }, "Download ⏎");
  const update = () => {
    radios.forEach((li, i) => li.classList.toggle("cursor", i === cursor));
    const f = fit[cursor];
    if (f) link.setAttribute("href", `/api/projects/${pid}/export?format=${encodeURIComponent(f.name)}&which=${encodeURIComponent(which.value)}`);
  };
  radios.forEach((li, i) => li.querySelector("input").addEventListener("change", () => { cursor = i; update(); }));
  which.addEventListener("change", update);
  const dlg = h(
    "dialog",
    { id: "export-dialog", class: "card wide", "aria-labelledby": "export-title" },
    h("h2", { id: "export-title", text: `Export ${project.name}` }),
    fit.length ? h("ul", { class: "export-list", role: "radiogroup" }, radios) : h("p", { class: "error", text: "No export format fits this project's controls." }),
    h("label", {}, "Which annotations", which),
    unfit.length
      ? h("details", { class: "muted" }, h("summary", { text: `${unfit.length} other format(s) do not fit this project` }), h("ul", { class: "export-list" }, unfit.map((f) => h("li", { class: "unfit", dataset: { format: f.name } }, h("b", { text: f.name }), h("span", { text: f.reason || "" })))))
      : null,
    h("div", { class: "row" }, fit.length ? link : null, h("button", { type: "button", id: "export-close", onclick: () => close() }, "Close (Esc)")),
  );
  function close() {
    dlg.close();
    dlg.remove();
  }
  link.addEventListener("click", () => setTimeout(close, 0));
  dlg.addEventListener("cancel", (e) => {
    e.preventDefault();
    close();
  });
  dlg.addEventListener("keydown", (e) => {
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && e.target.tagName !== "SELECT") {
      cursor = (cursor + (e.key === "ArrowDown" ? 1 : -1) + fit.length) % fit.length;
      radios[cursor].querySelector("input").checked = true;
      radios[cursor].querySelector("input").focus();
      update();
      e.preventDefault();
    } else if (e.key === "Enter" && fit.length && e.target.tagName !== "SELECT" && e.target.tagName !== "BUTTON" && e.target.tagName !== "SUMMARY") {
      e.preventDefault();
      link.click();
    }
  });
  update();
  document.body.append(dlg);
  dlg.showModal();
  radios[0]?.querySelector("input").focus();
}
