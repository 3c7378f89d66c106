import { expect, test, type Page } from "@playwright/test";
import { hydrated } from "./helpers";

/** What crossed the network for `page`, by kind of file: bytes not served from a cache. */
async function wire(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const kinds = new Map<string, { kind: string; cacheControl: string; cached: boolean }>();
  const bytes: Record<string, number> = {};
  cdp.on("Network.responseReceived", (e) => {
    const path = new URL(e.response.url).pathname;
    const kind = path.match(/\.(wasm|js|css)$/)?.[1] ?? "other";
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    kinds.set(e.requestId, {
      kind,
      cacheControl: headers["cache-control"] ?? "",
      cached: Boolean(e.response.fromDiskCache || e.response.fromMemoryCache),
    });
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = kinds.get(e.requestId);
    if (r && !r.cached) bytes[r.kind] = (bytes[r.kind] ?? 0) + e.encodedDataLength;
  });
  return { kinds, bytes };
}

test("a second visit downloads no wasm, JavaScript or stylesheet", async ({ browser }) => {
  const context = await browser.newContext();
  const first = await context.newPage();
  const seen = await wire(first);
  await first.goto("/login");
  await hydrated(first);
  const assets = [...seen.kinds.values()].filter((r) => r.kind !== "other");
  expect(assets.map((r) => r.kind).sort()).toEqual(["css", "js", "wasm"]);
  for (const r of assets) expect(r.cacheControl).toBe("public, max-age=31536000, immutable");
  expect(seen.bytes.wasm).toBeGreaterThan(0);

  const second = await context.newPage();
  const again = await wire(second);
  await second.goto("/login");
  await hydrated(second);
  expect(again.bytes).toEqual({ other: expect.any(Number) });
  await context.close();
});
