// Shared set-up of the end-to-end tests that run against the demo servers: the
// demo app and the org-server stand-in on free loopback ports, and one browser.
import { after, before } from "node:test";
import { startDemo } from "../server.mjs";
import { launchBrowser } from "./browser.mjs";

/** Registers hooks that start the servers and a browser before the file's tests and stop them after. */
export function useDemo() {
  const env = {};
  before(async () => {
    env.demo = await startDemo({ port: 0, orgPort: 0 });
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.demo?.close();
  });
  return env;
}

/** A new page on the demo app, once the package has loaded. */
export async function demoPage(env) {
  const page = await env.browser.context.newPage();
  await page.goto(env.demo.url);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}
