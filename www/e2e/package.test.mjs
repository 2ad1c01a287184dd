// The npm package as a front-end team consumes it: `npm pack`, install the tarball
// into a fresh app, import it as a plain ES module over local HTTP, call the API.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { staticFiles } from "../static.mjs";
import { guardNetwork, launchBrowser } from "./browser.mjs";

const root = resolve(import.meta.dirname, "../..");
let work;
let tarball;

before(() => {
  work = mkdtempSync(join(tmpdir(), "offline-mailbox-consumer-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(root, "pkg")], { encoding: "utf8" });
  tarball = join(work, JSON.parse(out)[0].filename);
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the tarball holds the wasm, the glue, the types, README and LICENSE", () => {
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  for (const file of [
    "package/package.json",
    "package/README.md",
    "package/LICENSE",
    "package/web/offline_mailbox.js",
    "package/web/offline_mailbox_bg.wasm",
    "package/web/offline_mailbox.d.ts",
    "package/bundler/offline_mailbox.js",
    "package/bundler/offline_mailbox_bg.wasm",
    "package/bundler/offline_mailbox.d.ts",
  ]) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
  assert.equal(manifest.name, "offline-mailbox");
  assert.equal(manifest.type, "module");
  assert.equal(manifest.types, "./web/offline_mailbox.d.ts");
  assert.deepEqual(manifest.exports["."], { types: "./web/offline_mailbox.d.ts", default: "./web/offline_mailbox.js" });
  assert.deepEqual(manifest.exports["./bundler"], { types: "./bundler/offline_mailbox.d.ts", default: "./bundler/offline_mailbox.js" });
  assert.deepEqual(manifest.sideEffects, ["./bundler/offline_mailbox.js"]);
  assert.deepEqual(manifest.files, ["web/", "bundler/", "README.md", "LICENSE"]);

  const types = execFileSync("tar", ["-xzOf", tarball, "package/web/offline_mailbox.d.ts"], { encoding: "utf8" });
  assert.match(types, /export class OfflineMailbox/);
  assert.match(types, /static open\(options: OpenOptions\): Promise<OfflineMailbox>/);
  assert.match(types, /export interface OfflineMailboxError extends Error/);
});

test("no code in the package or the demo names a host other than loopback", () => {
  const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  const scripts = listing.filter((f) => /\.(js|mjs|html|css)$/.test(f));
  const texts = scripts.map((f) => [f, execFileSync("tar", ["-xzOf", tarball, f], { encoding: "utf8" })]);
  for (const f of ["index.html", "demo.js", "style.css"]) texts.push([`www/public/${f}`, readFileSync(join(root, "www/public", f), "utf8")]);
  // Comments (the generated glue links to MDN in one) load nothing; code and markup do.
  const withoutComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1").replace(/<!--[\s\S]*?-->/g, "");
  for (const [file, text] of texts) {
    const urls = withoutComments(text).match(/\b(?:https?|wss?):\/\/[^\s"'`)<>]+/g) ?? [];
    const foreign = urls.filter((u) => !/^\w+:\/\/(127\.0\.0\.1|localhost)([:/]|$)/.test(u));
    assert.deepEqual(foreign, [], `${file} names a foreign host`);
  }
});

test("a fresh app installs the tarball and uses the API in Chromium", async () => {
  const app = join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: app, stdio: "ignore" });

  // Resolve the bare specifier the way Node does (through package.json "exports"),
  // and hand the browser the same answer as an import map.
  const resolved = execFileSync("node", ["--input-type=module", "-e", "console.log(import.meta.resolve('offline-mailbox'))"], { cwd: app, encoding: "utf8" }).trim();
  const entry = "/" + relative(app, fileURLToPath(resolved));
  assert.equal(entry, "/node_modules/offline-mailbox/web/offline_mailbox.js");

  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: { "offline-mailbox": entry } })}</script>
<script type="module" src="/app.js"></script>`);
  writeFileSync(join(app, "app.js"), `
import init, { OfflineMailbox } from "offline-mailbox";
await init();
const key = crypto.getRandomValues(new Uint8Array(32));
const mailbox = await OfflineMailbox.open({ userId: "consumer-user", key });
await mailbox.enableOffline();
await mailbox.putMessages([{ id: "m-1", subject: "Hello from the npm package", futureField: { kept: true } }]);
const back = await mailbox.getMessage("m-1");
const missing = await mailbox.getMessage("nope");
mailbox.close();
let wrongKey;
try { await OfflineMailbox.open({ userId: "consumer-user", key: new Uint8Array(32) }); } catch (e) { wrongKey = { code: e.code, name: e.name, isError: e instanceof Error }; }
let invalid;
try { await OfflineMailbox.open({ userId: "consumer-user" }); } catch (e) { invalid = { code: e.code, field: e.field }; }
window.result = { back, missing, wrongKey, invalid, databaseName: OfflineMailbox.databaseName("consumer-user") };
`);
  const server = createServer();
  const serve = staticFiles({ "/": app });
  server.on("request", (req, res) => serve(req, res) || (res.writeHead(404), res.end()));
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const browser = await launchBrowser();
  try {
    const requests = await guardNetwork(browser.context);
    const page = await browser.context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await (await page.waitForFunction(() => window.result, null, { timeout: 60_000 })).jsonValue();
    assert.deepEqual(errors, []);
    assert.deepEqual(result.back, { id: "m-1", subject: "Hello from the npm package", futureField: { kept: true } });
    assert.equal(result.missing, null);
    assert.deepEqual(result.wrongKey, { code: "WrongKey", name: "OfflineMailboxError", isError: true });
    assert.deepEqual(result.invalid, { code: "InvalidInput", field: "key" });
    assert.match(result.databaseName, /^offline-mailbox-[0-9a-f]{32}$/);
    assert.deepEqual(requests.filter((u) => u.hostname !== "127.0.0.1").map(String), []);
  } finally {
    await browser.close();
    await new Promise((done) => server.close(done));
  }
});
