// A stand-in for the organization's own mail server, for the demo and the tests.
// Not a pattern to copy: it hands out key material without any sign-in, which a
// real server must only do for the authenticated user.
// It logs every request it receives (`requests`, with the status it answered),
// answers CORS only for the configured app origin (credentials allowed, ETag
// exposed), and serves:
//   GET /api/offline-key?user=ID                           per-user key material (base64), as an org server would hand out
//   GET /ews/Exchange.asmx/s/GetUserPhoto?email=…&size=…   EWS REST sender photo
//   GET /users/{email}/photos/{size}/$value                Graph sender photo
//   GET /users/{email}                                     contact card (Graph user)
//   GET /api/policy                                        the admin's OWA mailbox policy for the user's mailbox
//   GET /api/health                                        204: the server is reachable (the demo client's online check)
// Photos and cards carry an ETag and answer 304 to a matching If-None-Match, 404
// for people without one, and the largest available size not above the one asked.
// Addresses are matched case-insensitively in ASCII only, as a directory does: a
// look-alike such as KELVIN SIGN K is a different (unknown) address. People marked
// `noStore` are served with `Cache-Control: no-store`.
// Given `graph` data ({ mailFolders, messages, contacts, events }), it also serves a
// Microsoft Graph subset with server-side state under /v1.0/me/... (graph-routes.mjs:
// delta queries, the calls an outbox sends, fault injection under /control/...).
// `setPolicy` changes the policy as an admin would; `setOnline(false)` cuts the
// server off (every connection, open or new, is destroyed unanswered: what a
// client sees when the network goes) until `setOnline(true)`.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { createGraphState } from "./graph-state.mjs";
import { graphRoutes } from "./graph-routes.mjs";

export const PHOTO_SIZES = ["HR48x48", "HR64x64", "HR96x96", "HR120x120", "HR240x240", "HR360x360", "HR432x432", "HR504x504", "HR648x648"];

/** The organization's people: their cards, and the largest photo each has (none = no photo). */
export const DIRECTORY = {
  "meganb@contoso.example": { displayName: "Megan Bowen", jobTitle: "Marketing Manager", department: "Marketing", officeLocation: "12/1110", businessPhones: ["+1 425 555 0109"], mobilePhone: null, photo: "HR648x648", color: "#0f6cbd" },
  "adelev@contoso.example": { displayName: "Adele Vance", jobTitle: "Retail Manager", department: "Retail", officeLocation: "18/2111", businessPhones: ["+1 425 555 0110"], mobilePhone: "+1 425 555 0111", photo: "HR96x96", color: "#c239b3" },
  "alexw@contoso.example": { displayName: "Alex Wilber", jobTitle: "Marketing Assistant", department: "Marketing", officeLocation: "131/1104", businessPhones: ["+1 858 555 0110"], mobilePhone: null, photo: null },
  "moved@contoso.example": { displayName: "Moved Away", redirectTo: "http://127.0.0.2:9/elsewhere" },
  "kim@contoso.example": { displayName: "Kim Akers", jobTitle: "Sales Lead", department: "Sales", officeLocation: "20/1101", businessPhones: ["+1 425 555 0112"], mobilePhone: null, photo: "HR96x96", color: "#107c10" },
  "nora@contoso.example": { displayName: "Nora Store", jobTitle: "Counsel", department: "Legal", officeLocation: "9/101", businessPhones: ["+1 425 555 0113"], mobilePhone: null, photo: "HR96x96", color: "#8764b8", noStore: true },
};

/** A person's photo: a head-and-shoulders silhouette on their colour, at `size` (so a photo never looks like initials). */
function photoSvg(person, size) {
  const px = Number(size.replace(/^HR/, "").split("x")[0]);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 100 100"><rect width="100" height="100" fill="${person.color}"/><circle cx="50" cy="39" r="19" fill="#fff" fill-opacity="0.88"/><path d="M13 100c0-22 16-36 37-36s37 14 37 36z" fill="#fff" fill-opacity="0.88"/></svg>`;
}

/** Lowercases A–Z only (a directory's case-insensitive match, no Unicode folding). */
const asciiLower = (text) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The largest available size not above `wanted` (Exchange's fallback), or null. */
function servedSize(person, wanted) {
  if (!person?.photo || !PHOTO_SIZES.includes(wanted)) return null;
  return PHOTO_SIZES[Math.min(PHOTO_SIZES.indexOf(wanted), PHOTO_SIZES.indexOf(person.photo))];
}

/** Exchange's defaults for the OWA mailbox policy. */
const DEFAULT_POLICY = { allowOfflineOn: "AllComputers", displayPhotosEnabled: true, contactCardEnabled: true };

/** Starts the stand-in on 127.0.0.1:`port` (0 = any free port). */
export async function startOrgServer({ port = 0, appOrigin, secret = "offline-mailbox demo org secret", graph, policy: initialPolicy = DEFAULT_POLICY } = {}) {
  const requests = [];
  let policy = { ...initialPolicy };
  let online = true;
  const sockets = new Set();
  const graphState = graph ? createGraphState(graph) : null;
  const graphLog = [];
  const graphHandler = graphState ? graphRoutes(graphState, graphLog) : null;
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    if (graphHandler && (path.startsWith("/v1.0/") || path.startsWith("/control/"))) {
      requests.push({ method: req.method, path, query: "", origin: req.headers.origin ?? null, referer: req.headers.referer ?? null, ifNoneMatch: null, status: null });
      graphHandler(req, res, corsHeaders(req)).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    try {
      handle(req, res);
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "BadRequest", message: "malformed request" } }));
    }
  });
  const handle = (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const entry = {
      method: req.method,
      path: url.pathname,
      query: url.search,
      origin: req.headers.origin ?? null,
      referer: req.headers.referer ?? null,
      ifNoneMatch: req.headers["if-none-match"] ?? null,
      status: null,
    };
    requests.push(entry);
    const headers = { "cache-control": "no-cache", ...corsHeaders(req) };
    const send = (status, extra = {}, body = "") => {
      entry.status = status;
      res.writeHead(status, { ...headers, ...extra });
      res.end(body);
    };
    const json = (status, body) => send(status, { "content-type": "application/json" }, JSON.stringify(body));
    const cached = (person, etag, type, body) => {
      const caching = person.noStore ? { "cache-control": "no-store" } : {};
      if (req.headers["if-none-match"] === etag) return send(304, { etag, ...caching });
      return send(200, { etag, "content-type": type, ...caching }, body);
    };
    const photo = (email, size) => {
      const person = DIRECTORY[asciiLower(email)];
      if (person?.redirectTo) return send(302, { location: person.redirectTo });
      const served = servedSize(person, size);
      if (!served) return json(404, { error: { code: "ErrorItemNotFound", message: "no photo" } });
      return cached(person, `"${asciiLower(email)}-${served}-v1"`, "image/svg+xml", photoSvg(person, served));
    };

    if (req.method === "OPTIONS") {
      return send(204, { "access-control-allow-methods": "GET", "access-control-allow-headers": "if-none-match" });
    }
    if (req.method !== "GET") return json(405, { error: { code: "MethodNotAllowed" } });
    if (url.pathname === "/api/offline-key") {
      const user = url.searchParams.get("user");
      if (!user) return json(400, { error: { code: "BadRequest", message: "user is required" } });
      return json(200, { key: createHmac("sha256", secret).update(user).digest("base64") });
    }
    if (url.pathname === "/api/policy") return send(200, { "content-type": "application/json", "cache-control": "no-store" }, JSON.stringify(policy));
    if (url.pathname === "/api/health") return send(204, { "cache-control": "no-store" });
    if (url.pathname === "/ews/Exchange.asmx/s/GetUserPhoto") {
      return photo(url.searchParams.get("email") ?? "", url.searchParams.get("size") ?? "HR96x96");
    }
    const graphPhoto = url.pathname.match(/^\/users\/([^/]+)\/photos\/([^/]+)\/\$value$/);
    if (graphPhoto) return photo(decodeURIComponent(graphPhoto[1]), `HR${graphPhoto[2]}`);
    const card = url.pathname.match(/^\/users\/([^/]+)$/);
    if (card) {
      const email = asciiLower(decodeURIComponent(card[1]));
      const person = DIRECTORY[email];
      if (!person || person.redirectTo) return json(404, { error: { code: "Request_ResourceNotFound" } });
      const { displayName, jobTitle, department, officeLocation, businessPhones, mobilePhone } = person;
      const body = JSON.stringify({ id: `user-${email}`, mail: email, displayName, jobTitle, department, officeLocation, businessPhones, mobilePhone });
      return cached(person, `"card-${email}-v1"`, "application/json", body);
    }
    json(404, { error: { code: "NotFound", message: `no route for ${url.pathname}` } });
  };
  /** CORS headers for the demo app's origin (no other origin may read answers). */
  function corsHeaders(req) {
    if (!appOrigin || req.headers.origin !== appOrigin) return {};
    return {
      "access-control-allow-origin": appOrigin,
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "ETag, Cache-Control, Retry-After",
      vary: "Origin",
    };
  }
  server.on("connection", (socket) => {
    if (!online) return socket.destroy();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    requests,
    graph: graphState,
    graphLog,
    get policy() { return { ...policy }; },
    /** Replaces the policy with `next` (missing fields take Exchange's defaults). */
    setPolicy(next) { policy = { ...DEFAULT_POLICY, ...next }; },
    get online() { return online; },
    /** Cuts the server off (`false`: open connections are destroyed, new ones refused) or reconnects it. */
    setOnline(value) {
      online = value;
      if (!online) for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
