import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

/** Every page of the console, as a signed-in owner sees it, and the plain pages beside it. */
const PAGES = [
  "/settings/api-keys",
  "/settings/api-keys?new=1",
  "/settings/api-keys/review",
  "/settings/api-keys/test",
  "/settings/audit",
  "/settings/access-reviews",
  "/settings/webhooks",
  "/settings/notifications",
  "/settings/members",
  "/settings/applications",
  "/settings/security",
  "/settings/account",
  "/settings/instance",
  "/settings/api-reference",
  "/settings/rate-limits",
  "/settings/api-keys/import",
];

/** What axe-core finds on the page as it stands, every impact, in one line per rule. */
async function violations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("the check itself finds a planted violation", async ({ page }) => {
  await page.setContent("<!DOCTYPE html><html lang='en'><head><title>t</title></head><body><main><img src='x.png'></main></body></html>");
  expect((await violations(page)).join("\n")).toContain("image-alt");
});

for (const scheme of ["light", "dark"] as const) {
  test(`axe finds nothing on any page or dialog in the ${scheme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const found: string[] = [];
    await page.goto("/login");
    found.push(...(await violations(page)).map((v) => `/login: ${v}`));
    await signIn(page);
    for (const path of PAGES) {
      await page.goto(path);
      if (!path.startsWith("/settings/rate-limits") && !path.startsWith("/settings/api-keys/import")) {
        await hydrated(page);
      }
      found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
    }
    // The dialogs: the one-time reveal, then the revoke and rotate confirmations.
    await page.goto("/settings/api-keys");
    await hydrated(page);
    await page.getByRole("button", { name: "Create API key" }).click();
    const form = page.getByRole("form", { name: "Create API key" });
    await form.getByLabel("Name", { exact: true }).fill(`Axe ${scheme}`);
    await form.getByRole("button", { name: "Create key" }).click();
    const reveal = page.getByRole("dialog", { name: "Copy your new API key" });
    await expect(reveal).toBeVisible();
    found.push(...(await violations(page)).map((v) => `reveal dialog: ${v}`));
    await reveal.getByRole("button", { name: "Done" }).click();
    const row = page.getByRole("row", { name: new RegExp(`Axe ${scheme}`) });
    for (const [button, name] of [["Revoke", /Revoke "Axe/], ["Rotate", /Rotate "Axe/]] as const) {
      await row.getByRole("button", { name: button, exact: true }).click();
      const dialog = page.getByRole("dialog", { name });
      await expect(dialog).toBeVisible();
      found.push(...(await violations(page)).map((v) => `${button} dialog: ${v}`));
      await page.keyboard.press("Escape");
      await expect(dialog).toBeHidden();
    }
    expect(found).toEqual([]);
  });
}
