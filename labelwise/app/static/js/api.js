// The REST client the UI uses: JSON in/out, CSRF header on writes, readable errors.
let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

// Called on a 401 from a logged-in page: resolves true once the user has logged in again (the
// request is then sent once more), false to give up. Set by main.js (a login dialog).
let onUnauthorized = null;
let relogin = null; // the login in progress, shared by every request that hit the 401
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
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
  if (r.status === 401 && onUnauthorized && !opts.noRelogin) {
    if (!relogin) relogin = Promise.resolve(onUnauthorized()).finally(() => (relogin = null));
    if (await relogin) return api(method, path, body, { ...opts, csrf: undefined, noRelogin: true });
  }
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
export const del = (path) => api("DELETE", path);

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
