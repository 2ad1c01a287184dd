// Running out of storage: a batch the quota cannot hold rejects with
// QuotaExceeded and writes nothing; what was stored before still reads.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { enforceQuota } from "./browser.mjs";
import { demoPage, startDemoEnv } from "./demo-env.mjs";

const QUOTA = 2 * 1024 * 1024;
let env;

before(async () => {
  env = await startDemoEnv({ quota: QUOTA });
});

after(() => env?.close());

test("a batch over the storage quota is QuotaExceeded and writes nothing", async () => {
  const page = await demoPage(env);
  await enforceQuota(env.browser, page, new URL(env.demo.url).origin, QUOTA);

  const result = await page.evaluate(async () => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const mailbox = await OfflineMailbox.open({ userId: "quota-user", key: new Uint8Array(32).fill(3) });
    await mailbox.enableOffline();
    await mailbox.putMessages([{ id: "before", subject: "stored before the quota ran out" }]);
    // Random text: bodies are compressed before they are sealed, and this does not shrink.
    const noise = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(48 * 1024))));
    const big = Array.from({ length: 200 }, (_, i) => ({ id: `big-${i}`, body: { contentType: "text", content: noise() } }));
    let code;
    try {
      await mailbox.putMessages(big);
    } catch (error) {
      code = error.code;
    }
    const firstOfBatch = await mailbox.getMessage("big-0");
    const lastOfBatch = await mailbox.getMessage("big-199");
    const before = await mailbox.getMessage("before");
    await mailbox.wipe();
    return { code, firstOfBatch, lastOfBatch, before: before?.subject };
  });
  assert.deepEqual(result, { code: "QuotaExceeded", firstOfBatch: null, lastOfBatch: null, before: "stored before the quota ran out" });
});
