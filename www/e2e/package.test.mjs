// The npm package as a front-end team consumes it: `npm pack`, install the
// tarball into a fresh app, then use it four ways: as a plain ES module over
// local HTTP; from TypeScript (`tsc --strict` against the shipped .d.ts); built
// by Vite 8 for production; and inside a dedicated module worker, plain and
// bundled by Vite. The apps' sources are in www/e2e/consumer/. One install, one
// Vite build and one browser serve every test.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { build } from "vite";
import { createGraphState } from "../graph-state.mjs";
import { graphRoutes } from "../graph-routes.mjs";
import { staticFiles } from "../static.mjs";
import { BROWSER, guardNetwork, launchBrowser } from "./browser.mjs";

const root = resolve(import.meta.dirname, "../..");
const consumer = join(root, "www/e2e/consumer");
const tsc = join(root, "node_modules/.bin/tsc");
const ENTRY = "/node_modules/offline-mailbox/web/offline_mailbox.js";
// A 1×1 PNG: the org server's answer to a photo request.
const PHOTO = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let work;
let tarball;
let app;
let viteDist;
let browser;
let requests;
const servers = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "offline-mailbox-consumer-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work, join(root, "pkg")], { encoding: "utf8" });
  tarball = join(work, JSON.parse(out)[0].filename);
  app = installApp();
  viteDist = await buildWithVite();
  browser = await launchBrowser();
  requests = await guardNetwork(browser.context);
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh app with the tarball installed, as `npm install offline-mailbox` gives it. */
function installApp() {
  const dir = join(work, "app");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: dir, stdio: "ignore" });
  return dir;
}

/** `vite build` (production) of consumer/index.html + main.js in the app; resolves to the output directory. */
async function buildWithVite() {
  const source = join(app, "vite");
  mkdirSync(source);
  for (const file of ["index.html", "main.js", "worker-scenario.js", "mailbox-client.js", "mail-worker.js"]) {
    cpSync(join(consumer, file), join(source, file));
  }
  const outDir = join(work, "vite-dist");
  await build({ root: source, configFile: false, logLevel: "error", mode: "production", build: { outDir, emptyOutDir: true } });
  return outDir;
}

/**
 * Serves `dir` on 127.0.0.1 as the app's origin and its org server at once:
 * static files, sender photos (the EWS photo API) and the Graph stand-in's
 * routes over one mailbox with one message. Resolves to `{ origin, log }`,
 * `log` holding every request's path and query.
 */
async function serve(dir) {
  const log = [];
  const files = staticFiles({ "/": dir });
  const received = new Date(Date.now() - 10 * 60_000).toISOString();
  const graph = graphRoutes(createGraphState({
    mailFolders: [{ id: "inbox", displayName: "Inbox", wellKnownName: "inbox" }],
    messages: [{ id: "g-1", parentFolderId: "inbox", subject: "Synced in the worker", receivedDateTime: received, isRead: false }],
  }));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    log.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization });
    if (url.pathname === "/ews/Exchange.asmx/s/GetUserPhoto") {
      res.writeHead(200, { "content-type": "image/png", etag: '"photo-1"', "content-length": PHOTO.length });
      return res.end(PHOTO);
    }
    if (await graph(req, res)) return;
    if (!files(req, res)) res.writeHead(404).end();
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  servers.push(server);
  return { origin: `http://127.0.0.1:${server.address().port}`, log };
}

/**
 * Opens `url` in a new page and resolves to `window.result` once the app sets
 * it; rejects at the page's first uncaught error rather than waiting it out.
 */
async function run(url) {
  const page = await browser.context.newPage();
  const errors = [];
  const failed = new Promise((_, fail) => page.on("pageerror", (error) => {
    errors.push(String(error));
    fail(new Error(`page error: ${error}`));
  }));
  try {
    await page.goto(url);
    const result = await Promise.race([
      page.waitForFunction(() => window.result, null, { timeout: 180_000 }).then((handle) => handle.jsonValue()),
      failed,
    ]);
    assert.deepEqual(errors, []);
    return result;
  } finally {
    await page.close();
  }
}

/** Requests the browser made that left 127.0.0.1 (each was aborted by guardNetwork). */
const foreignRequests = () => requests.filter((url) => url.hostname !== "127.0.0.1").map(String);

/** Every file under `dir`, recursively, as paths relative to `base`. */
function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path, base) : [relative(base, path)];
  });
}

// ---------------------------------------------------------------- the package itself

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

test("the package's metadata and the crates' manifests hold no placeholder", () => {
  const manifest = JSON.parse(readFileSync(join(root, "pkg/package.json"), "utf8"));
  for (const field of ["name", "version", "description", "license", "exports", "types"]) {
    assert.ok(manifest[field] && String(manifest[field]).trim(), `pkg/package.json has ${field}`);
  }
  assert.match(manifest.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  // Each manifest's values (not its comments, which may discuss these words), every string in it.
  const placeholder = /example\.(invalid|com|org)|\bTODO\b|\bFIXME\b|\bXXX\b|placeholder|your[-_ ]?(name|email|org)|lorem ipsum|changeme/i;
  const strings = (value, path) =>
    typeof value === "string" ? [[path, value]]
    : value && typeof value === "object" ? Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`))
    : [];
  const sources = [
    ["pkg/package.json", manifest],
    ...["Cargo.toml", "tools/corpus/Cargo.toml"].map((file) => [file, parseToml(readFileSync(join(root, file), "utf8"))]),
  ];
  for (const [file, value] of sources) {
    const found = strings(value, file).filter(([path, text]) => placeholder.test(path) || placeholder.test(text));
    assert.deepEqual(found, [], `${file} holds a placeholder`);
  }
  const crates = sources.slice(1).map(([, toml]) => toml.package);
  for (const crate of crates) {
    for (const field of ["name", "version", "license", "description"]) assert.ok(crate[field], `${crate.name} has ${field}`);
  }
  assert.equal(crates[0].version, manifest.version, "the npm version is the crate's");
});

test("no code in the package or the demo names a host other than loopback", () => {
  const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  const scripts = listing.filter((f) => /\.(js|mjs|html|css)$/.test(f));
  const texts = scripts.map((f) => [f, execFileSync("tar", ["-xzOf", tarball, f], { encoding: "utf8" })]);
  const demo = join(root, "www/public");
  const demoFiles = walk(demo);
  assert.ok(demoFiles.includes("index.html"), "the demo is where it is expected");
  for (const file of demoFiles) {
    const bytes = readFileSync(join(demo, file));
    // An image or font names no host it could load from; text files are what the browser follows.
    if (!bytes.includes(0)) texts.push([`www/public/${file}`, bytes.toString("utf8")]);
  }
  // Comments (the generated glue links to MDN in one) load nothing; code and markup do.
  const withoutComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1").replace(/<!--[\s\S]*?-->/g, "");
  // XML namespace names (inline SVG) are identifiers, never fetched.
  const namespaces = new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml"]);
  for (const [file, text] of texts) {
    const urls = withoutComments(text).match(/\b(?:https?|wss?):\/\/[^\s"'`)<>]+/g) ?? [];
    const foreign = urls.filter((u) => !/^\w+:\/\/(127\.0\.0\.1|localhost)([:/]|$)/.test(u) && !namespaces.has(u));
    assert.deepEqual(foreign, [], `${file} names a foreign host`);
  }
});

// ---------------------------------------------------------------- a plain ES module app

test(`a fresh app installs the tarball and uses the API in ${BROWSER}`, async () => {
  // Resolve the bare specifier the way Node does (through package.json "exports"),
  // and hand the browser the same answer as an import map.
  const resolved = execFileSync("node", ["--input-type=module", "-e", "console.log(import.meta.resolve('offline-mailbox'))"], { cwd: app, encoding: "utf8" }).trim();
  assert.equal("/" + relative(app, fileURLToPath(resolved)), ENTRY);

  writeFileSync(join(app, "index.html"), page("/app.js"));
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
  const { origin } = await serve(app);
  const result = await run(`${origin}/`);
  assert.deepEqual(result.back, { id: "m-1", subject: "Hello from the npm package", futureField: { kept: true } });
  assert.equal(result.missing, null);
  assert.deepEqual(result.wrongKey, { code: "WrongKey", name: "OfflineMailboxError", isError: true });
  assert.deepEqual(result.invalid, { code: "InvalidInput", field: "key" });
  assert.match(result.databaseName, /^offline-mailbox-[0-9a-f]{32}$/);
  assert.deepEqual(foreignRequests(), []);
});

/** An HTML page mapping "offline-mailbox" to the installed package, running `script`. */
function page(script) {
  return `<!doctype html><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: { "offline-mailbox": ENTRY } })}</script>
<script type="module" src="${script}"></script>`;
}

// ---------------------------------------------------------------- TypeScript

// What a browser app's tsconfig says (Vite's TypeScript template, less its
// `skipLibCheck`, so that the package's .d.ts is checked too).
const COMPILER_OPTIONS = {
  target: "ES2022",
  module: "ESNext",
  moduleResolution: "bundler",
  lib: ["ES2022", "DOM", "DOM.Iterable"],
  types: [],
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  verbatimModuleSyntax: true,
  moduleDetection: "force",
  noUnusedLocals: true,
  noUnusedParameters: true,
  noFallthroughCasesInSwitch: true,
};

/** Runs `tsc --strict --noEmit --listFiles` on `file` (copied into the app) with `lib`; `{ status, output }`. */
function typeCheck(file, lib = COMPILER_OPTIONS.lib) {
  cpSync(join(consumer, file), join(app, file));
  const config = join(app, `tsconfig.${file}.json`);
  writeFileSync(config, JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, lib }, files: [file] }, null, 2));
  const { status, stdout, stderr } = spawnSync(tsc, ["-p", config, "--strict", "--noEmit", "--listFiles"], { cwd: app, encoding: "utf8" });
  return { status, output: stdout + stderr };
}

/** The lines of `output` that are tsc errors. */
const errorsIn = (output) => output.split("\n").filter((line) => /error TS\d+/.test(line));

test("a strict TypeScript app type-checks against the shipped .d.ts, using every member and option", () => {
  // ES2022 has no Symbol.dispose, which the class declares; ESNext declares it too.
  for (const lib of [COMPILER_OPTIONS.lib, ["ESNext", "DOM", "DOM.Iterable"]]) {
    const { status, output } = typeCheck("consumer.ts", lib);
    assert.deepEqual(errorsIn(output), [], `lib ${lib}`);
    assert.equal(status, 0);
    // The declarations came from the installed tarball, through package.json "exports".
    const files = output.split("\n");
    for (const target of ["web", "bundler"]) {
      assert.ok(files.includes(join(app, `node_modules/offline-mailbox/${target}/offline_mailbox.d.ts`)), output);
    }
  }
});

test("the shipped .d.ts type-checks in a worker too (lib WebWorker, no DOM)", () => {
  const { status, output } = typeCheck("consumer-worker.ts", ["ES2022", "WebWorker"]);
  assert.deepEqual(errorsIn(output), []);
  assert.equal(status, 0);
});

test("tsc rejects each misuse of the API, at its line, and nothing else (the check is not vacuous)", () => {
  const source = readFileSync(join(consumer, "misuse.ts"), "utf8").split("\n");
  const marked = source.flatMap((line, i) => (line.includes("// misuse:") ? [i + 1] : []));
  assert.ok(marked.length >= 5, "misuse.ts marks its mistakes");
  const { status, output } = typeCheck("misuse.ts");
  assert.notEqual(status, 0);
  const lines = new Set(errorsIn(output).map((line) => Number(/^misuse\.ts\((\d+),\d+\)/.exec(line)?.[1])));
  assert.deepEqual([...lines].sort((a, b) => a - b), marked, output);
});

// ---------------------------------------------------------------- Vite

let viteRun;
/** The Vite build served and run once (main.js: the page, then the bundled worker); `{ result, log, origin }`. */
function runViteApp() {
  viteRun ??= (async () => {
    const { origin, log } = await serve(viteDist);
    return { origin, log, result: await run(`${origin}/`) };
  })();
  return viteRun;
}

test(`a Vite 8 production build of an app runs in ${BROWSER}, with the wasm emitted as a hashed asset`, async () => {
  const assets = readdirSync(join(viteDist, "assets"));
  const wasm = assets.filter((file) => file.endsWith(".wasm"));
  // One module, named by its content's hash: Vite followed `new URL("…wasm", import.meta.url)`.
  assert.equal(wasm.length, 1, assets.join(", "));
  assert.match(wasm[0], /^offline_mailbox_bg-[\w-]{8}\.wasm$/);
  assert.deepEqual(readFileSync(join(viteDist, "assets", wasm[0])), readFileSync(join(app, "node_modules/offline-mailbox/web/offline_mailbox_bg.wasm")));
  assert.ok(assets.some((file) => /^mail-worker-[\w-]{8}\.js$/.test(file)), "the worker is bundled as its own asset");

  const { origin, log, result } = await runViteApp();
  const { id, parentFolderId, subject } = result.page.getMessage;
  assert.deepEqual({ id, parentFolderId, subject }, { id: "v-1", parentFolderId: "inbox", subject: "Quarterly budget" });
  assert.deepEqual(result.page.search, ["v-0", "v-1"]);
  assert.deepEqual(result.page.pages, [["v-0", "v-1"], ["v-2"]]);
  // The page and the worker fetched the hashed file (served as application/wasm), and no other module.
  const fetched = log.filter((entry) => entry.path.endsWith(".wasm")).map((entry) => entry.path);
  assert.ok(fetched.length >= 1 && fetched.every((path) => path === `/assets/${wasm[0]}`), fetched.join(", "));
  assert.equal((await fetch(`${origin}/assets/${wasm[0]}`)).headers.get("content-type"), "application/wasm");
  assert.deepEqual(foreignRequests(), []);
});

// ---------------------------------------------------------------- Web Workers

/** What runWorkerScenario (consumer/worker-scenario.js) found, checked against what the README promises. */
function assertWorkerScenario(out, log, origin) {
  assert.deepEqual(out.leaderchange, { isLeader: true }, "the worker took the Web Lock and leads");
  assert.equal(out.isLeader, true);
  assert.equal(out.offlineEnabled, true, "enableOffline({ persist: true }) resolved in the worker");
  assert.deepEqual({ ...out.localChange, version: 0 }, { kinds: ["messages"], folders: ["inbox"], ids: ["w-1", "w-2"], version: 0, local: true });
  assert.equal(out.getMessage.subject, "Quarterly report from the worker");
  assert.deepEqual(out.getMessage.body, { contentType: "text", content: "Quarterly report from the worker, in full" });
  assert.deepEqual(out.search, ["w-1"]);
  assert.deepEqual(out.list, ["Lunch on Friday"]);
  // The error crossed to the page with what an app branches on.
  assert.deepEqual(out.invalid, {
    name: "OfflineMailboxError", code: "InvalidInput", message: out.invalid.message, field: "id", index: 1, isError: true,
  });
  assert.equal(out.afterInvalid, null, "the rejected batch wrote nothing");
  // A Blob from the worker clones to the page whole.
  assert.deepEqual(out.photo, { isBlob: true, type: "image/png", bytes: [...PHOTO] });
  const photoRequests = log.filter((entry) => entry.path === "/ews/Exchange.asmx/s/GetUserPhoto");
  assert.deepEqual(photoRequests.map((entry) => entry.query), [{ email: "adelev@contoso.com", size: "HR64x64" }]);
  // The sync ran in the worker with the token the page sent.
  assert.ok(out.sync.created >= 1 && out.sync.pages >= 1, JSON.stringify(out.sync)); // the message, at least
  assert.equal(out.sync.phase, "done");
  assert.ok(out.syncProgress.includes("pull"), out.syncProgress.join());
  assert.equal(out.synced, "Synced in the worker");
  const graphRequests = log.filter((entry) => entry.path.startsWith("/v1.0/"));
  assert.ok(graphRequests.length > 0);
  assert.ok(graphRequests.every((entry) => entry.authorization === "Bearer token-from-the-page"));
  // storage() in the worker: the browser's estimate and what is stored.
  assert.equal(typeof out.storage.usage, "number");
  assert.equal(typeof out.storage.quota, "number");
  assert.equal(typeof out.storage.persisted, "boolean");
  assert.ok(out.storage.byKind.messages.count >= 3, JSON.stringify(out.storage.byKind));
  assert.deepEqual({ ...out.verify, checked: 0 }, { checked: 0, quarantined: 0, countErrors: 0 });
  assert.ok(out.verify.checked >= 3);
  for (const reports of [out.verifyProgress, out.rotateProgress]) {
    assert.ok(reports.length > 0 && reports.at(-1).done === reports.at(-1).total, JSON.stringify(reports));
  }
  assert.equal(out.afterRotate, "Quarterly report from the worker");
  // The page as a second context: it does not lead while the worker does, and
  // each hears the other's writes.
  assert.deepEqual(out.page, { offlineEnabled: true, isLeader: false });
  assert.deepEqual({ ...out.heardByPage, version: 0, folders: [] }, { kinds: ["messages"], folders: [], ids: ["w-2"], version: 0, local: false });
  assert.deepEqual({ ...out.heardByWorker, version: 0 }, { kinds: ["messages"], folders: ["inbox"], ids: ["p-1"], version: 0, local: false });
  assert.ok(out.heardByWorker.version > out.heardByPage.version);
  assert.equal(out.workerReadsPageWrite, "Written by the page");
  assert.deepEqual(out.pageLeaderchange, { isLeader: true }, "closing the worker's mailbox passed the lead to the page");
  assert.equal(out.closed.code, "Closed");
  // The network guard saw the worker's own requests, so its check covers the worker too.
  assert.ok(requests.some((url) => url.origin === origin && url.pathname === "/ews/Exchange.asmx/s/GetUserPhoto"));
  assert.deepEqual(foreignRequests(), []);
}

test(`the installed package runs in a plain module worker in ${BROWSER}`, async () => {
  // Import maps do not reach into workers: the worker imports the package's file by URL.
  const worker = readFileSync(join(consumer, "mail-worker.js"), "utf8");
  assert.equal(worker.split('from "offline-mailbox"').length, 2);
  writeFileSync(join(app, "mail-worker.js"), worker.replace('from "offline-mailbox"', `from "${ENTRY}"`));
  for (const file of ["worker-page.js", "worker-scenario.js", "mailbox-client.js"]) cpSync(join(consumer, file), join(app, file));
  writeFileSync(join(app, "worker.html"), page("/worker-page.js"));

  const { origin, log } = await serve(app);
  assertWorkerScenario(await run(`${origin}/worker.html`), log, origin);
});

test(`the package runs in a module worker bundled by Vite (new Worker(new URL(…))) in ${BROWSER}`, async () => {
  const { origin, log, result } = await runViteApp();
  assertWorkerScenario(result.worker, log, origin);
});
