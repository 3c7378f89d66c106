import { expect, test } from "@playwright/test";
import { OWNER, signInWithoutJs } from "./helpers";

test.use({ javaScriptEnabled: false });

test("a key is created without JavaScript and its secret is shown once on the answer page", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("No-script key");
  await form.getByLabel("Purpose").fill("Created with JavaScript off");
  await expect(form.getByLabel("Read only")).toBeChecked();
  await form.getByRole("button", { name: "Create key" }).click();

  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  await expect(dialog).toContainText("will not be shown again");
  const secret = await dialog.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^kw_svc_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
  const me = await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } });
  expect(me.status()).toBe(200);
  expect((await me.json()).key_name).toBe("No-script key");

  await dialog.getByRole("link", { name: "Done" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("row", { name: /No-script key/ })).toContainText(secret.slice(0, 15));
  expect(await page.content()).not.toContain(secret);
  // Back would land on the answer to a POST, which is never stored: nothing to show again.
  await page.goBack().catch(() => undefined);
  await page.waitForLoadState().catch(() => undefined);
  await expect.poll(async () => (await page.content().catch(() => "")).includes(secret.slice(16))).toBe(false);
});

test("the credential tester works without JavaScript and never shows the secret back", async ({ page }) => {
  await signInWithoutJs(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("Tested without script");
  await form.getByRole("button", { name: "Create key" }).click();
  const secret = await page.getByRole("dialog", { name: "Copy your new API key" }).getByLabel("Secret").inputValue();

  await page.goto("/settings/api-keys/test");
  await page.getByLabel("Credential secret").fill(secret);
  await page.getByRole("button", { name: "Test credential" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys\/test\/report$/);
  const report = page.getByRole("region", { name: "Report" });
  await expect(report.getByRole("status")).toContainText("Valid credential");
  await expect(report.getByRole("region", { name: "Observed principal" })).toContainText("Tested without script");
  expect(await page.content()).not.toContain(secret.slice(16));
  await page.getByRole("link", { name: "Test another credential" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys\/test$/);
});
