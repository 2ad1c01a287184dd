// A loopback HTTP server for a browser test: a blank page at `/`, a few routes of
// the test's own, and static files.
import { createServer } from "node:http";
import { staticFiles } from "../static.mjs";

/**
 * Starts serving `mounts` (URL prefix -> directory) and `routes` (exact path ->
 * handler) on 127.0.0.1; resolves to `{ origin, close }`.
 */
export async function startSite(mounts, routes = {}) {
  const files = staticFiles(mounts);
  const server = createServer((req, res) => {
    const route = routes[req.url];
    if (route) return route(req, res);
    if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end("<!doctype html><title>offline-mailbox test</title>");
    }
    if (!files(req, res)) res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
