// The worker check without a bundler: a plain module worker. Import maps do not
// apply inside workers, so package.test.mjs serves mail-worker.js with its
// import of "offline-mailbox" pointing at the installed package's file.
import init from "offline-mailbox";
import { runWorkerScenario } from "./worker-scenario.js";

await init();
const worker = new Worker("/mail-worker.js", { type: "module" });
window.result = await runWorkerScenario(worker, { userId: "plain-worker-user", orgServer: location.origin });
