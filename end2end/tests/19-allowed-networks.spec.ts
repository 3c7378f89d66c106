import { expect, test } from "@playwright/test";
import { createKey, hydrated, signIn } from "./helpers";

test("a key limited to other networks is refused, and a meaningless range is named", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("Anywhere bot");
  await form.getByLabel("Allowed networks").fill("0.0.0.0/0");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(form.getByLabel("Allowed networks")).toHaveAttribute("aria-invalid", "true");
  await expect(form).toContainText("allows too much");
  await expect(page.getByRole("dialog", { name: "Copy your new API key" })).toHaveCount(0);

  const office = await createKey(page, "Office bot", "Read only", "10.0.0.0/8");
  const refused = await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": office } });
  expect(refused.status()).toBe(403);
  const body = await refused.json();
  expect(body.message).toContain("may not be used from your network");
  expect(body.message).not.toContain("10.0.0.0");
  await expect(page.getByRole("row", { name: /Office bot/ })).toContainText("From 10.0.0.0/8");

  const local = await createKey(page, "Local bot", "Read only", "127.0.0.0/8\n::1/128");
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": local } })).status()).toBe(200);

  // The tester reports where a key may be used from.
  await page.goto("/settings/api-keys/test");
  await hydrated(page);
  await page.getByLabel("Credential secret").fill(office);
  await page.getByRole("button", { name: "Test credential" }).click();
  await expect(page.getByText("10.0.0.0/8")).toBeVisible();
});
