import { expect, test } from "@playwright/test";
import { createKey, hydrated, signIn, signInWithoutJs } from "./helpers";
import { readFile } from "node:fs/promises";

test("a reviewer filters the audit log, follows a key to its events and exports the view", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Audited key");
  const keyId = secret.split("_")[2];

  // From the key's activity to the events about it.
  await page.getByRole("row", { name: /Audited key/ }).getByRole("link", { name: "Activity" }).click();
  await page.getByRole("link", { name: "Audit events of this key" }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/audit\\?target=key%3A${keyId}$`));
  const rows = page.getByRole("table", { name: "Audit events" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("key.created");
  await expect(rows.first()).toContainText("owner@example.com");

  // The filters are a form whose view lands in the URL.
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" }).click();
  await hydrated(page);
  const filters = page.getByRole("search", { name: "Filter events" });
  await filters.getByLabel("Action").selectOption("key.created");
  await filters.getByLabel("Actor").fill("owner@example.com");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=key\.created/);
  await expect(page).toHaveURL(/actor=owner%40example\.com/);
  await expect(rows.first()).toContainText(`key:${keyId}`);
  const shown = await rows.count();
  for (let i = 0; i < shown; i++) await expect(rows.nth(i)).toContainText("key.created");

  // The export is the whole filtered view (every page of it), with each row's place and hashes.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = await readFile(await (await download).path(), "utf8");
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toBe("seq,time,actor,actor_key,action,target,detail,address,previous_hash,hash");
  expect(lines.length - 1).toBeGreaterThanOrEqual(shown);
  expect(lines[1]).toContain(`key:${keyId}`);
  expect(lines.slice(1).every((l) => l.includes(",key.created,"))).toBe(true);
  expect(csv).not.toContain(secret);

  await page.getByRole("button", { name: "Verify integrity" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Audit log intact" })).toBeVisible();
  await expect(page).toHaveURL(/action=key\.created/);

  // Reversed days are named, not answered with an empty page.
  await page.goto("/settings/audit?from=2027-02-01&to=2027-01-01");
  await expect(page.getByRole("alert")).toContainText("\"From\" is after \"To\"");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the audit log filters and verifies by plain forms", async ({ page }) => {
    await signInWithoutJs(page);
    await page.goto("/settings/audit");
    const filters = page.getByRole("search", { name: "Filter events" });
    await filters.getByLabel("Action").selectOption("session.signed_in");
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=session\.signed_in/);
    const rows = page.getByRole("table", { name: "Audit events" }).locator("tbody tr");
    await expect(rows.first()).toContainText("session.signed_in");
    await page.getByRole("button", { name: "Verify integrity" }).click();
    await expect(page).toHaveURL(/verify=1/);
    await expect(page.getByRole("status").filter({ hasText: "Audit log intact" })).toBeVisible();
  });
});
