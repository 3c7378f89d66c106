import { expect, type Browser, type Page } from "@playwright/test";

export const OWNER = {
  workspace: "Acme",
  email: "owner@example.com",
  password: "correct horse battery staple",
};

/** Waits until the wasm bundle has hydrated the page (the app marks <body>). */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === "true", null, { timeout: 20_000 });
}

export async function signIn(page: Page, email = OWNER.email, password = OWNER.password) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await hydrated(page);
}

/** Signs the owner in on a page without JavaScript (plain form post and redirect). */
export async function signInWithoutJs(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
}

/** Creates a key through the form and returns its secret from the reveal dialog (closed). */
export async function createKey(page: Page, name: string, preset: "Full access" | "Read only" = "Read only", networks = "") {
  await page.goto("/settings/api-keys");
  await hydrated(page);
  await page.getByRole("button", { name: "Create API key" }).click();
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.getByLabel("Purpose").fill(`${name} from the browser tests`);
  await form.getByLabel(preset).check();
  if (networks) await form.getByLabel("Allowed networks").fill(networks);
  await form.getByRole("button", { name: "Create key" }).click();
  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  await expect(dialog).toBeVisible();
  const secret = await dialog.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^kw_svc_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();
  return secret;
}

/**
 * The signed-in page invites `email` as `role` from the members page; the invitee opens the
 * one-time link in a browser context of their own and sets a password. Returns their page.
 */
export async function inviteMember(page: Page, browser: Browser, email: string, role: string, password: string) {
  await page.goto("/settings/members");
  await hydrated(page);
  await page.getByRole("button", { name: "Invite member" }).click();
  const invite = page.getByRole("form", { name: "Invite member" });
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption({ label: role });
  await invite.getByRole("button", { name: "Send invitation" }).click();
  const link = await page.getByLabel("Invitation link").inputValue();
  const member = await (await browser.newContext()).newPage();
  await member.goto(link);
  await hydrated(member);
  await member.getByLabel("Password").fill(password);
  await member.getByRole("button", { name: "Set password" }).click();
  await expect(member).toHaveURL(/\/settings\/api-keys$/);
  await hydrated(member);
  return member;
}

/** Every page of the console, as a signed-in owner sees it, and the plain pages beside it. */
export const CONSOLE_PAGES = [
  "/settings/api-keys",
  "/settings/api-keys?new=1",
  "/settings/api-keys/review",
  "/settings/api-keys/test",
  "/settings/audit",
  "/settings/access-reviews",
  "/settings/webhooks",
  "/settings/notifications",
  "/settings/members",
  "/settings/applications",
  "/settings/security",
  "/settings/account",
  "/settings/instance",
  "/settings/api-reference",
  "/settings/rate-limits",
  "/settings/api-keys/import",
];

/** Pages rendered on the server alone: nothing hydrates them. */
export const isServerRendered = (path: string) =>
  path.startsWith("/settings/rate-limits") || path.startsWith("/settings/api-keys/import");
