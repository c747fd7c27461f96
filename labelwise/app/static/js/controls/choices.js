// Single- or multiple-choice classification: number keys pick, arrows move the focus ring.
import { h, colour } from "../dom.js";

export function createChoices(control, ctx) {
  let value = control.multiple ? [] : null;
  let focus = 0;
  const buttons = control.labels.map((label, i) =>
    h(
      "button",
      {
        type: "button",
        class: "choice",
        dataset: { label },
        style: { "--c": colour(i) },
        disabled: ctx.readOnly,
        onclick: () => pick(i),
      },
      h("kbd", { text: i < 9 ? String(i + 1) : "" }),
      h("span", { text: label }),
    ),
  );
  const el = h("div", { class: "choices", role: control.multiple ? "group" : "radiogroup" }, buttons);

  function render() {
    buttons.forEach((b, i) => {
      const on = control.multiple ? value.includes(control.labels[i]) : value === control.labels[i];
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("focus", i === focus);
    });
  }

  function pick(i) {
    if (ctx.readOnly || i < 0 || i >= control.labels.length) return;
    const label = control.labels[i];
    if (control.multiple) value = value.includes(label) ? value.filter((x) => x !== label) : [...value, label];
    else value = value === label ? null : label;
    focus = i;
    render();
    ctx.changed();
  }

  render();
  return {
    el,
    get: () => (control.multiple ? (value.length ? [...value] : undefined) : value ?? undefined),
    set(v) {
      value = control.multiple ? (Array.isArray(v) ? [...v] : v ? [v] : []) : v ?? null;
      render();
    },
    key(e) {
      if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        pick(Number(e.key) - 1);
        return true;
      }
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        focus = (focus + (e.key === "ArrowDown" ? 1 : -1) + control.labels.length) % control.labels.length;
        render();
        return true;
      }
      if (e.key === " ") {
        pick(focus);
        return true;
      }
      return false;
    },
  };
}
