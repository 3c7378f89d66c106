import { expect, test } from "@playwright/test";
import { createKey, signIn } from "./helpers";

test("revoke matching keys: a preview first, then exactly the previewed keys are revoked", async ({ page }) => {
  await signIn(page);
  const a = await createKey(page, "Retired vendor A");
  const b = await createKey(page, "Retired vendor B");
  const keep = await createKey(page, "Current vendor");

  const filters = page.getByRole("search", { name: "Filter keys" });
  await filters.getByLabel("Search").fill("Retired vendor");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=Retired/);
  await page.getByText("Revoke matching keys").click();
  await page.getByRole("button", { name: "Preview" }).click();

  await expect(page).toHaveURL(/\/settings\/api-keys\/bulk-revoke\?q=Retired/);
  const rows = page.getByRole("table", { name: "Keys to revoke" }).locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Retired vendor A" })).toHaveCount(1);
  await expect(page.getByRole("table", { name: "Keys to revoke" })).not.toContainText("Current vendor");
  // Nothing has happened yet: a preview is a dry run.
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": a } })).status()).toBe(200);

  await page.getByLabel("Reason").fill("vendor retired");
  await page.getByRole("button", { name: "Revoke 2 keys" }).click();
  await expect(page.getByRole("status")).toHaveText("2 keys were revoked.");
  for (const secret of [a, b]) {
    expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } })).status()).toBe(401);
  }
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": keep } })).status()).toBe(200);

  await page.getByRole("link", { name: "Back to API Keys" }).click();
  await expect(page.getByRole("row", { name: /Retired vendor A/ })).toContainText("Revoked");

  // The operation is in the audit log with its filter and reason.
  await page.goto("/settings/audit?action=key.bulk_revoked");
  const events = page.getByRole("table", { name: "Audit events" }).locator("tbody tr");
  await expect(events.first()).toContainText("2 keys matching q=Retired");
  await expect(events.first()).toContainText("vendor retired");
});
