// A modal confirmation with optional fields; resolves to the field values, or null if cancelled.
import { h } from "./dom.js";

export function confirmDialog({ title, message, fields = [], confirm = "Confirm", danger = false,
  validate = () => null }) {
  return new Promise((resolve) => {
    const inputs = {};
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const rows = fields.map((f) => {
      const id = `dlg-${f.name}`;
      let input;
      if (f.type === "textarea") {
        input = h("textarea", { id, name: f.name, rows: 6, value: f.value ?? "", spellcheck: false });
      } else if (f.type === "checkbox") {
        input = h("input", { id, name: f.name, type: "checkbox", checked: !!f.value });
      } else {
        input = h("input", { id, name: f.name, type: "text", value: f.value ?? "",
          placeholder: f.placeholder ?? "" });
      }
      inputs[f.name] = input;
      return f.type === "checkbox"
        ? h("label", { class: "check" }, input, " ", f.label)
        : h("label", { for: id }, f.label, input);
    });
    const dialog = h("dialog", { class: "confirm", "aria-label": title });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const ok = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirm);
    const form = h("form", {
      method: "dialog",
      onsubmit: (ev) => {
        ev.preventDefault();
        const values = {};
        for (const [k, el] of Object.entries(inputs)) {
          values[k] = el.type === "checkbox" ? el.checked : el.value;
        }
        const problem = validate(values);
        if (problem) {
          error.textContent = problem;
          error.hidden = false;
          return;
        }
        close(values);
      },
    },
    h("h3", {}, title),
    message ? h("p", {}, message) : null,
    rows,
    error,
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "cancel", onclick: () => close(null) }, "Cancel"),
      ok));
    dialog.append(form);
    dialog.addEventListener("cancel", (ev) => { ev.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
    (fields.length ? inputs[fields[0].name] : ok).focus();
  });
}
