// The demo: serves www/public, the built package (pkg/ at /pkg/) and the generated
// real-data corpus (target/corpus/ at /corpus/) on 127.0.0.1, with
// the organization's mail server stand-in beside it. `node www/server.mjs` uses
// ports 8080 and 8081; tests call startDemo({ port: 0, orgPort: 0 }).
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { startOrgServer } from "./org-server.mjs";
import { staticFiles } from "./static.mjs";

const root = resolve(import.meta.dirname, "..");

/** Starts the demo app and the org stand-in; resolves to their origins and a close(). */
export async function startDemo({ port = 8080, orgPort = 8081 } = {}) {
  const app = createServer();
  await new Promise((done) => app.listen(port, "127.0.0.1", done));
  const appOrigin = `http://127.0.0.1:${app.address().port}`;
  const org = await startOrgServer({ port: orgPort, appOrigin });
  // Everything the page may load comes from these two loopback origins.
  const csp = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self' ${org.origin}`,
    `img-src 'self' blob: ${org.origin}`,
    "style-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const serve = staticFiles(
    { "/pkg/": join(root, "pkg"), "/corpus/": join(root, "target", "corpus"), "/": join(root, "www", "public") },
    { "content-security-policy": csp },
  );
  const config = JSON.stringify({ orgServer: org.origin });
  app.on("request", (req, res) => {
    if (req.url === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(config);
    }
    if (serve(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  return {
    url: `${appOrigin}/`,
    org,
    close: async () => {
      await new Promise((done) => app.close(done));
      await org.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startDemo();
  console.log(`demo:              ${demo.url}`);
  console.log(`org server stand-in: ${demo.org.origin}`);
  console.log("Ctrl-C to stop.");
}
