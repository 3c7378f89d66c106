import { expect, test } from "@playwright/test";
import { createKey, hydrated, signIn } from "./helpers";

test("the tester shows principal, coverage and passing smoke tests", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Tester key", "Read only");
  await page.getByRole("link", { name: "Credential tester" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys\/test$/);
  await hydrated(page);
  await page.getByLabel("Credential secret").fill(secret);
  await page.getByRole("button", { name: "Test credential" }).click();
  const report = page.getByRole("region", { name: "Report" });
  await expect(report.getByRole("status")).toContainText("Valid credential");
  const principal = page.getByRole("region", { name: "Observed principal" });
  await expect(principal).toContainText("service");
  await expect(principal).toContainText("owner@example.com");
  const coverage = page.getByRole("region", { name: "Route coverage" });
  await expect(coverage.getByRole("row", { name: /GET \/api\/v1\/application\/tokens/ })).toContainText("Allowed");
  await expect(coverage.getByRole("row", { name: /PATCH \/api\/v1\/applications\/\{id\}/ })).toContainText("Missing permission applications:write.");
  const smoke = page.getByRole("region", { name: "Smoke tests" });
  await expect(smoke.getByRole("row")).not.toHaveCount(0);
  await expect(smoke.getByText("Mismatch")).toHaveCount(0);
  await expect(smoke.getByRole("row", { name: /GET \/api\/v1\/me / })).toContainText("Pass");
  expect(await page.content()).not.toContain(secret);
});

test("garbage gets a clear verdict", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/api-keys/test");
  await hydrated(page);
  await page.getByLabel("Credential secret").fill("ghp_16C7e42F292c6912E7710c838347Ae178B4a");
  await page.getByRole("button", { name: "Test credential" }).click();
  await expect(page.getByRole("region", { name: "Report" })).toContainText("This is not a Keyward secret");
});

test("Test from the list shows a key without its secret", async ({ page }) => {
  await signIn(page);
  await page.getByRole("row", { name: /Tester key/ }).getByRole("link", { name: "Test" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys\/test\?key=/);
  await expect(page.getByRole("region", { name: "Route coverage" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Smoke tests" })).toHaveCount(0);
});
