// Shared set-up of the end-to-end tests that run against the demo servers: the
// demo app and the org-server stand-in on free loopback ports, and one browser.
import { startDemo } from "../server.mjs";
import { launchBrowser } from "./browser.mjs";

/** Starts the servers and a browser (options as `launchBrowser`); `close()` stops all of them. */
export async function startDemoEnv(options = {}) {
  const demo = await startDemo({ port: 0, orgPort: 0 });
  const browser = await launchBrowser(options);
  const close = async () => {
    await browser.close();
    await demo.close();
  };
  return { demo, browser, close };
}

/**
 * A new page on the demo app, once the client has loaded, with the package
 * initialized in the page itself: the client runs the library in its worker,
 * and the tests call it from the page (`import("/pkg/web/offline_mailbox.js")`
 * then gives the initialized module).
 */
export async function demoPage(env) {
  const page = await env.browser.context.newPage();
  await page.goto(env.demo.url);
  await page.waitForSelector("body[data-ready=true]");
  await page.evaluate(async () => {
    const { default: init } = await import("/pkg/web/offline_mailbox.js");
    await init();
  });
  return page;
}
