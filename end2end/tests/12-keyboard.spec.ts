import { expect, test, type Locator, type Page } from "@playwright/test";
import { createKey, hydrated, OWNER, signIn } from "./helpers";

test("the keys page by keyboard: skip link, form and dialogs take focus, Escape cancels", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/api-keys");
  await hydrated(page);

  // The navigation marks the page one is on, and only that one.
  const nav = page.getByRole("navigation", { name: "Settings" });
  await expect(nav.locator("[aria-current=page]")).toHaveCount(1);
  await expect(nav.getByRole("link", { name: "API Keys" })).toHaveAttribute("aria-current", "page");

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

/** Presses Tab until `target` has focus: it is reachable by keyboard (within `max` presses). */
async function tabTo(page: Page, target: Locator, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

/**
 * Presses Tab, then Shift+Tab, `times` each, and fails if focus ever lands on the page behind
 * `dialog`. Past the dialog's last control focus may rest on the browser itself (the body).
 */
async function focusStaysIn(page: Page, dialog: Locator, times = 6) {
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i < times; i++) {
      await page.keyboard.press(key);
      const where = await dialog.evaluate((el) =>
        el.contains(document.activeElement) || document.activeElement === document.body ? "inside" : document.activeElement?.outerHTML.slice(0, 80));
      expect(where, `${key} ${i + 1} left the dialog`).toBe("inside");
    }
  }
}

/** What the page's polite live region says. */
const announced = (page: Page) => page.locator("#announcer");

test("sign in by keyboard alone", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/login");
  await hydrated(page);
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(OWNER.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(OWNER.password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await hydrated(page);
  // "New workspace" opens its form with focus on the name.
  await tabTo(page, page.getByRole("button", { name: "New workspace" }));
  await page.keyboard.press("Enter");
  await expect(page.getByLabel("Name", { exact: true })).toBeFocused();
});

test("create, copy, rotate and revoke a key by keyboard, focus where it belongs after each step", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/api-keys");
  await hydrated(page);
  const create = page.getByRole("button", { name: "Create API key" });
  await tabTo(page, create);
  await page.keyboard.press("Enter");
  const form = page.getByRole("form", { name: "Create API key" });
  await expect(form.getByLabel("Name", { exact: true })).toBeFocused();
  await page.keyboard.type("Keys by keyboard");
  await page.keyboard.press("Tab");
  await expect(form.getByLabel("Purpose")).toBeFocused();
  await page.keyboard.type("Driven without a mouse");
  await tabTo(page, form.getByRole("button", { name: "Create key" }));
  await page.keyboard.press("Enter");

  // The reveal dialog: focus on the secret, Copy one Tab away, Tab never leaves it, Escape
  // does not close it.
  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  const secretField = dialog.getByLabel("Secret");
  await expect(secretField).toBeFocused();
  await expect(dialog).toHaveAccessibleDescription(/closes only with Done/);
  const secret = await secretField.inputValue();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Copy" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog.getByRole("status")).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await focusStaysIn(page, dialog);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByRole("button", { name: "Done" }), 10);
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(create).toBeFocused();

  // Rotate: the dialog takes focus on "Grace period"; the choice is made with the arrow keys.
  const row = page.getByRole("row", { name: /Keys by keyboard/ });
  const rotateButton = row.getByRole("button", { name: "Rotate" });
  await expect(rotateButton).toHaveAccessibleDescription("Keys by keyboard");
  await tabTo(page, rotateButton, 200);
  await page.keyboard.press("Enter");
  const rotate = page.getByRole("dialog", { name: /Rotate "Keys by keyboard"/ });
  const grace = rotate.getByLabel("Grace period");
  await expect(grace).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(grace).toHaveValue("0");
  await tabTo(page, rotate.getByRole("button", { name: "Rotate key" }), 10);
  await page.keyboard.press("Enter");
  await expect(rotate).toBeHidden();
  await expect(dialog.getByLabel("Secret")).toBeFocused();
  expect(await dialog.getByLabel("Secret").inputValue()).not.toBe(secret);
  await tabTo(page, dialog.getByRole("button", { name: "Done" }), 10);
  await page.keyboard.press("Enter");
  await expect(create).toBeFocused();

  // Revoke: the reason is typed, Enter confirms, the outcome is announced and focus rests on
  // the page's content (the row's "Revoke" is gone with the key).
  const revokeButton = row.getByRole("button", { name: "Revoke", exact: true });
  await tabTo(page, revokeButton, 200);
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("dialog", { name: /Revoke "Keys by keyboard"/ });
  await expect(confirm.getByLabel("Reason")).toBeFocused();
  await page.keyboard.type("Done with it");
  await page.keyboard.press("Enter");
  await expect(confirm).toBeHidden();
  await expect(row).toContainText("Revoked");
  await expect(announced(page)).toHaveText("Key Keys by keyboard revoked.");
  await expect(page.locator("main#content")).toBeFocused();
});

test("a confirmation keeps focus inside and gives it back on Escape", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/api-keys");
  await hydrated(page);
  const revokeButton = page.getByRole("button", { name: "Revoke", exact: true }).first();
  await tabTo(page, revokeButton, 200);
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("dialog", { name: /^Revoke / });
  await expect(confirm.getByLabel("Reason")).toBeFocused();
  await focusStaysIn(page, confirm);
  // It is modal: the page behind is inert while it is open.
  await expect(page.locator("dialog:modal")).toHaveCount(1);
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(revokeButton).toBeFocused();
});

test("invite a member and change a role by keyboard", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/members");
  await hydrated(page);
  await tabTo(page, page.getByRole("button", { name: "Invite member" }));
  await page.keyboard.press("Enter");
  const invite = page.getByRole("form", { name: "Invite member" });
  await expect(invite.getByLabel("Email")).toBeFocused();
  await page.keyboard.type("keyboard@example.com");
  await page.keyboard.press("Tab");
  const role = invite.getByLabel("Role");
  await expect(role).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(role).toHaveValue("auditor");
  await page.keyboard.press("Tab");
  await expect(invite.getByRole("button", { name: "Send invitation" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByLabel("Invitation link")).toHaveValue(/\/invite\//);
  await expect(announced(page)).toHaveText("Invitation created. Copy the one-time link below.");
  await expect(page.getByRole("row", { name: /keyboard@example.com/ }).getByRole("button", { name: "Cancel invitation" }))
    .toHaveAccessibleDescription("keyboard@example.com");

  // A member's role select is named for the member; a change is announced and focus stays on
  // the same select once the table is drawn again.
  const select = page.getByRole("combobox", { name: "Role for dev@example.com" });
  await tabTo(page, select, 120);
  const before = await select.inputValue();
  await page.keyboard.press(before === "viewer" ? "ArrowUp" : "ArrowDown");
  await expect(announced(page)).toHaveText("Role changed.");
  await expect(select).not.toHaveValue(before);
  await expect(select).toBeFocused();
  await page.reload();
  await expect(page.getByRole("combobox", { name: "Role for dev@example.com" })).not.toHaveValue(before);
});

test("the credential tester by keyboard announces its verdict", async ({ page }) => {
  await signIn(page);
  const secret = await createKey(page, "Tested by keyboard");
  await page.goto("/settings/api-keys/test");
  await hydrated(page);
  const field = page.getByLabel("Credential secret");
  await tabTo(page, field);
  await page.keyboard.type(secret);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("region", { name: "Report" }).getByRole("status")).toContainText("Valid credential");
  await expect(announced(page)).toContainText("Valid credential");
  await expect(field).toBeFocused();
});

test("a refused field is marked and points at the reason", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/account");
  await hydrated(page);
  const form = page.getByRole("form", { name: "Change password" });
  const fresh = form.getByLabel("New password");
  // The server's own check, past the browser's.
  await fresh.evaluate((el) => el.removeAttribute("minlength"));
  await form.getByLabel("Current password").fill("not checked before the new one");
  await fresh.fill("short");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(fresh).toHaveAttribute("aria-invalid", "true");
  await expect(fresh).toHaveAccessibleDescription("Password must be at least 10 characters.");
  await expect(form.getByLabel("Current password")).not.toHaveAttribute("aria-invalid", "true");
});
