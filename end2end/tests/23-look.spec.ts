import { expect, test, type Page } from "@playwright/test";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { CONSOLE_PAGES, hydrated, isServerRendered, signIn } from "./helpers";

/**
 * How every page looks, measured rather than judged by eye: in the light and the dark theme each
 * page is photographed (`test-results/look/<theme>/<page>.png`), the contrast of every piece of
 * text against what is behind it is computed, and so is the focus ring's. The page must reflow at
 * 320 CSS pixels (WCAG 1.4.10, the width of 400% zoom; 200% is wider) without scrolling sideways.
 * A table of the figures is written to `test-results/look/report.md`.
 */

const OUT = "test-results/look";

interface Measure {
  /** The lowest text contrast on the page, and where. */
  lowest: number;
  where: string;
  /** Text below its AA threshold (4.5:1, or 3:1 for large text). */
  failures: string[];
  texts: number;
}

/** Measures, in the page, the contrast of every visible text against its effective background. */
function measureContrast(page: Page): Promise<Measure> {
  return page.evaluate(() => {
    const parse = (c: string): number[] => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top: number[], under: number[]) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
    };
    /** The colour behind `el`: its ancestors' backgrounds composed, down to an opaque one. */
    const background = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let colour = [255, 255, 255, 1];
      for (const layer of layers.reverse()) colour = over(layer, colour);
      return colour;
    };
    const luminance = (c: number[]) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a: number[], b: number[]) => {
      const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (l1 + 0.05) / (l2 + 0.05);
    };
    const result = { lowest: 21, where: "", failures: [] as string[], texts: 0 };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      const hidden = style.visibility === "hidden" || box.width <= 1 || box.height <= 1 || el.closest("[aria-hidden=true], noscript, script, style, title, .visually-hidden, option");
      // Disabled controls are exempt from contrast (WCAG 1.4.3).
      const disabled = el.closest(":disabled, [aria-disabled=true]");
      if (hidden || disabled) continue;
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const fg = over(parse(style.color), background(el));
      const r = ratio(fg, background(el));
      result.texts++;
      const label = `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ")[0] : ""} "${n.textContent.trim().slice(0, 30)}"`;
      if (r < result.lowest) {
        result.lowest = r;
        result.where = label;
      }
      if (r < (large ? 3 : 4.5)) result.failures.push(`${label}: ${r.toFixed(2)}:1`);
    }
    return result;
  });
}

/** The contrast of the focus ring of the focused control against the page behind it. */
function focusRingContrast(page: Page): Promise<number> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const parse = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).map(Number);
    const lum = (c: number[]) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let bg = [255, 255, 255];
    for (let e: Element | null = el.parentElement; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
        bg = c;
        break;
      }
    }
    const ring = parse(getComputedStyle(el).outlineColor);
    const [l1, l2] = [lum(ring), lum(bg)].sort((x, y) => y - x);
    return getComputedStyle(el).outlineStyle === "none" ? 0 : (l1 + 0.05) / (l2 + 0.05);
  });
}

const slug = (path: string) => path.replace(/^\//, "").replace(/[/?=&]+/g, "-") || "home";

test("every page keeps AA contrast, a visible focus ring and reflows at 320 px, in both themes", async ({ page }) => {
  test.setTimeout(120_000);
  const rows: string[] = [];
  const failures: string[] = [];
  await signIn(page);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    mkdirSync(`${OUT}/${scheme}`, { recursive: true });
    for (const path of ["/login", ...CONSOLE_PAGES]) {
      await page.setViewportSize({ width: 1280, height: 800 });
      if (path === "/login") {
        const context = await page.context().browser()!.newContext({ colorScheme: scheme });
        const fresh = await context.newPage();
        await fresh.goto("/login");
        await hydrated(fresh);
        await measure(fresh, path, scheme);
        await context.close();
        continue;
      }
      await page.goto(path);
      if (!isServerRendered(path)) await hydrated(page);
      await measure(page, path, scheme);
    }
  }

  async function measure(p: Page, path: string, scheme: string) {
    const file = `${OUT}/${scheme}/${slug(path)}.png`;
    await p.screenshot({ path: file, fullPage: true });
    const png = statSync(file).size;
    const { width, height } = await p.evaluate(() => ({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight }));
    const contrast = await measureContrast(p);
    failures.push(...contrast.failures.map((f) => `${scheme} ${path}: ${f}`));
    // The first control's focus ring, reached by keyboard.
    await p.keyboard.press("Tab");
    const ring = await focusRingContrast(p);
    if (ring < 3) failures.push(`${scheme} ${path}: focus ring ${ring.toFixed(2)}:1`);
    // Reflow at 320 CSS pixels: nothing scrolls sideways but the data tables' own frames.
    await p.setViewportSize({ width: 320, height: 640 });
    const narrow = await p.evaluate(() => document.documentElement.scrollWidth);
    if (narrow > 320) failures.push(`${scheme} ${path}: ${narrow} px wide at 320 px`);
    await p.setViewportSize({ width: 1280, height: 800 });
    rows.push(`| ${scheme} | ${path} | ${width}×${height} | ${(png / 1024).toFixed(0)} KB | ${contrast.texts} | ${contrast.lowest.toFixed(2)}:1 (${contrast.where.replace(/\|/g, "/")}) | ${ring.toFixed(2)}:1 | ${narrow} px |`);
  }

  writeFileSync(
    `${OUT}/report.md`,
    [
      "| theme | page | size (CSS px) | screenshot | texts | lowest text contrast | focus ring | width at 320 px |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n") + "\n",
  );
  expect(failures).toEqual([]);
});

test("motion is reduced for those who ask", async ({ page }) => {
  await page.goto("/login");
  // A control with a transition of its own, as any later style might add.
  const duration = () =>
    page.evaluate(() => {
      const probe = document.createElement("button");
      probe.style.transition = "opacity 300ms";
      document.body.append(probe);
      const d = getComputedStyle(probe).transitionDuration;
      probe.remove();
      return d;
    });
  await page.emulateMedia({ reducedMotion: "no-preference" });
  expect(await duration()).toBe("0.3s");
  await page.emulateMedia({ reducedMotion: "reduce" });
  expect(parseFloat(await duration())).toBe(0);
});
