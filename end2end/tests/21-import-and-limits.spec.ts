import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

const EXISTING = "sk_live_4eC39HqLyjWDarjtT1zdp7dcAbX2kq9ZrT5mW8nP";

test("an existing secret is imported and calls the API, counted against the workspace's limits", async ({ page }) => {
  await signIn(page);
  // Importing is off until the policy turns it on.
  await page.goto("/settings/security");
  await hydrated(page);
  await page.getByLabel("Allow importing existing keys").check();
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByLabel("Allow importing existing keys")).toBeChecked();

  // A workspace-wide limit beside the per-key one, on the rate limits page.
  await page.getByRole("link", { name: "Rate limits by pool and route class" }).click();
  await page.getByLabel("Requests per minute per workspace to default routes").fill("5000");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("status")).toContainText("workspace.default=5000");

  await page.goto("/settings/api-keys");
  await hydrated(page);
  await page.getByRole("link", { name: "Import existing key" }).click();
  await page.getByLabel("Name").fill("Old gateway");
  await page.getByLabel("Purpose").fill("Billing sync, moved from the old gateway");
  await page.getByLabel("applications:read").check();
  await page.getByLabel("Existing secret").fill(EXISTING);
  await page.getByRole("button", { name: "Import key" }).click();
  await expect(page.getByRole("status")).toContainText("Old gateway is imported as key");
  await expect(page.locator("body")).not.toContainText(EXISTING);

  const me = await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": EXISTING } });
  expect(me.status()).toBe(200);
  expect(me.headers()["ratelimit-policy"]).toBe('"key-default";q=600;w=60, "workspace-default";q=5000;w=60');

  await page.goto("/settings/api-keys");
  await hydrated(page);
  await expect(page.getByRole("row", { name: /Old gateway/ })).toContainText("imported");
});
