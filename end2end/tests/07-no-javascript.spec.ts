import { expect, test } from "@playwright/test";
import { OWNER } from "./helpers";

// Every form works as a plain HTML form: before the wasm has loaded, or with JavaScript off.
test.use({ javaScriptEnabled: false });

test("sign in and sign out work without JavaScript", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/settings/api-keys");
  await expect(page).toHaveURL(/\/login/);
});

test("a wrong password without JavaScript gets the same generic answer", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Invalid email or password.")).toBeVisible();
});
