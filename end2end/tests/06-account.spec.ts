import { expect, test } from "@playwright/test";
import { hydrated, OWNER, signIn } from "./helpers";

test("a member changes their password only with the current one, and signs out other sessions", async ({ page, browser }) => {
  await signIn(page);
  const other = await (await browser.newContext()).newPage();
  await signIn(other);

  await page.getByRole("link", { name: "Account" }).click();
  await expect(page).toHaveURL(/\/settings\/account$/);
  await hydrated(page);
  const sessions = page.getByRole("table", { name: "Your sessions" });
  await expect(sessions.getByRole("row", { name: /This session/ })).toHaveCount(1);
  expect(await sessions.getByRole("row").count()).toBeGreaterThan(2);

  const form = page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not the password");
  await form.getByLabel("New password").fill("another good password");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toContainText("current password is not right");

  await page.getByRole("button", { name: "Sign out other sessions" }).click();
  await expect(page.getByText(/other session\(s\) signed out/)).toBeVisible();
  await expect(sessions.getByRole("row")).toHaveCount(2);
  await other.goto("/settings/api-keys");
  await expect(other).toHaveURL(/\/login/);
  await other.context().close();
  // The password is unchanged: the owner signs in with it as before.
  const again = await (await browser.newContext()).newPage();
  await signIn(again, OWNER.email, OWNER.password);
  await again.context().close();
});
