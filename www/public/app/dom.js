// Small DOM helpers shared by the client's views: building elements without
// innerHTML (mail text never becomes markup in the page), the icon set, and the
// live region that tells assistive technology what an action did.

/** The first element matching `selector` under `root`. */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * Creates `<tag>` with `props` (`class`, `text`, `on: { event: handler }`, and
 * attributes, `aria-*` included; `false`/`null` values are left out) and children
 * (nodes or strings, falsy ones skipped).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "on") for (const [type, handler] of Object.entries(value)) element.addEventListener(type, handler);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child || child === 0) element.append(child);
  return element;
}

// 20×20 outline icons (paths drawn for this client).
const ICONS = {
  mail: "M3 5h14v10H3z M3 5l7 6 7-6",
  calendar: "M3 5h14v12H3z M3 8h14 M7 3v4 M13 3v4",
  people: "M7.5 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6z M2 17c0-3 2.5-5 5.5-5s5.5 2 5.5 5 M13.5 4a2.5 2.5 0 0 1 0 5 M15 12c1.8.6 3 2.4 3 5",
  settings: "M10 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z M10 2v2.2 M10 15.8V18 M2 10h2.2 M15.8 10H18 M4.3 4.3l1.6 1.6 M14.1 14.1l1.6 1.6 M4.3 15.7l1.6-1.6 M14.1 5.9l1.6-1.6",
  inbox: "M3 11l2-7h10l2 7v5H3z M3 11h4l1 2h4l1-2h4",
  drafts: "M4 16l1-4 8-8 3 3-8 8z M12 5l3 3",
  sentitems: "M3 10l14-6-5 13-2-6z M10 11l7-7",
  deleteditems: "M4 6h12 M8 6V4h4v2 M5 6l1 11h8l1-11 M8.5 9v5 M11.5 9v5",
  archive: "M3 4h14v4H3z M4 8h12v9H4z M8 11h4",
  junkemail: "M10 3l7 3v4c0 4-3 6.5-7 8-4-1.5-7-4-7-8V6z M7 7l6 6 M13 7l-6 6",
  folder: "M3 5h5l2 2h7v9H3z",
  flag: "M5 17V3 M5 3h10l-2 4 2 4H5",
  read: "M3 8l7-5 7 5v9H3z M3 8l7 5 7-5",
  unread: "M3 5h14v10H3z M3 5l7 6 7-6 M16 3.5a1.5 1.5 0 1 0 0 .01",
  move: "M3 5h5l2 2h7v9H3z M9 11.5h5 M12 9.5l2 2-2 2",
  delete: "M4 6h12 M8 6V4h4v2 M5 6l1 11h8l1-11",
  search: "M8.5 14a5.5 5.5 0 1 0 0-11 5.5 5.5 0 0 0 0 11z M12.5 12.5L17 17",
  chevronLeft: "M12 4l-6 6 6 6",
  chevronRight: "M8 4l6 6-6 6",
  lock: "M5 9h10v8H5z M7 9V6a3 3 0 0 1 6 0v3",
  image: "M3 4h14v12H3z M3 13l4-4 3 3 2-2 5 5 M13 7.5a1 1 0 1 0 0 .01",
  cloud: "M6 15h8.5a3.5 3.5 0 0 0 .5-7A5 5 0 0 0 5.3 9 3 3 0 0 0 6 15z",
  cloudOff: "M6 15h8.5 M16.5 13.6A3.5 3.5 0 0 0 15 8 5 5 0 0 0 8 4.6 M5.3 9A3 3 0 0 0 6 15 M3 3l14 14",
  sync: "M16 10a6 6 0 0 1-10.5 4 M4 10a6 6 0 0 1 10.5-4 M14.5 2.5V6H11 M5.5 17.5V14H9",
  attach: "M13 6l-5.5 5.5a1.8 1.8 0 0 0 2.5 2.5L15.5 8.5a3.5 3.5 0 0 0-5-5L5 9a5 5 0 0 0 7 7l4-4",
  close: "M5 5l10 10 M15 5L5 15",
  signOut: "M8 4H4v12h4 M12 6l4 4-4 4 M16 10H8",
  location: "M10 18s5-5 5-9a5 5 0 0 0-10 0c0 4 5 9 5 9z M10 10.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z",
  clock: "M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14z M10 6v4l3 2",
};

/** An inline SVG icon, hidden from assistive technology (its control carries the name). */
export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name] ?? ICONS.folder);
  svg.append(path);
  return svg;
}

/** Says `text` in the page's polite live region (and shows it briefly). */
export function announce(text) {
  const region = $("#announcer");
  region.textContent = "";
  // Set in a later task, so a repeated text is still a change to read out.
  setTimeout(() => { region.textContent = text; }, 0);
}
