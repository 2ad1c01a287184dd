// The reading pane's cleaning of mail HTML (www/public/app/sanitize.js), run in
// the browser against the attacks the review of the client found. The frame's
// own CSP and sandbox stop what gets through, but the cleaning is the first
// layer and must not be the one that lets markup through.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
let site;
let browser;
let page;

before(async () => {
  site = await startSite({ "/app/": join(root, "www", "public", "app") });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(`${site.origin}/`);
});

after(async () => {
  await browser?.close();
  site?.close();
});

/** The frame document the client would build for `html`, parsed again as the frame would. */
const cleaned = (html) => page.evaluate(async (html) => {
  const { messageDocument } = await import("/app/sanitize.js");
  const { document: text } = messageDocument(html, { Parser: DOMParser });
  const frame = new DOMParser().parseFromString(text, "text/html");
  return {
    metas: [...frame.querySelectorAll("meta")].map((m) => m.getAttribute("http-equiv") ?? m.getAttribute("name") ?? "charset"),
    remote: [...frame.querySelectorAll("[src], [href], [srcset]")].map((e) => e.getAttribute("src") ?? e.getAttribute("srcset") ?? e.getAttribute("href")).filter((v) => /^(https?:)?\/\//i.test(v)),
    links: [...frame.querySelectorAll("link")].length,
    anchors: [...frame.querySelectorAll("a")].map((a) => ({ target: a.getAttribute("target"), rel: a.getAttribute("rel") })),
  };
}, html);

test("a <style> cannot close itself by way of a removed @import and smuggle markup past the cleaning", async () => {
  const result = await cleaned(`<style>p{}</sty@import;le><meta http-equiv=refresh content="0;url=http://evil.example/"><img src=http://evil.example/x><link rel=prefetch href=http://evil.example/p><a href=http://evil.example/ rel=opener>x</a></style><p>hello</p>`);
  assert.deepEqual(result.metas, ["charset", "Content-Security-Policy", "referrer"], "only the client's own meta elements");
  assert.deepEqual(result.remote, []);
  assert.equal(result.links, 0);
  assert.deepEqual(result.anchors, []);
});

test("an SVG link written with xlink:href opens in a new tab without opener or referrer, as an HTML link does", async () => {
  const result = await cleaned(`<svg><a xlink:href="https://example.com/"><rect width="10" height="10"/></a></svg><a href="https://example.com/">html</a>`);
  assert.deepEqual(result.anchors, [
    { target: "_blank", rel: "noopener noreferrer" },
    { target: "_blank", rel: "noopener noreferrer" },
  ]);
});
