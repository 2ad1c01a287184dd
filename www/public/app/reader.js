// The reading pane: the opened message's header (sender with photo, whose name
// opens their contact card), then its body:
// - HTML, cleaned (sanitize.js) and shown in a sandboxed srcdoc frame (no
//   scripts, no same origin) inside a script-less host document of its own
//   (reader/host.html), with remote images blocked until the user clicks "Show
//   images" for that message;
// - text, as text;
// - for protected mail, the notice that its body was withheld from the offline
//   copy (the library never stores it); for an evicted body, that notice.
// The body is built once per opening: a later change to the message (read,
// flag) redraws the header only, so a shown image is never fetched twice.
import { announce, h, icon } from "./dom.js";
import { displayName, longDate } from "./format.js";
import { messageDocument } from "./sanitize.js";

const WITHHELD = {
  smime: "This message is encrypted with S/MIME.",
  rightsProtected: "This message is rights-protected.",
  portalEncrypted: "This message is encrypted by your organization.",
};

/** `openCard(address)` shows a contact card; `onOpened(message)` runs once a message is shown. */
export function createReader({ element, mailbox, avatars, openCard, onOpened }) {
  const showImages = new Set();
  let token = 0;
  let current = null;
  let headerAvatar = null;

  const head = h("header", { class: "reader-head" });
  const notice = h("div", { class: "notice", hidden: true });
  const textBody = h("section", { class: "text-body", tabindex: "0", "aria-label": "Message text", hidden: true });
  const host = h("iframe", { class: "body-frame", src: "/reader/host.html", title: "Message body", hidden: true });
  const hostReady = new Promise((resolve) => host.addEventListener("load", resolve, { once: true }));
  const article = h("article", { class: "reader", "aria-labelledby": "reader-subject", hidden: true },
    head, notice, h("div", { class: "reader-body" }, textBody, host));
  const empty = element.querySelector(".reader-empty");
  element.append(article);

  function renderHead(message) {
    headerAvatar?.dispose();
    const from = message.from ?? message.sender;
    const address = from?.emailAddress?.address ?? "";
    headerAvatar = avatars.avatar(address, displayName(from), "large");
    const to = [...(message.toRecipients ?? []), ...(message.ccRecipients ?? [])].map(displayName).filter(Boolean);
    const flagged = message.flag?.flagStatus === "flagged";
    head.replaceChildren(
      h("h2", { id: "reader-subject", class: "reader-subject" }, message.subject || "(no subject)"),
      h("div", { class: "reader-meta" },
        headerAvatar.node,
        h("div", { class: "reader-from" },
          h("button", { type: "button", class: "link-button sender", on: { click: () => openCard(address, displayName(from)) } }, displayName(from) || address || "(no sender)"),
          address && h("span", { class: "address" }, `<${address}>`)),
        h("time", { class: "reader-date", datetime: message.receivedDateTime ?? "" }, longDate(message.receivedDateTime)),
        h("div", { class: "reader-to" }, to.length ? `To: ${to.join("; ")}` : ""),
        h("div", { class: "reader-state" }, flagged ? "Flagged" : "")),
    );
  }

  function showNotice(kind, ...content) {
    notice.className = `notice ${kind}`;
    notice.replaceChildren(...content);
    notice.hidden = false;
  }

  /** Shows `document` in a new sandboxed frame inside the host; resolves once it has loaded. */
  async function showFrame(document, my) {
    await hostReady;
    if (my !== token) return;
    const doc = host.contentDocument;
    const frame = doc.createElement("iframe");
    // No allow-scripts, no allow-same-origin: an opaque origin where nothing runs.
    // Popups only so that links (target=_blank) can open, outside the sandbox.
    frame.setAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.setAttribute("title", "Message content");
    const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
    frame.srcdoc = document;
    doc.body.replaceChildren(frame);
    await loaded;
  }

  async function renderBody(message, my) {
    notice.hidden = true;
    notice.className = "notice";
    textBody.hidden = true;
    host.hidden = true;
    const withheld = message["@offlineMailbox.bodyWithheld"];
    if (withheld) {
      showNotice("protected", icon("lock"), h("div", {},
        h("strong", {}, WITHHELD[withheld] ?? "This message is protected."),
        " Its content isn't kept on this computer, so it can only be read while connected to your organization's server."));
      return;
    }
    if (message["@offlineMailbox.bodyEvicted"]) {
      showNotice("evicted", "This message's body was removed from the offline copy to save space; it opens again after the next sync.");
      return;
    }
    const body = message.body ?? { contentType: "text", content: message.bodyPreview ?? "" };
    if (body.contentType !== "html") {
      textBody.textContent = body.content ?? "";
      textBody.scrollTop = 0;
      textBody.hidden = false;
      return;
    }
    const shown = showImages.has(message.id);
    await hostReady;
    if (my !== token) return;
    const { document, blocked } = messageDocument(body.content ?? "", { remoteImages: shown, Parser: host.contentWindow.DOMParser });
    if (blocked > 0) {
      showNotice("images", icon("image"), h("span", {}, "Remote images were blocked to protect your privacy."),
        h("button", { type: "button", class: "show-images", on: { click: () => revealImages(message, my) } }, "Show images"));
    }
    host.hidden = false;
    await showFrame(document, my);
  }

  async function revealImages(message, my) {
    if (my !== token) return;
    showImages.add(message.id);
    element.dataset.frame = "loading";
    await renderBody(message, my);
    if (my === token) element.dataset.frame = "loaded";
    announce("Images shown");
  }

  /** Opens message `id` (its summary may be shown while the whole message is read). */
  async function open(id) {
    const my = ++token;
    element.dataset.messageId = id;
    element.dataset.state = "loading";
    element.dataset.frame = "none";
    let message;
    try {
      message = await mailbox.getMessage(id);
    } catch (error) {
      if (my === token) showError(error);
      return;
    }
    if (my !== token) return;
    if (!message) return clear();
    current = message;
    empty.hidden = true;
    article.hidden = false;
    renderHead(message);
    const frame = renderBody(message, my);
    element.dataset.state = "ready";
    if (message.body?.contentType === "html" && !message["@offlineMailbox.bodyWithheld"]) {
      element.dataset.frame = "loading";
      await frame;
      if (my === token) element.dataset.frame = "loaded";
    } else await frame;
    onOpened(message);
  }

  function showError(error) {
    empty.hidden = true;
    article.hidden = false;
    head.replaceChildren(h("h2", { id: "reader-subject", class: "reader-subject" }, "This message can't be shown"));
    showNotice("error", `${error.code ?? error.name}: ${error.message}`);
    element.dataset.state = "error";
  }

  /** Empties the pane. */
  function clear() {
    token += 1;
    current = null;
    headerAvatar?.dispose();
    headerAvatar = null;
    article.hidden = true;
    empty.hidden = false;
    delete element.dataset.messageId;
    element.dataset.state = "empty";
  }

  /** After a change to messages `ids` (null: unknown): redraws the open message's header, or clears it when it is gone. */
  async function changed(ids) {
    if (!current || (ids && !ids.includes(current.id))) return;
    const my = token;
    const message = await mailbox.getMessage(current.id).catch(() => null);
    if (my !== token) return;
    if (!message) return clear();
    current = message;
    renderHead(message);
  }

  return {
    open,
    clear,
    changed,
    get currentId() { return current?.id ?? null; },
  };
}
