import { expect, test, type Locator } from "@playwright/test";
import { createKey, hydrated, signIn } from "./helpers";

test("a new secret is revealed once, copies to the clipboard and is gone after Done", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("Deploy bot");
  await form.getByLabel("Purpose").fill("Deploys from CI");
  await form.getByLabel("Read only").check();
  await expect(form.getByLabel("applications:read")).toBeChecked();
  await expect(form.getByLabel("applications:write")).not.toBeChecked();
  await form.getByLabel("Expiration").selectOption({ label: "7 days" });
  await form.getByRole("button", { name: "Create key" }).click();

  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("will not be shown again");
  const secret = await dialog.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^kw_svc_/);
  await expect(dialog.getByLabel("Secret")).toHaveAttribute("readonly", "");
  // Escape does not dismiss it: the secret would be lost.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Copy" }).click();
  await expect(dialog.getByRole("status")).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByRole("row", { name: /Deploy bot/ });
  await expect(row).toContainText(secret.slice(0, 15));
  // Seven days is within the "expiring soon" window.
  await expect(row).toContainText("Expiring soon");
  expect(await page.content()).not.toContain(secret);

  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(secret);
  await page.goto("/settings/api-keys/test");
  await page.goBack();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  expect(await page.content()).not.toContain(secret);
  await expect(page.getByRole("dialog", { name: "Copy your new API key" })).toHaveCount(0);
});

test("permissions above the role are not offered", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  // The owner holds every permission: all are enabled.
  await expect(form.getByLabel("keys:write")).toBeEnabled();
  await form.getByLabel("Full access").check();
  await expect(form.getByLabel("audit:write")).toBeChecked();
});

test("rotate issues a new secret and keeps the old one for the grace period", async ({ page }) => {
  await signIn(page);
  const old = await createKey(page, "Rotating key");
  const row = page.getByRole("row", { name: /Rotating key/ });
  await row.getByRole("button", { name: "Rotate" }).click();
  const rotate = page.getByRole("dialog", { name: /Rotate/ });
  await rotate.getByLabel("Grace period").selectOption({ label: "24 hours" });
  await rotate.getByRole("button", { name: "Rotate key" }).click();
  const reveal = page.getByRole("dialog", { name: "Copy your new API key" });
  await expect(reveal).toBeVisible();
  const fresh = await reveal.getByLabel("Secret").inputValue();
  expect(fresh).not.toBe(old);
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /Rotating key/ })).toContainText("Previous secret works until");
  for (const secret of [old, fresh]) {
    const res = await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } });
    expect(res.status()).toBe(200);
  }
});

test("a rotation can wait for the new secret's first use, then ends the old one", async ({ page }) => {
  await signIn(page);
  const old = await createKey(page, "Switching job");
  await page.getByRole("row", { name: /Switching job/ }).getByRole("button", { name: "Rotate" }).click();
  const rotate = page.getByRole("dialog", { name: /Rotate/ });
  await rotate.getByLabel("Grace period").selectOption({ label: "Until the new secret is first used" });
  await rotate.getByRole("button", { name: "Rotate key" }).click();
  const reveal = page.getByRole("dialog", { name: "Copy your new API key" });
  const fresh = await reveal.getByLabel("Secret").inputValue();
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /Switching job/ })).toContainText("Previous secret works until this one is first used");
  const me = (secret: string) => page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } });
  expect((await me(old)).status()).toBe(200);
  expect((await me(fresh)).status()).toBe(200);
  expect((await me(old)).status()).toBe(401);
});

test("revoke asks for confirmation and takes effect at once", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Doomed key");
  expect((await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } })).status()).toBe(200);
  const row = page.getByRole("row", { name: /Doomed key/ });
  await row.getByRole("button", { name: "Revoke" }).click();
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await confirm.getByLabel("Reason").fill("leaked in a log");
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByRole("row", { name: /Doomed key/ })).toContainText("Revoked");
  const res = await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } });
  expect(res.status()).toBe(401);
  expect((await res.json()).message).toBe("The key has been revoked.");
});

test("a key's activity lists its requests and, once switched on, redacted bodies", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Audited key");
  const token = { "X-Keyward-Api-Token": secret };
  expect((await page.request.get("/api/v1/me", { headers: token })).status()).toBe(200);
  await page.getByRole("row", { name: /Audited key/ }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: 'Activity of "Audited key"' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("Bodies are not logged.")).toBeVisible();
  // The access log is written in batches: reload until a request shows.
  const reloadUntilVisible = async (row: Locator) =>
    expect(async () => {
      await page.reload();
      await expect(row).toBeVisible({ timeout: 500 });
    }).toPass({ timeout: 10_000 });
  const me = page.getByRole("row", { name: /GET \/api\/v1\/me/ });
  await reloadUntilVisible(me);
  await expect(me).toContainText("200");
  await hydrated(page);

  await page.getByRole("button", { name: "Turn on body logging" }).click();
  await expect(page.getByText(/Request and response bodies are logged/)).toBeVisible();
  const verify = await page.request.post("/api/v1/keys/verify", {
    headers: token,
    data: { key: secret, permissions: ["applications:read"] },
  });
  expect((await verify.json()).code).toBe("VALID");
  const row = page.getByRole("row", { name: /POST \/api\/v1\/keys\/verify/ });
  await reloadUntilVisible(row);
  await row.getByText("Request body").click();
  await expect(row).toContainText("[redacted]");
  await row.getByText("Response body").click();
  await expect(row).toContainText('"code":"VALID"');
  expect(await page.content()).not.toContain(secret.slice(16));
});
