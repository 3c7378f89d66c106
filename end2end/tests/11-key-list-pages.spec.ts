import { expect, test } from "@playwright/test";
import { signInWithoutJs } from "./helpers";

test.use({ javaScriptEnabled: false });

test("a filtered key list pages by plain links, and the view is a URL to bookmark", async ({ page }) => {
  await signInWithoutJs(page);

  // 55 keys that match a search and a few that do not, through the plain create form.
  for (let i = 1; i <= 58; i++) {
    const name = i <= 55 ? `paged key ${String(i).padStart(2, "0")}` : `unrelated ${i}`;
    const res = await page.request.post("/settings/api-keys/new", {
      form: { name, purpose: "paging", principal: "service", preset: "read", expiration: "30" },
    });
    expect(res.status(), name).toBe(200);
  }

  await page.goto("/settings/api-keys");
  const filters = page.getByRole("search", { name: "Filter keys" });
  await filters.getByLabel("Search").fill("paged key");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/[?&]q=paged\+key/);
  const pager = page.getByRole("navigation", { name: "Pages of keys" });
  await expect(pager).toContainText("55 keys");
  const rows = page.getByRole("table", { name: "API keys" }).locator("tbody tr");
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText("paged key 55");
  await expect(rows.last()).toContainText("paged key 06");
  await expect(filters.getByLabel("Search")).toHaveValue("paged key");

  await pager.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(page).toHaveURL(/q=paged/);
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText("paged key 05");
  await expect(rows.last()).toContainText("paged key 01");
  await expect(page.getByRole("row", { name: /unrelated/ })).toHaveCount(0);
  await expect(pager.getByRole("link", { name: "Next" })).toHaveCount(0);

  // The second page is a URL: opened afresh, it shows the same rows.
  const bookmark = page.url();
  await page.goto("/settings/api-keys");
  await page.goto(bookmark);
  await expect(rows).toHaveCount(5);
  await expect(rows.first()).toContainText("paged key 05");

  await pager.getByRole("link", { name: "Previous" }).click();
  await expect(page).toHaveURL(/before=/);
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText("paged key 55");
  await expect(pager.getByRole("link", { name: "Previous" })).toHaveCount(0);

  // A filter that matches nothing says so; "Clear filters" shows every key again.
  await page.goto("/settings/api-keys?q=no+such+key");
  await expect(page.getByRole("table", { name: "API keys" })).toContainText("No keys match these filters.");
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(rows).toHaveCount(50);
});
