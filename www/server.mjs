// The demo: serves the client (www/public), the built package (pkg/ at /pkg/) and
// the generated real-data corpus (target/corpus/ at /corpus/) on 127.0.0.1, with
// the organization's mail server stand-in beside it holding the demo mailbox
// (demo-mailbox.mjs: the corpus in the Inbox, served through its Graph subset)
// and a newsletter sender's server for the one remote image (sender-server.mjs).
//
// `node www/server.mjs` uses ports 8080, 8081 and 8082;
// `node www/server.mjs --messages 100000` (or DEMO_MESSAGES=100000) serves the
// replicated 100,000-message set instead of the 6,046 messages (it parses a
// 448 MB file: a few seconds and about 2 GB of memory).
// Tests call startDemo({ port: 0, orgPort: 0 }).
//
// Besides files, the app origin answers:
//   GET  /config.json    what the client needs to know: the org server, its domain, the demo user, the calendar week
//   POST /demo/network   {"online": false} cuts the org stand-in off (the demo's "go offline" switch), true reconnects
//   POST /demo/policy    {allowOfflineOn, displayPhotosEnabled, contactCardEnabled}: the admin changes the policy
//   GET  /demo/network, /demo/policy   the stand-ins' state: { online, policy }
// Those two stand in for the network and the admin; a real deployment has neither.
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CALENDAR_WEEK, CALENDAR_WINDOW, DEMO_USER, ORG_DOMAIN, demoMailbox } from "./demo-mailbox.mjs";
import { startOrgServer } from "./org-server.mjs";
import { startSenderServer } from "./sender-server.mjs";
import { staticFiles } from "./static.mjs";

const root = resolve(import.meta.dirname, "..");

/** The admin's policy when the demo starts: offline on private computers only, a common choice. */
const INITIAL_POLICY = { allowOfflineOn: "PrivateComputersOnly", displayPhotosEnabled: true, contactCardEnabled: true };

const POLICY_VALUES = {
  allowOfflineOn: (v) => ["AllComputers", "PrivateComputersOnly", "NoComputers"].includes(v),
  displayPhotosEnabled: (v) => typeof v === "boolean",
  contactCardEnabled: (v) => typeof v === "boolean",
};

/** The CSP of the client's pages: only its own scripts, the org server and nothing else. */
function appPolicy(orgOrigin) {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${orgOrigin}`,
    `img-src 'self' blob: data: ${orgOrigin}`,
    "style-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The CSP of the reading pane's host document (www/public/reader/host.html): no
 * script at all. The message itself is a sandboxed srcdoc frame inside it, and a
 * srcdoc document inherits its parent's policy on top of its own; so the parent
 * of the message is this host rather than the app page, whose strict policy
 * would block a mail's inline styles and every remote image even when the user
 * asks to see them. The message's own policy (set by the client) decides what
 * loads; this one only sets the outer bound.
 */
const READER_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data: http: https:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join("; ");

const COMMON_HEADERS = { "referrer-policy": "no-referrer", "x-content-type-options": "nosniff", "cache-control": "no-cache" };

/** Reads a small JSON request body (at most 4 KiB); null when it is not that. */
async function jsonBody(req) {
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return null;
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 4096) return null;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

/**
 * Starts the demo app, the org stand-in and the sender's server; resolves to
 * `{ url, org, sender, close }`. `messages` picks the corpus size (6,046 or a
 * replicated set).
 */
export async function startDemo({ port = 8080, orgPort = 8081, senderPort = port === 0 ? 0 : 8082, messages = 6046 } = {}) {
  const app = createServer();
  await new Promise((done) => app.listen(port, "127.0.0.1", done));
  const appOrigin = `http://127.0.0.1:${app.address().port}`;
  const sender = await startSenderServer({ port: senderPort });
  const graph = demoMailbox({ messages, senderOrigin: sender.origin });
  const org = await startOrgServer({ port: orgPort, appOrigin, graph, policy: INITIAL_POLICY });
  const headers = { ...COMMON_HEADERS, "content-security-policy": appPolicy(org.origin) };
  const reader = staticFiles({ "/reader/": join(root, "www", "public", "reader") }, { ...COMMON_HEADERS, "content-security-policy": READER_POLICY });
  const serve = staticFiles({ "/pkg/": join(root, "pkg"), "/corpus/": join(root, "target", "corpus"), "/": join(root, "www", "public") }, headers);
  const config = JSON.stringify({
    orgServer: org.origin,
    orgDomains: [ORG_DOMAIN],
    user: DEMO_USER,
    calendar: { week: CALENDAR_WEEK, window: CALENDAR_WINDOW },
    folders: graph.mailFolders.map((f) => f.id),
  });
  const answer = (res, status, body) => {
    res.writeHead(status, { ...COMMON_HEADERS, "content-type": "application/json", "cache-control": "no-store" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const demoRoutes = {
    "/demo/network": (body) => {
      if (typeof body?.online !== "boolean") return false;
      org.setOnline(body.online);
      return true;
    },
    "/demo/policy": (body) => {
      if (!body || typeof body !== "object") return false;
      const entries = Object.entries(body);
      if (!entries.every(([name, value]) => Object.hasOwn(POLICY_VALUES, name) && POLICY_VALUES[name](value))) return false;
      org.setPolicy({ ...org.policy, ...body });
      return true;
    },
  };
  app.on("request", async (req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (path === "/config.json") return answer(res, 200, JSON.parse(config));
    if (Object.hasOwn(demoRoutes, path)) {
      if (req.method === "GET") return answer(res, 200, { online: org.online, policy: org.policy });
      if (req.method !== "POST") return answer(res, 405, { error: "GET or POST only" });
      const body = await jsonBody(req).catch(() => null);
      return demoRoutes[path](body) ? answer(res, 200, { online: org.online, policy: org.policy }) : answer(res, 400, { error: "bad request" });
    }
    if (reader(req, res) || serve(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  return {
    url: `${appOrigin}/`,
    org,
    sender,
    close: async () => {
      app.closeAllConnections();
      await new Promise((done) => app.close(done));
      await org.close();
      await sender.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { messages: { type: "string", default: process.env.DEMO_MESSAGES ?? "6046" } } });
  const demo = await startDemo({ messages: Number(values.messages) });
  console.log(`demo:                http://127.0.0.1:8080/ (${values.messages} messages in the Inbox)`);
  console.log(`org server stand-in: ${demo.org.origin}`);
  console.log(`newsletter sender:   ${demo.sender.origin}`);
  console.log("Ctrl-C to stop.");
}
