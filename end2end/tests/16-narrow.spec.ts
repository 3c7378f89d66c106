import { expect, test } from "@playwright/test";
import { createKey, hydrated, signIn } from "./helpers";

test("a key narrowed to what it used is refused on a route it no longer covers", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Narrowed integration", "Full access");
  const token = { "X-Keyward-Api-Token": secret };
  expect((await page.request.get("/api/v1/applications", { headers: token })).status()).toBe(200);

  await page.goto("/settings/api-keys");
  await hydrated(page);
  const row = page.getByRole("row", { name: /Narrowed integration/ });
  // The use is written in the background: look until it shows.
  await expect(async () => {
    await page.goto("/settings/api-keys");
    await row.getByRole("link", { name: "Narrow" }).click();
    await expect(page.getByRole("checkbox", { name: "applications:read" })).toBeChecked({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  const dialog = page.getByRole("dialog", { name: "Narrow permissions" });
  await expect(dialog).toContainText("were not needed in the last 30 days");
  await expect(dialog.getByRole("checkbox", { name: "applications:write" })).not.toBeChecked();
  await dialog.getByRole("button", { name: "Narrow key" }).click();
  await expect(page.getByRole("status")).toContainText("Narrowed integration no longer holds");

  // The same secret: what it used still works, the rest is refused.
  expect((await page.request.get("/api/v1/applications", { headers: token })).status()).toBe(200);
  const write = await page.request.post("/api/v1/applications", { headers: token, data: { name: "nope" } });
  expect(write.status()).toBe(403);
});
