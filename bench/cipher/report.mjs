// Renders bench/results/cipher.json as bench/results/cipher.md (placeholder until first figures).
export function cipherReport(r) {
  return "```json\n" + JSON.stringify({ cipher: r.cipher, latency: r.latency, codec: r.codec, codeSize: r.codeSize }, null, 1) + "\n```\n";
}
