// A stand-in for the organization's own mail server, for the demo and the tests.
// It logs every request it receives (`requests`), answers CORS only for the
// configured app origin, and serves:
//   GET /api/offline-key?user=ID   32 bytes of per-user key material (base64), as an org server would hand out
//   GET /api/messages              a page of Graph-shaped sample messages
import { createHmac } from "node:crypto";
import { createServer } from "node:http";

const SAMPLE_MESSAGES = [
  {
    id: "AAMkAGI2TG93AAA=",
    parentFolderId: "inbox",
    conversationId: "AAQkAGI2TG93",
    subject: "Welcome to offline mail",
    bodyPreview: "This message was stored encrypted in IndexedDB and read back.",
    body: { contentType: "text", content: "This message was stored encrypted in IndexedDB and read back." },
    from: { emailAddress: { name: "Megan Bowen", address: "meganb@contoso.example" } },
    receivedDateTime: "2026-11-20T09:30:00Z",
    isRead: false,
  },
  {
    id: "AAMkAGI2TG94AAA=",
    parentFolderId: "inbox",
    conversationId: "AAQkAGI2TG94",
    subject: "Grüße aus Zürich — 会议纪要",
    bodyPreview: "Non-ASCII text survives the round trip.",
    body: { contentType: "html", content: "<p>Non-ASCII text survives the round trip: Grüße, 会议纪要.</p>" },
    from: { emailAddress: { name: "Adele Vance", address: "adelev@contoso.example" } },
    receivedDateTime: "2026-11-19T16:05:00Z",
    isRead: true,
  },
];

/** Starts the stand-in on 127.0.0.1:`port` (0 = any free port). */
export async function startOrgServer({ port = 0, appOrigin, secret = "offline-mailbox demo org secret" } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    requests.push({ method: req.method, path: url.pathname, query: url.search, origin: req.headers.origin ?? null, referer: req.headers.referer ?? null });
    const headers = { "cache-control": "no-store" };
    if (appOrigin && req.headers.origin === appOrigin) {
      headers["access-control-allow-origin"] = appOrigin;
      headers["access-control-allow-credentials"] = "true";
      headers["vary"] = "Origin";
    }
    const json = (status, body) => {
      res.writeHead(status, { ...headers, "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, { ...headers, "access-control-allow-methods": "GET", "access-control-allow-headers": "if-none-match" });
      return res.end();
    }
    if (req.method === "GET" && url.pathname === "/api/offline-key") {
      const user = url.searchParams.get("user");
      if (!user) return json(400, { error: { code: "BadRequest", message: "user is required" } });
      return json(200, { key: createHmac("sha256", secret).update(user).digest("base64") });
    }
    if (req.method === "GET" && url.pathname === "/api/messages") {
      return json(200, { value: SAMPLE_MESSAGES });
    }
    json(404, { error: { code: "NotFound", message: `no route for ${url.pathname}` } });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}
