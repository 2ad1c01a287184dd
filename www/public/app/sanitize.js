// Turns a message's HTML into the document the reading pane shows in its
// sandboxed frame. Parsing happens in an inert DOMParser document (nothing
// loads, nothing runs); then:
// - elements that fetch, run, navigate or submit go: script, meta, base, link,
//   iframe, object, embed, form and their kin;
// - event handler attributes go, links keep only http(s)/mailto/tel targets and
//   open in a new tab with noopener noreferrer;
// - remote images (src, srcset, background, poster, SVG hrefs, CSS url()) are
//   made inert while blocked: the URL moves to a data-blocked-* attribute, and
//   the count feeds the "remote images were blocked" notice. Relative URLs and
//   cid: references (nothing to load them from) are dropped.
// The frame's own Content-Security-Policy (first in its head) is the guarantee:
// `default-src 'none'; style-src 'unsafe-inline'; img-src data:`, plus
// `http: https:` only once the user chose to show this message's images. The
// cleaning keeps the browser from even trying, and keeps the markup honest.
//
// The parsing happens in the reading pane's host document (reader/host.html),
// whose CSP allows inline styles: a parser of the app page would check every
// style in the message against the page's strict policy and report each one.

const DROP = "script, noscript, meta, base, link, iframe, frame, frameset, object, embed, applet, form, template, portal, title, audio, video, track";
const IMAGE_ATTRIBUTES = ["src", "srcset", "background", "poster", "lowsrc", "dynsrc"];
const LINK_TARGET = /^(https?:|mailto:|tel:)/i;
const REMOTE = /^\s*(https?:)?\/\//i;
const DATA_IMAGE = /^\s*data:image\//i;

/** The frame's own look; the message's styles come after and win. */
const BASE_STYLE = [
  "body{margin:16px 20px;font:14px/1.5 'Segoe UI',system-ui,sans-serif;color:#242424;overflow-wrap:break-word}",
  "img{max-width:100%;height:auto}",
  "img[data-blocked-src]{outline:1px dashed #8a8886;min-width:24px;min-height:24px}",
  "a{color:#0f6cbd}",
].join("");

/** Rewrites `url(...)` and `image-set(...)` in CSS text: remote ones kept only if `allow`, others emptied. */
function cleanCss(css, allow, tally) {
  return css
    .replace(/@import[^;]*;?/gi, "")
    .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (match, _quote, url) => {
      if (DATA_IMAGE.test(url)) return match;
      if (REMOTE.test(url)) {
        if (allow) return match;
        tally.blocked += 1;
      }
      return "none";
    })
    .replace(/(-webkit-)?image-set\([^)]*\)/gi, (match) => {
      if (allow) return match;
      tally.blocked += 1;
      return "none";
    })
    // Style text is written out raw: removing `@import` above could have joined
    // `</sty` and `le>` into a closing tag, and markup after it would escape the
    // sanitizer. An escaped `<` is still `<` to CSS, and never a tag.
    .replaceAll("<", "\\3c ");
}

/** Whether a srcset holds only data: candidates. */
const dataOnly = (srcset) => srcset.split(",").every((candidate) => DATA_IMAGE.test(candidate));

function cleanElement(element, allow, tally) {
  const isLink = element.localName === "a" || element.localName === "area";
  for (const { name, value } of [...element.attributes]) {
    const lower = name.toLowerCase();
    if (lower.startsWith("on") || lower === "formaction" || lower === "action" || lower === "ping") {
      element.removeAttribute(name);
    } else if (lower === "style") {
      element.setAttribute(name, cleanCss(value, allow, tally));
    } else if (isLink && (lower === "href" || lower === "xlink:href")) {
      if (!LINK_TARGET.test(value.trim())) element.removeAttribute(name);
    } else if (IMAGE_ATTRIBUTES.includes(lower) || lower === "href" || lower === "xlink:href") {
      const inline = lower === "srcset" ? dataOnly(value) : DATA_IMAGE.test(value);
      if (inline) continue;
      element.removeAttribute(name);
      if (REMOTE.test(value)) {
        if (allow) element.setAttribute(name, value.trim().replace(/^\/\//, "https://"));
        else {
          element.setAttribute(`data-blocked-${lower.replace(":", "-")}`, value);
          tally.blocked += 1;
        }
      }
    }
  }
  if (isLink && (element.hasAttribute("href") || element.hasAttribute("xlink:href"))) {
    element.setAttribute("target", "_blank");
    element.setAttribute("rel", "noopener noreferrer");
  }
}

/**
 * The frame document for `html`: `{ document, blocked }`, where `blocked` counts
 * the remote images left out. `remoteImages` lets http(s) images load; `Parser`
 * is the host document's DOMParser.
 */
export function messageDocument(html, { remoteImages = false, Parser }) {
  const parsed = new Parser().parseFromString(html, "text/html");
  for (const element of parsed.querySelectorAll(DROP)) element.remove();
  const tally = { blocked: 0 };
  for (const element of parsed.querySelectorAll("*")) cleanElement(element, remoteImages, tally);
  for (const style of parsed.querySelectorAll("style")) style.textContent = cleanCss(style.textContent, remoteImages, tally);
  const policy = `default-src 'none'; style-src 'unsafe-inline'; img-src data:${remoteImages ? " http: https:" : ""}`;
  const head = [
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="referrer" content="no-referrer">',
    `<style>${BASE_STYLE}</style>`,
    ...[...parsed.head.querySelectorAll("style")].map((style) => style.outerHTML),
  ].join("");
  return { document: `<!doctype html><html><head>${head}</head>${parsed.body.outerHTML}</html>`, blocked: tally.blocked };
}
