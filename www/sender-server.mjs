// A stand-in for a newsletter sender's own web server, on loopback: the host a
// remote image in a mail points at. Loading such an image tells the sender that,
// when and from where the mail was read (a tracking image), which is why the
// demo client blocks remote images until the user asks for them. The server logs
// every request it receives, so the tests can prove that nothing was fetched
// while images were blocked and exactly one request once they were shown.
import { createServer } from "node:http";

/** The banner the newsletter shows: a small SVG, so no binary asset is needed. */
const BANNER = `<svg xmlns="http://www.w3.org/2000/svg" width="560" height="120" viewBox="0 0 560 120">
<rect width="560" height="120" rx="8" fill="#c239b3"/>
<text x="32" y="58" font-family="sans-serif" font-size="30" font-weight="600" fill="#fff">Contoso Retail</text>
<text x="32" y="90" font-family="sans-serif" font-size="18" fill="#fff">Three new stores open in December</text>
</svg>`;

/** Starts the sender's server on 127.0.0.1:`port` (0 = any free port); resolves to `{ origin, requests, close }`. */
export async function startSenderServer({ port = 0 } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    requests.push({ method: req.method, path: url.pathname, query: url.search, referer: req.headers.referer ?? null });
    if (url.pathname !== "/banner.svg") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "image/svg+xml", "cache-control": "no-store" });
    res.end(BANNER);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
