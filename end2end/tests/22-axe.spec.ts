import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { CONSOLE_PAGES as PAGES, hydrated, isServerRendered, signIn } from "./helpers";


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
    // Seventeen pages and six views with dialogs, each analysed in full.
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme: scheme });
    const found: string[] = [];
    await page.goto("/login");
    found.push(...(await violations(page)).map((v) => `/login: ${v}`));
    await signIn(page);
    for (const path of PAGES) {
      await page.goto(path);
      if (!isServerRendered(path)) await hydrated(page);
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
    // The key's activity page (rendered on the server).
    await row.getByRole("link", { name: "Activity" }).click();
    await expect(page.getByRole("heading", { name: `Activity of "Axe ${scheme}"` })).toBeVisible();
    found.push(...(await violations(page)).map((v) => `key activity: ${v}`));
    // Removing a member, and deleting an application.
    await page.goto("/settings/members");
    await hydrated(page);
    await page.getByRole("button", { name: "Remove", exact: true }).first().click();
    const remove = page.getByRole("dialog", { name: /^Remove / });
    await expect(remove).toBeVisible();
    found.push(...(await violations(page)).map((v) => `remove member dialog: ${v}`));
    await page.keyboard.press("Escape");
    await expect(remove).toBeHidden();
    await page.goto("/settings/applications?new=1");
    await hydrated(page);
    const name = `Axe app ${scheme}`;
    await page.getByRole("form", { name: "New application" }).getByLabel("Name").fill(name);
    await page.getByRole("button", { name: "Create application" }).click();
    await page.getByRole("region", { name }).getByRole("button", { name: "Delete", exact: true }).click();
    const removeApp = page.getByRole("dialog", { name: `Delete application "${name}"?` });
    await expect(removeApp.getByText("No live key depends on it.")).toBeVisible();
    found.push(...(await violations(page)).map((v) => `delete application dialog: ${v}`));
    await page.keyboard.press("Escape");
    await expect(removeApp).toBeHidden();
    expect(found).toEqual([]);
  });
}
