import { expect, test } from "@playwright/test";
import { createKey, signIn } from "./helpers";

test("an access review: confirm, revoke, revoke the unconfirmed, export the evidence, close", async ({ page }) => {
  await signIn(page);
  // Names that sort first, so both are on the review's first page.
  const keep = await createKey(page, "AAA review keep");
  const drop = await createKey(page, "AAA review drop");
  const forgotten = await createKey(page, "AAA review forgotten");

  await page.getByRole("link", { name: "Access reviews" }).click();
  await expect(page).toHaveURL(/\/settings\/access-reviews$/);
  await page.getByRole("button", { name: "Start review" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The review started" })).toBeVisible();

  // The owner confirms one key with a note.
  const keepForm = page.getByRole("form", { name: "Decide on AAA review keep" });
  await keepForm.getByLabel("Note").fill("used by the deploy pipeline");
  await keepForm.getByRole("button", { name: "Still needed" }).click();
  await expect(page.getByRole("status").filter({ hasText: "confirmed as still needed" })).toBeVisible();
  await expect(page.getByRole("row", { name: /AAA review keep/ })).toContainText("Still needed by owner@example.com");

  // Revoking from the review is confirmed first.
  await page.getByRole("form", { name: "Decide on AAA review drop" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("heading", { name: "Revoke AAA review drop?" })).toBeVisible();
  await page.getByLabel("Reason").fill("no longer used");
  await page.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The key was revoked." })).toBeVisible();
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": drop } })).status()).toBe(401);

  // Whatever nobody confirmed goes through a preview.
  await page.getByRole("button", { name: "Revoke unconfirmed keys" }).click();
  await expect(page.getByRole("heading", { name: "Revoke unconfirmed keys" })).toBeVisible();
  const previewed = page.getByRole("table", { name: "Keys to revoke" });
  await expect(previewed).toContainText("AAA review forgotten");
  await expect(previewed).not.toContainText("AAA review keep");
  await page.getByRole("button", { name: /^Revoke \d+ keys?$/ }).click();
  await expect(page.getByRole("status")).toContainText(/were revoked|was revoked/);
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": keep } })).status()).toBe(200);
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": forgotten } })).status()).toBe(401);
  await page.getByRole("link", { name: "Back to the access review" }).click();
  await expect(page.getByText(/; 0 undecided\./)).toBeVisible();

  // The evidence names each key, its decision, who and why.
  const csvHref = await page.getByRole("link", { name: "CSV" }).first().getAttribute("href");
  const csv = await (await page.request.get(csvHref!)).text();
  expect(csv).toContain("AAA review keep");
  expect(csv).toMatch(/,keep,used by the deploy pipeline,owner@example\.com,/);
  expect(csv).toMatch(/AAA review drop.*,revoke,no longer used,owner@example\.com,/);
  expect(csv).toMatch(/AAA review forgotten.*,revoke,Not confirmed during the review\.,owner@example\.com,/);

  await page.getByRole("button", { name: "Close review" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The review is closed." })).toBeVisible();
  await expect(page.getByRole("button", { name: "Still needed" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Start review" })).toBeVisible();
});
