import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

test("a review finding is acted on: a key about to expire is revoked from the review", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("Short-lived key");
  await form.getByLabel("Purpose").fill("a review finding");
  await form.getByLabel("Read only").check();
  await form.getByLabel("Expiration").selectOption({ label: "7 days" });
  await form.getByRole("button", { name: "Create key" }).click();
  const reveal = page.getByRole("dialog", { name: "Copy your new API key" });
  const secret = await reveal.getByLabel("Secret").inputValue();
  await reveal.getByRole("button", { name: "Done" }).click();

  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Key review" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys\/review$/);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Findings" }).getByRole("link", { name: "Expires within 14 days" }).click();
  await expect(page).toHaveURL(/finding=expiring/);
  const table = page.getByRole("table", { name: "Keys to review" });
  const row = table.getByRole("row", { name: /Short-lived key/ });
  await expect(row).toContainText("Expires within 14 days");

  await row.getByRole("button", { name: "Revoke" }).click();
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await confirm.getByLabel("Reason").fill("found in review");
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("row", { name: /Short-lived key/ })).toContainText("Revoked");
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } })).status()).toBe(401);

  await page.goto("/settings/api-keys/review?finding=expiring");
  await expect(page.getByRole("table", { name: "Keys to review" })).not.toContainText("Short-lived key");
});
