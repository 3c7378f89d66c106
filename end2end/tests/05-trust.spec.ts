import { expect, test, type Page } from "@playwright/test";
import { createKey, hydrated, inviteMember, signIn } from "./helpers";

const ADMIN = { email: "admin@example.com", password: "admin password 123" };

async function status(page: Page, secret: string) {
  return (await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } })).status();
}

test("an admin sees no Rotate on a member's key, and may revoke it", async ({ page, browser }) => {
  await signIn(page);
  const secret = await createKey(page, "Owner's key");
  const admin = await inviteMember(page, browser, ADMIN.email, "Admin", ADMIN.password);
  const row = admin.getByRole("row", { name: /Owner's key/ });
  await expect(row).toContainText("owner@example.com");
  // Rotating would show the admin a secret that authenticates as the owner.
  await expect(row.getByRole("button", { name: "Revoke", exact: true })).toBeVisible();
  await expect(row.getByRole("button", { name: "Rotate" })).toHaveCount(0);
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  const confirm = admin.getByRole("dialog", { name: /Revoke/ });
  await confirm.getByLabel("Reason").fill("owner asked");
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(confirm).toBeHidden();
  await expect(admin.getByRole("row", { name: /Owner's key/ })).toContainText("Revoked");
  expect(await status(page, secret)).toBe(401);
  await admin.context().close();
});

test("revoking a rotated key ends the previous secret inside its grace period too", async ({ page }) => {
  await signIn(page);
  const old = await createKey(page, "Lineage key");
  const row = () => page.getByRole("row", { name: /Lineage key/ });
  await row().getByRole("button", { name: "Rotate" }).click();
  const rotate = page.getByRole("dialog", { name: /Rotate/ });
  await rotate.getByLabel("Grace period").selectOption({ label: "7 days" });
  await rotate.getByRole("button", { name: "Rotate key" }).click();
  const reveal = page.getByRole("dialog", { name: "Copy your new API key" });
  const fresh = await reveal.getByLabel("Secret").inputValue();
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(row()).toContainText("Previous secret works until");
  await expect(row().getByRole("button", { name: "Revoke now" })).toBeVisible();
  expect(await status(page, old)).toBe(200);
  expect(await status(page, fresh)).toBe(200);

  await row().getByRole("button", { name: "Revoke", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(confirm).toBeHidden();
  await expect(row()).toContainText("Revoked");
  await expect(row()).not.toContainText("Previous secret works until");
  expect(await status(page, fresh)).toBe(401);
  expect(await status(page, old)).toBe(401);
});

test("a confirmation opened by its link closes with Cancel", async ({ page }) => {
  await signIn(page);
  await createKey(page, "Linked key");
  const href = await page
    .getByRole("row", { name: /Linked key/ })
    .getByRole("button", { name: "Revoke", exact: true })
    .getAttribute("href");
  expect(href).toMatch(/^\/settings\/api-keys\?revoke=/);
  await page.goto(href!);
  await hydrated(page);
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await expect(confirm).toBeVisible();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("dialog", { name: /Revoke/ })).toHaveCount(0);
  await expect(page.getByRole("row", { name: /Linked key/ })).toContainText("Active");
});
