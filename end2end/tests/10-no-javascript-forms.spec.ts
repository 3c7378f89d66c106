import { expect, test } from "@playwright/test";
import { OWNER, signInWithoutJs } from "./helpers";

// The forms that change things work as plain HTML forms too (run last: they use what the
// earlier files created).
test.use({ javaScriptEnabled: false });

test("a key is revoked without JavaScript, after confirming", async ({ page }) => {
  await signInWithoutJs(page);
  const row = page.getByRole("row", { name: /No-script key/ });
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: /Revoke/ });
  await confirm.getByLabel("Reason").fill("no longer needed");
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("row", { name: /No-script key/ })).toContainText("Revoked");
  await expect(page.getByRole("dialog", { name: /Revoke/ })).toHaveCount(0);
});

test("a member's role is changed without JavaScript", async ({ page }) => {
  await signInWithoutJs(page);
  await page.goto("/settings/members");
  const row = page.getByRole("row", { name: /dev@example.com/ });
  await row.getByLabel("Role").selectOption({ label: "Auditor" });
  await row.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByRole("row", { name: /dev@example.com/ }).getByLabel("Role")).toHaveValue("auditor");
});

test("an invitation link sets the new account's password without JavaScript", async ({ page, browser }) => {
  // The link itself is made with JavaScript here; accepting it is what must work without.
  const owner = await (await browser.newContext({ javaScriptEnabled: true })).newPage();
  await owner.goto("/login");
  await owner.getByLabel("Email").fill(OWNER.email);
  await owner.getByLabel("Password").fill(OWNER.password);
  await owner.getByRole("button", { name: "Sign in" }).click();
  await expect(owner).toHaveURL(/\/settings\/api-keys$/);
  await owner.waitForFunction(() => document.body.dataset.hydrated === "true");
  await owner.goto("/settings/members");
  await owner.waitForFunction(() => document.body.dataset.hydrated === "true");
  await owner.getByRole("button", { name: "Invite member" }).click();
  const invite = owner.getByRole("form", { name: "Invite member" });
  await invite.getByLabel("Email").fill("noscript@example.com");
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const link = await owner.getByLabel("Invitation link").inputValue();
  await owner.context().close();

  await page.goto(link);
  await page.getByLabel("Password").fill("no script password");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByText("noscript@example.com")).toBeVisible();
});

test("a member is removed without JavaScript, after confirming", async ({ page }) => {
  await signInWithoutJs(page);
  await page.goto("/settings/members");
  const row = page.getByRole("row", { name: /^noscript@example\.com/ });
  await row.getByRole("button", { name: "Remove" }).click();
  const confirm = page.getByRole("dialog", { name: "Remove noscript@example.com?" });
  await confirm.getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByRole("row", { name: /^noscript@example\.com/ })).toHaveCount(0);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByRole("row", { name: /^dev@example\.com/ })).toBeVisible();
});

test("a member is invited without JavaScript and the link is shown once", async ({ page }) => {
  await signInWithoutJs(page);
  await page.goto("/settings/members");
  await page.getByRole("button", { name: "Invite member" }).click();
  const invite = page.getByRole("form", { name: "Invite member" });
  await invite.getByLabel("Email").fill("late-noscript@example.com");
  await invite.getByLabel("Role").selectOption({ label: "Viewer" });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByLabel("Invitation link")).toHaveValue(/^\/invite\/[0-9a-f]{48}$/);
  await page.getByRole("link", { name: "Back to members" }).click();
  await expect(page.getByRole("row", { name: /late-noscript@example.com/ })).toContainText("invitation pending");
});

test("a key is rotated without JavaScript and the new secret is shown once", async ({ page }) => {
  await signInWithoutJs(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill("No-script rotation");
  await form.getByRole("button", { name: "Create key" }).click();
  const first = await page.getByRole("dialog", { name: "Copy your new API key" }).getByLabel("Secret").inputValue();
  await page.getByRole("link", { name: "Done" }).click();

  await page.getByRole("row", { name: /No-script rotation/ }).getByRole("button", { name: "Rotate" }).click();
  const rotate = page.getByRole("dialog", { name: /Rotate/ });
  await rotate.getByLabel("Grace period").selectOption({ label: "Now" });
  await rotate.getByRole("button", { name: "Rotate key" }).click();
  const second = await page.getByRole("dialog", { name: "Copy your new API key" }).getByLabel("Secret").inputValue();
  expect(second).not.toBe(first);
  const status = async (secret: string) =>
    (await page.request.get("/api/v1/me", { headers: { "X-Keyward-Api-Token": secret } })).status();
  expect(await status(second)).toBe(200);
  expect(await status(first)).toBe(401);
});

test("applications and agents are created and deleted without JavaScript", async ({ page }) => {
  await signInWithoutJs(page);
  await page.goto("/settings/applications");
  await page.getByRole("button", { name: "New application" }).click();
  const create = page.getByRole("form", { name: "New application" });
  await create.getByLabel("Name").fill("No-script app");
  await create.getByRole("button", { name: "Create application" }).click();
  const app = page.getByRole("region", { name: "No-script app" });
  await expect(app).toBeVisible();
  await app.getByRole("button", { name: "New agent" }).click();
  const agentForm = page.getByRole("region", { name: "No-script app" });
  await agentForm.getByLabel("Name", { exact: true }).last().fill("runner");
  await agentForm.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("region", { name: "No-script app" })).toContainText("runner");

  await page.getByRole("region", { name: "No-script app" }).getByRole("button", { name: "Delete agent runner" }).click();
  const agentDialog = page.getByRole("dialog", { name: /Delete agent "runner"/ });
  await expect(agentDialog).toContainText("No live key depends on it.");
  await agentDialog.getByRole("button", { name: "Delete agent" }).click();
  await expect(page.getByRole("region", { name: "No-script app" })).not.toContainText("runner");

  await page.getByRole("region", { name: "No-script app" }).getByRole("button", { name: "Delete", exact: true }).click();
  const appDialog = page.getByRole("dialog", { name: /Delete application "No-script app"/ });
  await appDialog.getByRole("button", { name: "Delete application" }).click();
  await expect(page.getByRole("region", { name: "No-script app" })).toHaveCount(0);
});

test("a workspace is created without JavaScript", async ({ page }) => {
  await signInWithoutJs(page);
  await page.getByRole("button", { name: "New workspace" }).click();
  await page.getByLabel("Name", { exact: true }).fill("No-script workspace");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByLabel("Workspace").locator("option:checked")).toHaveText("No-script workspace");
});

test("the instance settings are saved without JavaScript", async ({ page }) => {
  await signInWithoutJs(page);
  await page.goto("/settings/instance");
  const form = page.getByRole("form", { name: "Instance settings" });
  const allowed = form.getByLabel("Members may create workspaces");
  await expect(allowed).not.toBeChecked();
  await expect(page.getByRole("listitem").filter({ hasText: OWNER.email })).toBeVisible();
  for (const on of [true, false]) {
    await allowed.setChecked(on);
    await form.getByRole("button", { name: "Save" }).click();
    await expect(page).toHaveURL(/\/settings\/instance\??$/);
    if (on) await expect(allowed).toBeChecked();
    else await expect(allowed).not.toBeChecked();
  }
});
