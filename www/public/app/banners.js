// The strip of banners under the top bar: things the user should see without
// looking for them (the first download's progress, what the admin's policy just
// did, that mail is not kept offline). One banner per key; showing a key again
// replaces its banner.
import { h, icon } from "./dom.js";

export function createBanners(element) {
  const shown = new Map();

  /** Shows banner `key` (`tone`: "info", "warning" or "error") with `content`; `dismissible` adds a close button. */
  function show(key, content, { tone = "info", dismissible = false } = {}) {
    const banner = h("div", { class: `banner ${tone}`, "data-banner": key, role: tone === "info" ? "status" : "alert" }, ...content);
    if (dismissible) {
      banner.append(h("button", { type: "button", class: "icon-button banner-close", "aria-label": "Dismiss", on: { click: () => hide(key) } }, icon("close")));
    }
    const previous = shown.get(key);
    if (previous) previous.replaceWith(banner);
    else element.append(banner);
    shown.set(key, banner);
    return banner;
  }

  function hide(key) {
    shown.get(key)?.remove();
    shown.delete(key);
  }

  return { show, hide, get: (key) => shown.get(key) };
}
