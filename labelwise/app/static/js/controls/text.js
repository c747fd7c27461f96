// Free-text answer. While typing, shortcuts are off; Ctrl+Enter submits, Escape leaves the box.
import { h } from "../dom.js";

export function createText(control, ctx) {
  const area = h("textarea", {
    class: "free-text",
    rows: 3,
    placeholder: control.description || "Type here… (Ctrl+Enter submits, Esc leaves)",
    disabled: ctx.readOnly,
    "aria-label": control.name,
    oninput: () => ctx.changed(),
  });
  return {
    el: area,
    get: () => (area.value === "" ? undefined : area.value),
    set(v) {
      area.value = typeof v === "string" ? v : "";
    },
    key(e) {
      if (e.key === "Enter" && !e.ctrlKey) {
        // Enter on the text control focuses it instead of submitting.
        area.focus();
        return true;
      }
      return false;
    },
    activate(on) {
      if (on) area.focus();
    },
  };
}
