import { expect, test } from "@playwright/test";
import { createKey, hydrated, signIn } from "./helpers";

test("a key marked as leaked stops at once, and a reported secret is revoked", async ({ page }) => {
  await signIn(page);
  const marked = await createKey(page, "Leaky bot");
  await page.getByRole("row", { name: /Leaky bot/ }).getByRole("link", { name: "Mark as leaked" }).click();
  await expect(page.getByRole("heading", { name: "Mark Leaky bot as leaked?" })).toBeVisible();
  // Nothing happens before the confirmation.
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": marked } })).status()).toBe(200);
  await page.getByRole("button", { name: "Mark as leaked" }).click();
  await expect(page.getByRole("status")).toHaveText("Leaky bot was revoked as leaked.");
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": marked } })).status()).toBe(401);

  // A stranger reports a secret found in the wild: the answer tells nothing, the key ends.
  const found = await createKey(page, "Pasted bot");
  const answer = await page.request.post("/api/v1/leaks", { data: { secrets: [found, "not a secret"] } });
  expect(answer.status()).toBe(202);
  expect(await answer.json()).toEqual({ received: 2 });
  await expect
    .poll(async () => (await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": found } })).status())
    .toBe(401);
  await page.goto("/settings/api-keys");
  await hydrated(page);
  await expect(page.getByRole("row", { name: /Pasted bot/ })).toContainText("Reported leaked");

  // The owner hears of both in the console, with an unread count in the shell.
  await page.getByRole("link", { name: /^Notifications \d+$/ }).click();
  const told = page.getByRole("list", { name: "Notifications" });
  await expect(told).toContainText("Leaky bot");
  await expect(told).toContainText("was reported as leaked and revoked");
  await page.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page.getByRole("link", { name: "Notifications", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Mark all as read" })).toHaveCount(0);
});
