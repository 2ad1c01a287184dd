// Shared set-up of the demo client's end-to-end tests: the demo servers, one
// browser page at 1280×800 with every request recorded (and any leaving
// 127.0.0.1 aborted), axe-core runs, screenshots and reported timings.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BROWSER, guardNetwork } from "./browser.mjs";
import { startDemoEnv } from "./demo-env.mjs";

const root = resolve(import.meta.dirname, "..", "..");
export const SCREENSHOTS = join(root, "target", "screenshots");
const AXE = readFileSync(join(root, "node_modules", "axe-core", "axe.min.js"), "utf8");

/**
 * The demo servers and a page on the client: `{ demo, browser, page, errors,
 * screenshot, foreignRequests, withHttpCache, close }`.
 */
export async function startClient() {
  const env = await startDemoEnv();
  const logs = [await guardNetwork(env.browser.context)];
  const page = await env.browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  // Generous: another browser may be running tests on the same two cores.
  page.setDefaultTimeout(180_000);
  const errors = [];
  // Firefox also reports here a cross-origin request that found no server (the org server cut off),
  // and the style its screenshots insert into the page, which the page's CSP refuses.
  const expected = /^The Same Origin Policy disallows reading the remote resource at .*\(Reason: CORS request did not succeed\)/;
  let capturing = false;
  page.on("pageerror", (error) => {
    if (!expected.test(error.message) && !capturing) errors.push(error.message);
  });
  /** Saves a screenshot as target/screenshots/<name>.png (-firefox in Firefox); resolves to its path. */
  const screenshot = async (name) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}${BROWSER === "firefox" ? "-firefox" : ""}.png`);
    capturing = true;
    try {
      await page.screenshot({ path });
      await page.evaluate(() => 0); // what the screenshot logged has arrived by now
    } finally {
      capturing = false;
    }
    return path;
  };
  /**
   * Runs `fn` with the browser's HTTP cache on, as a user's browser has it:
   * Playwright turns the cache off while requests are routed, so the guard is
   * lifted meanwhile. Every request is still recorded (from the context's
   * request events, which include the worker's), just not aborted; the guard
   * is back afterwards.
   */
  const withHttpCache = async (fn) => {
    const seen = [];
    const record = (request) => seen.push(new URL(request.url()));
    await env.browser.context.unroute("**/*");
    env.browser.context.on("request", record);
    logs.push(seen);
    try {
      return await fn(seen);
    } finally {
      env.browser.context.off("request", record);
      logs.push(await guardNetwork(env.browser.context));
    }
  };
  /** Requests that left 127.0.0.1 (blob: and data: URLs never leave the browser). */
  const foreignRequests = () => logs.flat().filter((url) => url.protocol.startsWith("http") && url.hostname !== "127.0.0.1").map(String);
  return { ...env, page, errors, screenshot, withHttpCache, foreignRequests };
}

/**
 * Runs axe-core on the page (its source evaluated through the browser's
 * automation channel, which the page's CSP does not govern; the CSP stays as
 * it is). Prints the minor and moderate findings; returns the serious and
 * critical ones.
 */
export async function axe(page, view) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { iframes: false, resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ")) }));
  });
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of violations.filter((v) => !blocking.includes(v))) {
    console.log(`axe, ${view}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(", ")}`);
  }
  return blocking;
}

/** Prints a measured figure and appends it to target/screenshots/timings.json. */
export function reportTiming(name, ms, detail = {}) {
  console.log(`${name} (${BROWSER}): ${Math.round(ms)} ms`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, "timings.json");
  let all = [];
  try {
    all = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    all = [];
  }
  all.push({ name, browser: BROWSER, ms: Math.round(ms), at: new Date().toISOString(), ...detail });
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

/** The names of the page origin's IndexedDB databases. */
export const databases = (page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));

/** Fills in the sign-in dialog and submits it. */
export async function signIn(page, { address, computer = "private" } = {}) {
  await page.waitForSelector("#signin-dialog[open]");
  if (address) await page.fill("#signin-user", address);
  await page.check(`#signin-form input[name=computer][value=${computer}]`);
  await page.click("#signin-form button[type=submit]");
}

/** The rows the list shows, in order: `{ index, id, subject, from, unread, bold, photo, initials }`. */
export const rows = (page) => page.$$eval("#message-list .row[data-id]", (elements) => elements
  .map((row) => ({
    index: Number(row.dataset.index),
    id: row.dataset.id,
    subject: row.querySelector(".subject").textContent,
    from: row.querySelector(".from").textContent.replace(/^Unread\. /, ""),
    unread: row.classList.contains("unread"),
    bold: Number(getComputedStyle(row.querySelector(".subject")).fontWeight) >= 600,
    photo: Boolean(row.querySelector(".avatar[data-photo] img")),
    initials: Boolean(row.querySelector(".avatar[data-initials]")),
    selected: row.getAttribute("aria-selected") === "true",
  }))
  .sort((a, b) => a.index - b.index));

/** Waits for a condition on the page's body data (`syncs`, `pending`, `connection`, ...). */
export const waitForBody = (page, predicate, arg) => page.waitForFunction(predicate, arg, { polling: 100 });
