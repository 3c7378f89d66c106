import { expect, test } from "@playwright/test";
import { hydrated, OWNER, signIn } from "./helpers";

test("pages before setup lead to /setup", async ({ page }) => {
  await page.goto("/settings/api-keys");
  await expect(page).toHaveURL(/\/setup$/);
});

test("setup refuses a blank workspace name and stores nothing", async ({ page }) => {
  await page.goto("/setup");
  await hydrated(page);
  await page.getByLabel("Workspace name").fill("   ");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByRole("alert")).toHaveText("Workspace name is required.");
  // The refused field is marked and described by the message; the others are not.
  const workspace = page.getByLabel("Workspace name");
  await expect(workspace).toHaveAttribute("aria-invalid", "true");
  await expect(workspace).toHaveAccessibleDescription("Workspace name is required.");
  await expect(page.getByLabel("Email")).not.toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/setup$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("setup posts as a plain form and answers bad input on its page", async ({ page }) => {
    await page.goto("/setup");
    await page.getByLabel("Workspace name").fill("   ");
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Create workspace" }).click();
    await expect(page.getByText("Workspace name is required.")).toBeVisible();
    await expect(page).toHaveURL(/\/setup/);
  });
});

test("setup creates the workspace and signs the owner in", async ({ page }) => {
  await page.goto("/setup");
  await hydrated(page);
  await page.getByLabel("Workspace name").fill(OWNER.workspace);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await expect(page.getByRole("link", { name: "API Keys" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByLabel("Workspace", { exact: true })).toContainText(OWNER.workspace);
});

test("setup is refused once done", async ({ page }) => {
  await page.goto("/setup");
  await expect(page).not.toHaveURL(/\/setup$/);
  await expect(page.getByRole("button", { name: "Create workspace" })).toHaveCount(0);
});

test("sign out ends the session and pages refuse access", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/settings/api-keys");
  await expect(page).toHaveURL(/\/login\?next=\/settings\/api-keys$/);
  await page.goto("/settings/members");
  await expect(page).toHaveURL(/\/login/);
});

test("a wrong password gets one generic message", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Invalid email or password.");
  await expect(page).toHaveURL(/\/login/);
});

test("sign-in returns to the page asked for, never off-site", async ({ page }) => {
  await page.goto("/login?next=/settings/members");
  await hydrated(page);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/members$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  // Signed out for sure before asking for the login page again (signed in, it redirects).
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/login?next=//evil.example/");
  await hydrated(page);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/settings\/api-keys$/);
});

test("the create form opens only once the page is hydrated", async ({ page }) => {
  await signIn(page);
  await expect(page.getByRole("form", { name: "Create API key" })).toHaveCount(0);
  await page.getByRole("button", { name: "Create API key" }).click();
  await expect(page.getByRole("form", { name: "Create API key" }).getByLabel("Name", { exact: true })).toBeVisible();
});

test("pages carry the security headers", async ({ page }) => {
  const res = await page.request.get("/login");
  const headers = res.headers();
  expect(headers["content-security-policy"]).toContain("'nonce-");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["cache-control"]).toContain("no-store");
});
