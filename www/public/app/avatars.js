// Sender avatars: the person's photo from the org server (through the library,
// which caches it encrypted and asks only for the org's addresses, only while
// the policy allows photos), else their initials on a colour of their own.
// Photos arrive as Blobs; each shown photo gets its own object URL, revoked as
// soon as its avatar leaves the screen.
import { h } from "./dom.js";
import { avatarColor, initials, normalAddress } from "./format.js";

/** Photo sizes asked for: the list's small avatar, the reading pane's, the card's. */
const SIZES = { small: "HR64x64", large: "HR96x96", huge: "HR240x240" };

/** `mailbox` is the worker's proxy; `orgDomains` the domains the library may look up. */
export function createAvatars(mailbox, orgDomains) {
  /** `${size} ${address}` -> Promise<Blob | null>: one lookup per address and size while the page lives. */
  const photos = new Map();
  const inOrg = (address) => orgDomains.includes(address.split("@").pop());

  function photo(address, size) {
    const key = `${size} ${address}`;
    if (!photos.has(key)) photos.set(key, mailbox.senderPhoto(address, { size }).catch(() => null));
    return photos.get(key);
  }

  /**
   * An avatar for `address` / `name`: `{ node, dispose }`. The node shows initials
   * at once and the photo when it arrives; `dispose()` revokes the photo's URL.
   */
  function avatar(address, name, size = "small") {
    const node = h("span", { class: `avatar ${size === "small" ? "" : size}`, "aria-hidden": "true", "data-initials": "" }, initials(name || address));
    node.style.background = avatarColor(normalAddress(address) || name);
    let url = null;
    let disposed = false;
    const email = normalAddress(address);
    // Addresses outside the organization are never looked up: the library would answer null without a request anyway.
    if (email && inOrg(email)) {
      photo(email, SIZES[size]).then((blob) => {
        if (disposed || !blob) return;
        url = URL.createObjectURL(blob);
        node.replaceChildren(h("img", { class: `avatar ${size === "small" ? "" : size}`, src: url, alt: "" }));
        delete node.dataset.initials;
        node.dataset.photo = "";
      });
    }
    return {
      node,
      dispose() {
        disposed = true;
        if (url) URL.revokeObjectURL(url);
        url = null;
      },
    };
  }

  return {
    avatar,
    /** Forgets every photo looked up (the policy changed). */
    clear: () => photos.clear(),
  };
}
