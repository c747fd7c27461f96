// The REST client the UI uses: JSON in/out, CSRF header on writes, readable errors.
let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = {};
  if (csrf && method !== "GET") headers["X-CSRF-Token"] = opts.csrf || csrf;
  else if (opts.csrf) headers["X-CSRF-Token"] = opts.csrf;
  let payload;
  if (opts.form) payload = opts.form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    try {
      const j = await r.json();
      detail = j.detail || detail;
    } catch (_) {
      /* not JSON */
    }
    throw new ApiError(r.status, detail);
  }
  if (opts.raw) return r;
  return r.json();
}

export const get = (path) => api("GET", path);
export const post = (path, body, opts) => api("POST", path, body, opts);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);

export function mediaUrl(projectId, value) {
  if (typeof value !== "string") return "";
  if (/^https?:\/\//i.test(value)) return value;
  return `/api/projects/${projectId}/media/` + value.split("/").map(encodeURIComponent).join("/");
}

export function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
