import { expect, test } from '@playwright/test';
import { createOrganization, type TestOrganization } from '../support/api';
import { checkPage, logIn, PASSWORD, portalUrl } from './portal';

/** Messaging by keyboard alone: the shortcuts, and the Ctrl+/ reference that lists them. */
test.describe('keyboard', () => {
  let org: TestOrganization;
  let sam: Awaited<ReturnType<TestOrganization['addUser']>>;
  let nia: Awaited<ReturnType<TestOrganization['addUser']>>;
  const subjects = ['First question', 'Second question', 'Third question'];

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl());
    sam = await org.addUser('staff', { name: 'Sam Park' });
    nia = await org.addUser('member', { name: 'Nia Jones' });
    // Started oldest first: the inbox shows the newest (Third) on top.
    for (const subject of subjects) {
      expect((await nia.api.post('/v1/conversations', { subject, to: [sam.id], body: `<p>${subject}?</p>` })).status).toBe(201);
    }
  });

  test('Ctrl+/ and its icon open the reference; the shortcuts move, search, reply, send, close and compose', async ({ page }) => {
    await logIn(page, sam.email);
    const main = page.getByRole('main');
    await expect(main.getByRole('row', { name: /Third question/ })).toBeVisible();

    await page.keyboard.press('Control+/');
    const reference = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(reference).toBeVisible();
    for (const [keys, what] of [
      ['C', 'New message'],
      ['R', 'Reply'],
      ['Ctrl+Enter', 'Send'],
      ['J', 'Next conversation'],
      ['K', 'Previous conversation'],
      ['E', 'Close the conversation (archive)'],
      ['/', 'Search'],
      ['G then I', 'Go to the inbox'],
      ['Ctrl+/', 'Show the keyboard shortcuts'],
    ]) {
      await expect(
        reference
          .getByRole('term')
          .filter({ hasText: new RegExp(`^${keys.replace(/[+/]/g, '\\$&')}$`) })
          .first(),
      ).toBeVisible();
      await expect(reference.getByRole('definition').filter({ hasText: what }).first()).toBeVisible();
    }
    await checkPage(page, 'keyboard-reference');
    await page.keyboard.press('Escape');
    await expect(reference).toBeHidden();
    await page.getByRole('button', { name: 'Keyboard shortcuts (Ctrl+/)' }).click();
    await expect(reference).toBeVisible();
    await page.keyboard.press('Escape');

    // j and k walk the inbox; the open one is marked as current.
    await page.keyboard.press('j');
    await expect(page.getByRole('region', { name: 'Third question' })).toBeVisible();
    await page.keyboard.press('j');
    await expect(page.getByRole('region', { name: 'Second question' })).toBeVisible();
    await page.keyboard.press('k');
    await expect(page.getByRole('region', { name: 'Third question' })).toBeVisible();
    await expect(page.getByRole('row', { name: /Third question/ })).toHaveAttribute('aria-current', 'true');

    // r to reply, Ctrl+Enter to send.
    await page.keyboard.press('r');
    await expect(page.getByRole('textbox', { name: 'Your reply' })).toBeFocused();
    await page.keyboard.type('On it.');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('listitem', { name: 'Message from Sam Park' })).toContainText('On it.');

    // e closes (archives) the open conversation; it leaves the active folder.
    await page.getByRole('heading', { name: /Third question/ }).click();
    await page.keyboard.press('e');
    await expect(page.getByRole('region', { name: /Third question/ })).toContainText('Closed');
    await expect(main.getByRole('row', { name: /Third question/ })).toHaveCount(0);

    // / searches.
    await page.keyboard.press('/');
    await expect(page.getByRole('searchbox', { name: 'Search conversations' })).toBeFocused();
    await page.keyboard.type('first');
    await page.keyboard.press('Enter');
    await expect(main.getByRole('row', { name: /First question/ })).toBeVisible();
    await expect(main.getByRole('row', { name: /Second question/ })).toHaveCount(0);

    // g then i goes back to the whole inbox from anywhere; c composes.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await expect(page).toHaveURL(/\/tasks$/);
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await expect(page).toHaveURL(/\/inbox$/);
    await expect(main.getByRole('row', { name: /Second question/ })).toBeVisible();
    await page.keyboard.press('c');
    await expect(page.getByRole('dialog', { name: 'New message' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'New message' })).toBeHidden();
  });

  test('a member reaches everything in the portal with Tab and Enter alone', async ({ page }) => {
    // The pages before a session: the reset link's page, and logging in by keyboard.
    await page.goto(`${portalUrl()}/reset-password#token=not-a-real-token`);
    await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    await checkPage(page, 'reset-password');
    await page.goto(`${portalUrl()}/login`);
    await checkPage(page, 'login');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Email')).toBeFocused();
    await page.keyboard.type(nia.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    // The skip link comes first, then the main navigation.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Messages/ })).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Conversations' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/conversations$/);
    // Into the list: Tab reaches the first conversation's link, and Enter opens it.
    const first = page.getByRole('main').getByRole('link', { name: /First question/ });
    for (let i = 0; i < 12 && !(await first.evaluate((el) => el === el.ownerDocument.activeElement)); i++) await page.keyboard.press('Tab');
    await expect(first).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('region', { name: 'First question' })).toBeVisible();
  });
});
