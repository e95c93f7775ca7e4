/** A few DOM helpers: the page is plain TypeScript, no framework. */

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/** `h("button", { class: "btn", onclick: go }, "Go")`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else if (typeof value === "string") element.setAttribute(name, value);
  }
  element.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return element;
}

/** The element with this id, of the type the page's markup gives it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

const SVG = "http://www.w3.org/2000/svg";

/** Line icons, 24×24, drawn with the text colour. */
const ICONS = {
  folder: "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  file: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5",
  download: "M12 4v11m0 0-4-4m4 4 4-4M5 20h14",
  share: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  versions: "M12 7v5l3 2M3 12a9 9 0 1 0 3-6.7L3 8m0-5v5h5",
  trash: "M4 7h16M9 7V4h6v3m-8 0 1 13h8l1-13",
  purge: "M4 7h16M9 7V4h6v3m-8 0 1 13h8l1-13M10 11l4 5m0-5-4 5",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6",
  plus: "M12 5v14M5 12h14",
  home: "M4 11 12 4l8 7v9h-5v-6H9v6H4z",
  copy: "M9 9h10v10H9zM5 15V5h10",
  close: "M6 6l12 12M18 6 6 18",
  info: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 11v6M12 7.5v.5",
} as const;

export type IconName = keyof typeof ICONS;

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `icon icon-${name}`);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/** A button with an icon and a label; `data-action` names it for scripts and tests. */
export function actionButton(
  name: IconName,
  label: string,
  action: string,
  onClick: () => void,
  className = "btn btn-quiet",
): HTMLButtonElement {
  return h(
    "button",
    { type: "button", class: className, "data-action": action, title: label, onclick: onClick },
    icon(name),
    h("span", { class: "label" }, label),
  );
}

/** A short-lived message at the bottom of the page, with an optional action (Undo). */
export function toast(text: string, action?: { label: string; run: () => void }): void {
  const box = byId("toasts");
  const item = h("div", { class: "toast", role: "status" }, h("span", {}, text));
  const dismiss = () => item.remove();
  if (action) {
    item.append(
      h(
        "button",
        {
          type: "button",
          class: "btn btn-link",
          onclick: () => {
            dismiss();
            action.run();
          },
        },
        action.label,
      ),
    );
  }
  item.append(
    h(
      "button",
      { type: "button", class: "btn btn-icon", "aria-label": "Dismiss", onclick: dismiss },
      icon("close"),
    ),
  );
  box.append(item);
  // Messages with an action stay long enough to act on them.
  setTimeout(dismiss, action ? 12_000 : 6_000);
}
