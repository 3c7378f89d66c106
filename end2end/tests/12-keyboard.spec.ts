import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

test("the keys page by keyboard: skip link, form and dialogs take focus, Escape cancels", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/api-keys");
  await hydrated(page);

  // "Skip to content" is the first stop, and goes past the header and navigation.
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("main#content")).toBeFocused();

  // Opening the create form moves focus to its first field.
  const create = page.getByRole("button", { name: "Create API key" });
  await create.focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("form", { name: "Create API key" });
  await expect(form.getByLabel("Name", { exact: true })).toBeFocused();
  await page.keyboard.type("Keyboard key");
  await form.getByRole("button", { name: "Create key" }).click();

  // The reveal dialog takes focus on the secret; "Copy" is one Tab away; Done gives focus back.
  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  await expect(dialog.getByLabel("Secret")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Copy" })).toBeFocused();
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();
  await expect(create).toBeFocused();

  // A confirmation takes focus and Escape cancels it, changing nothing.
  const row = page.getByRole("row", { name: /Keyboard key/ });
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: /Revoke "Keyboard key"/ });
  await expect(confirm.getByLabel("Reason")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(row).toContainText("Active");

  await row.getByRole("button", { name: "Rotate" }).click();
  const rotate = page.getByRole("dialog", { name: /Rotate "Keyboard key"/ });
  await expect(rotate.getByLabel("Grace period")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(rotate).toBeHidden();
});

test("the console follows the system's light or dark theme", async ({ page }) => {
  await signIn(page);
  const colours = () =>
    page.evaluate(() => {
      const root = getComputedStyle(document.documentElement);
      const focus = getComputedStyle(document.body).getPropertyValue("--focus").trim();
      return [root.backgroundColor, root.color, focus];
    });
  await page.emulateMedia({ colorScheme: "light" });
  expect(await colours()).toEqual(["rgb(247, 247, 249)", "rgb(29, 31, 36)", "#3a4fb0"]);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await colours()).toEqual(["rgb(20, 22, 27)", "rgb(230, 232, 238)", "#a5b4ff"]);
});
