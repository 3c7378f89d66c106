import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

// admin@example.com has an account since 05-trust: another workspace's invitation waits for
// that account to accept it.
test("an existing account accepts an invitation from its own console", async ({ page, browser }) => {
  await signIn(page);
  await page.getByRole("button", { name: "New workspace" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Side project");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByLabel("Workspace")).toHaveValue(/.+/);
  await expect(page.getByLabel("Workspace").locator("option:checked")).toHaveText("Side project");
  await page.goto("/settings/members");
  await hydrated(page);
  await page.getByRole("button", { name: "Invite member" }).click();
  const invite = page.getByRole("form", { name: "Invite member" });
  await invite.getByLabel("Email").fill("admin@example.com");
  await invite.getByLabel("Role").selectOption({ label: "Viewer" });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  // The same answer as for a new address: a one-time link.
  await expect(page.getByLabel("Invitation link")).toHaveValue(/^\/invite\/[0-9a-f]{48}$/);
  await expect(page.getByRole("row", { name: /admin@example.com/ })).toContainText("invitation pending");
  // Choosing a workspace switches at once: the switcher is the shell's one interactive part.
  await page.getByLabel("Workspace").selectOption({ label: "Acme" });
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByLabel("Workspace").locator("option:checked")).toHaveText("Acme");

  const other = await (await browser.newContext()).newPage();
  await signIn(other, "admin@example.com", "admin password 123");
  const notice = other.getByRole("status").filter({ hasText: "You are invited to join Side project" });
  await expect(notice).toBeVisible();
  await notice.getByRole("button", { name: "Accept" }).click();
  await expect(other.getByLabel("Workspace").locator("option:checked")).toHaveText("Side project");
  await expect(other.getByText("You are invited to join")).toHaveCount(0);
  await other.context().close();
});
