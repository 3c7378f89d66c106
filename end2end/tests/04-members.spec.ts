import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

const MEMBER = { email: "dev@example.com", password: "developer password 1" };

test("an invited member signs in, and a role change applies on the next request", async ({ page, browser }) => {
  await signIn(page);
  await page.getByRole("link", { name: "Members" }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Invite member" }).click();
  const invite = page.getByRole("form", { name: "Invite member" });
  await invite.getByLabel("Email").fill(MEMBER.email);
  await invite.getByLabel("Role").selectOption({ label: "Developer" });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const link = await page.getByLabel("Invitation link").inputValue();
  expect(link).toMatch(/^\/invite\/[0-9a-f]{48}$/);
  await expect(page.getByRole("row", { name: /dev@example.com/ })).toContainText("invitation pending");

  const member = await browser.newContext();
  const mpage = await member.newPage();
  await mpage.goto(link);
  await hydrated(mpage);
  await mpage.getByLabel("Password").fill(MEMBER.password);
  await mpage.getByRole("button", { name: "Set password" }).click();
  await expect(mpage).toHaveURL(/\/settings\/api-keys$/);
  await mpage.goto("/settings/members");
  await expect(mpage.getByRole("row", { name: /dev@example.com/ })).toBeVisible();

  // The owner makes the developer a viewer; the member's next request sees it.
  await page.reload();
  await hydrated(page);
  // The select shows the new value at once; the change has happened once the server answers.
  const changed = page.waitForResponse((r) => r.url().includes("/api/change_member_role") && r.ok());
  await page.getByRole("row", { name: /dev@example.com/ }).getByLabel("Role").selectOption({ label: "Viewer" });
  await changed;
  await expect(page.getByRole("row", { name: /dev@example.com/ }).getByLabel("Role")).toHaveValue("viewer");
  await mpage.reload();
  await expect(mpage.getByRole("alert")).toContainText("Missing permission members:read.");
  await member.close();
});
