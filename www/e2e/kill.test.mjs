// A tab ingesting the real corpus is killed at 20 different moments: the whole
// browser process with SIGKILL (a crash, a power cut for the profile) or only the
// tab's renderer (through the DevTools protocol; Chromium only), alternately, each after a
// different number of committed batches and a different delay into the next.
// After every kill the same profile is opened again: the mailbox opens, every
// batch of every earlier run is there whole or not at all, `verify()` finds
// nothing to quarantine and no count to repair, and the next run carries on.
// The moments vary, the assertions do not: whatever a kill interrupts, they hold.
// Needs target/corpus (scripts/test.sh generates it with tools/corpus).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { BROWSER, launchContext } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const KILLS = 20;
const BATCH = 100;
const MAX_BATCHES = 12;
const USER = "killed-mid-ingest";

let site;
let profile;
/** Resolves the test's wait for `n` committed batches, as the page reports them. */
let committed = 0;
let onCommitted = () => {};

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "offline-mailbox-kill-"));
  site = await startSite({ "/pkg/": join(root, "pkg"), "/corpus/": join(root, "target", "corpus") }, {
    "/committed": (req, res) => {
      committed += 1;
      onCommitted();
      res.writeHead(204).end();
    },
  });
});

after(async () => {
  // A failed run may leave its browser up: nothing of it may outlive the test.
  await killBrowser();
  site?.close();
  rmSync(profile, { recursive: true, force: true });
});

function launch() {
  return launchContext(profile);
}

/**
 * SIGKILL to every process of the browser using the test's profile (found by
 * its profile path) and all their descendants, then waits until every one is
 * gone: a child still exiting can hold the profile's IndexedDB files, and the
 * next launch would fail to open them.
 */
async function killBrowser() {
  const table = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" }).split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/)).filter(Boolean)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args }));
  const doomed = new Set(table.filter((p) => p.args.includes(profile)).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) if (doomed.has(p.ppid) && !doomed.has(p.pid)) { doomed.add(p.pid); grew = true; }
  }
  for (const pid of doomed) {
    try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }
  // Gone: no such process, or a zombie (dead, only not yet reaped).
  const alive = (pid) => {
    try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; }
  };
  while ([...doomed].some(alive)) await new Promise((ok) => setTimeout(ok, 50));
}

function waitForBatches(n) {
  return new Promise((ok) => {
    onCommitted = () => { if (committed >= n) ok(); };
    onCommitted();
  });
}

/**
 * Opens the mailbox (turning offline on the first time), checks what earlier
 * runs left, then ingests run `run`'s batches until killed; resolves with the
 * check once the ingest has started.
 */
async function openAndIngest(page, run) {
  return page.evaluate(async ([user, run, batchSize, maxBatches]) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(5), computer: "private" });
    if (!mailbox.offlineEnabled) await mailbox.enableOffline();
    const folders = await (await fetch("/corpus/folders.json")).json();
    await mailbox.putFolders(folders);
    const report = await mailbox.verify();
    // Every stored message, by listing every folder.
    const ids = [];
    for (const folder of folders) {
      let page = await mailbox.listMessages(folder.id, { limit: 1000, fields: ["id"] });
      ids.push(...page.value.map((m) => m.id));
      while (page.nextCursor) {
        page = await mailbox.listMessages(folder.id, { limit: 1000, fields: ["id"], cursor: page.nextCursor });
        ids.push(...page.value.map((m) => m.id));
      }
    }
    const counts = (await mailbox.folders()).reduce((sum, f) => sum + f.totalItemCount, 0);
    const sample = ids.length ? await mailbox.getMessage(ids[ids.length >> 1]) : null;
    const corpus = await (await fetch("/corpus/messages.json")).json();
    // Run `run` ingests its own ids, so each batch can be told apart later.
    const ingest = async () => {
      for (let b = 0; b < maxBatches; b++) {
        const batch = corpus.slice(((run * maxBatches + b) * batchSize) % 5000, ((run * maxBatches + b) * batchSize) % 5000 + batchSize)
          .map((m, j) => ({ ...m, id: `r${run}-b${b}-${j}` }));
        await mailbox.putMessages(batch);
        await fetch("/committed");
      }
    };
    window.ingesting = ingest();
    return { report, ids, counts, sampleBody: typeof sample?.body?.content };
  }, [USER, run, BATCH, MAX_BATCHES]);
}

test("a tab killed at 20 moments mid-ingest leaves every batch whole or absent and a mailbox that verifies clean", async () => {
  const seen = [];
  let reported = 0;
  for (let run = 0; run <= KILLS; run++) {
    const context = await launch();
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${site.origin}/`);
    committed = 0;
    const found = await openAndIngest(page, run);

    assert.equal(found.report.quarantined, 0, `run ${run}: nothing failed authentication`);
    assert.equal(found.report.countErrors, 0, `run ${run}: every folder count matched its messages`);
    assert.equal(found.counts, found.ids.length, `run ${run}: the counts add up to the messages listed`);
    const batches = new Map();
    for (const id of found.ids) {
      const batch = id.slice(0, id.lastIndexOf("-"));
      batches.set(batch, (batches.get(batch) ?? 0) + 1);
    }
    for (const [batch, size] of batches) assert.equal(size, BATCH, `run ${run}: batch ${batch} is whole`);
    if (found.ids.length) assert.equal(found.sampleBody, "string", `run ${run}: a stored message reads whole`);
    seen.push(batches.size);
    if (run > 0) {
      const kept = [...batches.keys()].filter((batch) => batch.startsWith(`r${run - 1}-`)).length;
      assert.ok(kept >= reported, `run ${run - 1}: every batch it reported committed is there (${kept} >= ${reported})`);
      // Batches that committed after the last report: the kill came between the commit and the report.
      const how = run % 2 === 1 || BROWSER === "firefox" ? "browser SIGKILL" : "renderer crash";
      console.log(`kill ${run}: ${how}, ${reported} batches reported, ${kept} stored`);
    }
    if (run === KILLS) {
      await context.close();
      break;
    }

    // The moment: after 1 to 4 committed batches, and 0 to 190 ms into the next.
    await waitForBatches(1 + (run % 4));
    await new Promise((ok) => setTimeout(ok, (run * 37) % 200));
    reported = committed;
    // Firefox has no DevTools-protocol crash: every kill there is a SIGKILL.
    if (run % 2 === 0 || BROWSER === "firefox") {
      await killBrowser();
    } else {
      const cdp = await context.newCDPSession(page);
      // The renderer dies before it can answer: wait for the page's crash instead.
      const crashed = new Promise((ok) => page.once("crash", ok));
      cdp.send("Page.crash").catch(() => {});
      await crashed;
    }
    // A browser killed outright may never answer: do not wait on it for long.
    await Promise.race([context.close().catch(() => {}), new Promise((ok) => setTimeout(ok, 5000))]);
    await killBrowser();
  }
  assert.ok(seen.at(-1) > seen[1], `batches accumulated across the runs (${seen.join(", ")})`);
});
