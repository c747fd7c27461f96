// A small, offline renderer of the app's OpenAPI document (no CDN assets needed).
import { h, clear } from "./dom.js";

function schemaText(schema, spec, depth = 0) {
  if (!schema) return "";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    const target = spec.components?.schemas?.[name];
    return depth > 1 || !target ? name : schemaText(target, spec, depth + 1);
  }
  if (schema.anyOf) return schema.anyOf.map((s) => schemaText(s, spec, depth)).join(" | ");
  if (schema.type === "array") return `[${schemaText(schema.items, spec, depth)}]`;
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required || []);
    return "{ " + Object.entries(schema.properties).map(([k, v]) => `${k}${req.has(k) ? "" : "?"}: ${schemaText(v, spec, depth + 1)}`).join(", ") + " }";
  }
  return schema.type || "any";
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  const root = clear(document.getElementById("docs"));
  root.append(
    h("h1", { text: `${spec.info.title} (v${spec.info.version})` }),
    h("p", { text: spec.info.description || "" }),
  );
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      (byTag[(op.tags || ["other"])[0]] ||= []).push([method.toUpperCase(), path, op]);
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    const sec = h("section", { class: "card" }, h("h2", { text: tag }));
    for (const [method, path, op] of ops) {
      const params = (op.parameters || []).map((p) => h("li", {}, h("code", { text: p.name }), ` (${p.in}${p.required ? ", required" : ""}): ${schemaText(p.schema, spec)}`, p.description ? ` — ${p.description}` : ""));
      const body = op.requestBody?.content;
      const bodyText = body ? Object.entries(body).map(([type, c]) => `${type}: ${schemaText(c.schema, spec)}`).join("; ") : null;
      sec.append(
        h("div", { class: "endpoint" },
          h("h3", {}, h("code", { class: `method ${method.toLowerCase()}`, text: method }), " ", h("code", { text: path }), " — ", op.summary || ""),
          params.length ? h("ul", {}, params) : null,
          bodyText ? h("p", {}, h("b", { text: "Body: " }), h("code", { text: bodyText })) : null,
        ),
      );
    }
    root.append(sec);
  }
}
main();
