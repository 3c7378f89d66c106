// What a person's browser downloads and waits for, first visit and second: in Chromium on an
// emulated 10 Mbit/s link with 40 ms latency, open /login, sign in, land on the API Keys page,
// create a key. Reports bytes on the wire by type, requests, and the time until each page is
// interactive (hydrated), for a first visit (empty cache) and a second (same browser profile).
//
//   KEYWARD_BASE_URL=http://127.0.0.1:3000 KEYWARD_EMAIL=… KEYWARD_PASSWORD=… \
//     node end2end/weight/visits.mjs
//
// To compare builds side by side in one run, name several servers (same account on each):
// KEYWARD_BASE_URLS="before=http://127.0.0.1:3001 after=http://127.0.0.1:3002"; rounds
// alternate between them. `.ci/weight bench` builds a release, starts it with a fresh
// database and runs this.
import { chromium } from "@playwright/test";

const servers = (process.env.KEYWARD_BASE_URLS ?? `this=${process.env.KEYWARD_BASE_URL ?? "http://127.0.0.1:3000"}`)
  .split(/\s+/)
  .filter(Boolean)
  .map((s) => s.split("="));
const email = process.env.KEYWARD_EMAIL ?? "owner@example.com";
const password = process.env.KEYWARD_PASSWORD ?? "correct horse battery staple";
const rounds = Number(process.env.KEYWARD_BENCH_ROUNDS ?? 3);

/** 10 Mbit/s down and up, 40 ms round trip added to every request. */
const LINK = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };

const kindOf = (url, mime) => {
  const path = new URL(url).pathname;
  if (path.endsWith(".wasm")) return "wasm";
  if (path.endsWith(".js")) return "js";
  if (path.endsWith(".css")) return "css";
  if (mime?.startsWith("text/html")) return "html";
  if (path.startsWith("/api/")) return "server fn";
  return "other";
};

/** Counts what crosses the wire for one page: bytes by kind (encoded, headers included). */
async function meter(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", LINK);
  const pending = new Map();
  const totals = { requests: 0, bytes: {} };
  cdp.on("Network.responseReceived", (e) => {
    pending.set(e.requestId, { kind: kindOf(e.response.url, e.response.mimeType), cached: e.response.fromDiskCache || e.response.fromMemoryCache });
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = pending.get(e.requestId);
    if (!r || r.cached) return;
    totals.requests += 1;
    totals.bytes[r.kind] = (totals.bytes[r.kind] ?? 0) + e.encodedDataLength;
  });
  return totals;
}

/** Milliseconds from the current document's navigation start until it is hydrated. */
async function interactive(page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === "true", null, { timeout: 60_000 });
  return page.evaluate(() => performance.now());
}

/** One visit: sign in, the keys page, create a key, sign out. */
async function visit(context, base) {
  const page = await context.newPage();
  const totals = await meter(page);
  await page.goto(`${base}/login`);
  const login = await interactive(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/settings\/api-keys$/);
  const keys = await interactive(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill(`weight ${Date.now()}`);
  await form.getByRole("button", { name: "Create key" }).click();
  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await page.close();
  return { login, keys, ...totals };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const runs = Object.fromEntries(servers.flatMap(([name]) => [[`${name} first`, []], [`${name} second`, []]]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, base] of servers) {
      const context = await browser.newContext();
      runs[`${name} first`].push(await visit(context, base));
      runs[`${name} second`].push(await visit(context, base));
      await context.close();
    }
  }
  await browser.close();
  const kinds = ["html", "js", "wasm", "css", "server fn", "other"];
  console.log(`Keyward console weight: ${rounds} rounds, medians; link ${LINK.downloadThroughput * 8 / 1e6} Mbit/s, ${LINK.latency} ms`);
  console.log(`${"visit".padEnd(16)} ${kinds.map((k) => k.padStart(10)).join(" ")} ${"total B".padStart(10)} ${"requests".padStart(9)} ${"login ms".padStart(9)} ${"keys ms".padStart(9)}`);
  for (const [name, list] of Object.entries(runs)) {
    const by = (k) => median(list.map((r) => r.bytes[k] ?? 0));
    const total = median(list.map((r) => Object.values(r.bytes).reduce((a, b) => a + b, 0)));
    console.log(
      `${name.padEnd(16)} ${kinds.map((k) => String(by(k)).padStart(10)).join(" ")} ${String(total).padStart(10)} ` +
        `${String(median(list.map((r) => r.requests))).padStart(9)} ${median(list.map((r) => r.login)).toFixed(0).padStart(9)} ${median(list.map((r) => r.keys)).toFixed(0).padStart(9)}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
