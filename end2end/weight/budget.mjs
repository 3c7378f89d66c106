// The console's weight budget: what a browser downloads to run the console, compressed as it
// is served. Prints raw, gzip and brotli sizes of every file under the site's `pkg/` and fails
// (exit 1) when the wasm or a route's total is over budget.
//
//   node end2end/weight/budget.mjs [SITE_ROOT]      (default: target/site)
//
// Sizes are compressed here (gzip -9, brotli quality 11, as the build's precompression does),
// so the figures do not depend on which precompressed files a build produced.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

/**
 * Bytes (KB = 1,000 bytes, as browsers' network panels count). The budget is what CI enforces:
 * a ratchet just above today's size, lowered as the weight comes down, so nothing grows
 * unnoticed. The goal is where the console is headed (only interactive parts hydrating).
 */
export const BUDGET = {
  // The wasm every page starts with, brotli-compressed.
  wasm: 250_000,
  // Everything a route loads before it is interactive (wasm, JS glue, stylesheet), brotli.
  route: 260_000,
};
export const GOAL = { wasm: 250_000, route: 400_000 };

/** Raw, gzip and brotli sizes of one file's bytes. */
export function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

/** The files of the site's `pkg/` that a page loads, by kind (precompressed copies skipped). */
export function assets(siteRoot) {
  const pkg = join(siteRoot, "pkg");
  if (!existsSync(pkg)) throw new Error(`no ${pkg}: build the site first (cargo leptos build --release)`);
  const files = readdirSync(pkg).filter((f) => !f.endsWith(".br") && !f.endsWith(".gz"));
  const kind = (f) => (f.endsWith(".wasm") ? "wasm" : f.endsWith(".js") ? "js" : f.endsWith(".css") ? "css" : "other");
  return files.map((f) => ({ file: f, kind: kind(f), ...sizes(readFileSync(join(pkg, f))) }));
}

const fmt = (n) => n.toLocaleString("en-US").padStart(11);

function main() {
  const siteRoot = process.argv[2] ?? "target/site";
  const rows = assets(siteRoot);
  console.log(`${"file".padEnd(40)} ${"raw".padStart(11)} ${"gzip -9".padStart(11)} ${"brotli 11".padStart(11)}`);
  for (const r of rows) console.log(`${r.file.padEnd(40)} ${fmt(r.raw)} ${fmt(r.gzip)} ${fmt(r.brotli)}`);
  const wasm = rows.filter((r) => r.kind === "wasm");
  if (wasm.length !== 1) {
    console.error(`expected one wasm file in ${siteRoot}/pkg, found ${wasm.length}`);
    process.exit(1);
  }
  // Every route loads the one wasm, its JS glue and the stylesheet.
  const route = rows.filter((r) => r.kind !== "other").reduce((sum, r) => sum + r.brotli, 0);
  const checks = [
    ["wasm (brotli)", wasm[0].brotli, BUDGET.wasm, GOAL.wasm],
    ["every route: wasm + JS + CSS (brotli)", route, BUDGET.route, GOAL.route],
  ];
  let failed = false;
  const n = (x) => x.toLocaleString("en-US");
  for (const [what, size, budget, goal] of checks) {
    const ok = size <= budget;
    failed ||= !ok;
    console.log(`${ok ? "ok  " : "OVER"} ${what}: ${n(size)} B of ${n(budget)} B budget (goal ${n(goal)} B: ${(size / goal).toFixed(2)}x)`);
  }
  if (failed) {
    console.error("the console's weight is over budget (end2end/weight/budget.mjs)");
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
