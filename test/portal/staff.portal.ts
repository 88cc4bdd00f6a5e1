import { expect, test } from '@playwright/test';
import { createOrganization, eventually, type TestOrganization } from '../support/api';
import { checkPage, logIn, portalUrl } from './portal';

type User = Awaited<ReturnType<TestOrganization['addUser']>>;

/** A staff member's inbox: composing about a client account with To and CC (told plainly that CC is blind), and the thread after. */
test.describe('staff', () => {
  let org: TestOrganization;
  let sam: User;
  let nia: User;
  let tom: User;
  let uma: User;

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl());
    sam = await org.addUser('staff', { name: 'Sam Park' });
    nia = await org.addUser('member', { name: 'Nia Jones' });
    tom = await org.addUser('member', { name: 'Tom Baker' });
    uma = await org.addUser('member', { name: 'Uma Vale' });
    await org.addUser('member', { name: 'Nora Outsider' });
    const account = await org.admin.post('/v1/client-accounts', { name: 'Acme Logistics' });
    for (const user of [sam, nia, tom, uma]) await org.admin.post(`/v1/client-accounts/${account.body.id}/access`, { userId: user.id });
    expect((await org.admin.post('/v1/canned-responses', { title: 'Office hours', body: '<p>We are open 8 to 5, Monday to Friday.</p>' })).status).toBe(201);
  });

  test('composes about a client account with To and CC, sees the BCC note, and follows the thread', async ({ page }) => {
    await logIn(page, sam.email);
    await expect(page).toHaveURL(/\/inbox$/);
    await checkPage(page, 'staff-inbox-empty');

    await page.getByRole('button', { name: 'New message' }).click();
    const dialog = page.getByRole('dialog', { name: 'New message' });
    await dialog.getByLabel('Client account').selectOption({ label: 'Acme Logistics' });

    const to = dialog.getByRole('group', { name: 'To' });
    await to.getByRole('searchbox').fill('ni');
    // Only people with access to the account are offered.
    await expect(to.getByRole('button', { name: /Nia Jones/ })).toBeVisible();
    await to.getByRole('searchbox').fill('nora');
    await expect(to.getByRole('list', { name: /People matching/ })).toHaveCount(0);
    await to.getByRole('searchbox').fill('nia');
    await to.getByRole('searchbox').press('Enter');
    await expect(to.getByRole('list', { name: 'To recipients' })).toContainText('Nia Jones');

    const cc = dialog.getByRole('group', { name: 'CC' });
    await expect(cc).toContainText('CC contacts are blind-copied: other contacts never see them, and they do not see each other.');
    await cc.getByRole('searchbox').fill('tom');
    await cc.getByRole('button', { name: /Tom Baker/ }).click();
    await expect(cc.getByRole('list', { name: 'CC recipients' })).toContainText('Tom Baker');

    await dialog.getByLabel('Subject').fill('Your March invoice');
    const body = dialog.getByRole('textbox', { name: 'Message' });
    await body.click();
    await page.keyboard.type('Please find the invoice attached. ');
    await dialog.getByRole('button', { name: 'Bold' }).click();
    await page.keyboard.type('Due in 30 days.');
    await dialog.getByLabel('Canned response').selectOption({ label: 'Office hours' });
    await expect(body).toContainText('We are open 8 to 5');

    await dialog.getByLabel('Attachments').setInputFiles({ name: 'invoice.txt', mimeType: 'text/plain', buffer: Buffer.from('Invoice 2026-03: 120.00\n') });
    await expect(dialog.getByRole('list', { name: 'Attached files' })).toContainText('invoice.txt');
    await expect(dialog.getByRole('progressbar', { name: 'Uploading invoice.txt' })).toHaveAttribute('aria-valuenow', '100');
    await dialog.getByLabel('Ask for a read receipt').check();
    await checkPage(page, 'staff-compose');

    await page.keyboard.press('Control+Enter');
    await expect(dialog).toBeHidden();
    await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}$/);
    const conversationId = page.url().split('/').pop()!;
    const thread = page.getByRole('region', { name: 'Your March invoice' });
    await expect(thread).toContainText('To: Nia Jones');
    await expect(thread).toContainText('CC (blind copy): Tom Baker');
    const mine = thread.getByRole('listitem', { name: 'Message from Sam Park' });
    await expect(mine.locator('strong, b')).toHaveText('Due in 30 days.');
    await expect(mine.getByRole('button', { name: /invoice\.txt/ })).toBeVisible();
    await expect(mine).toContainText('Not read yet');
    await checkPage(page, 'staff-thread');

    // What the recipients were sent: Nia does not learn of Tom, and the attachment went with it.
    const seenByNia = (await nia.api.get(`/v1/conversations/${conversationId}`)).body;
    expect(seenByNia.participants.map((p: { name: string }) => p.name).sort()).toEqual(['Nia Jones', 'Sam Park']);
    expect(seenByNia.messages[0].attachments.map((a: { filename: string }) => a.filename)).toEqual(['invoice.txt']);
    expect(seenByNia.messages[0].bodyHtml).toContain('We are open 8 to 5');
    expect((await tom.api.get(`/v1/conversations/${conversationId}`)).body.participants.map((p: { name: string }) => p.name).sort()).toEqual([
      'Sam Park',
      'Tom Baker',
    ]);

    // Nia reads it: Sam's receipt shows it without a reload.
    expect((await nia.api.post(`/v1/conversations/${conversationId}/read`, {})).status).toBe(200);
    await expect(mine).toContainText('Read by Nia Jones');

    // The inbox row carries the columns staff work with.
    const row = page.getByRole('row', { name: /Your March invoice/ });
    await expect(row).toContainText('Sam Park');
    await expect(row).toContainText('Acme Logistics');

    // Adding someone later: they see the history; the reply box is the same editor, with a read receipt.
    await thread.getByRole('button', { name: 'Add recipients' }).click();
    const add = page.getByRole('dialog', { name: 'Add recipients' });
    await add.getByRole('group', { name: 'To' }).getByRole('searchbox').fill('uma');
    await add
      .getByRole('group', { name: 'To' })
      .getByRole('button', { name: /Uma Vale/ })
      .click();
    await add.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(thread).toContainText('To: Nia Jones, Uma Vale');
    expect((await uma.api.get(`/v1/conversations/${conversationId}`)).body.messages[0].bodyHtml).toContain('Please find the invoice attached.');

    const reply = thread.getByRole('textbox', { name: 'Your reply' });
    await reply.click();
    await page.keyboard.type('Uma, you are now copied on this.');
    await thread.getByLabel('Ask for a read receipt').check();
    await page.keyboard.press('Control+Enter');
    const replied = thread.getByRole('listitem', { name: 'Message from Sam Park' }).filter({ hasText: 'you are now copied' });
    await expect(replied).toContainText('Not read yet');

    await thread.getByRole('button', { name: 'Close' }).click();
    await expect(thread).toContainText('Closed');
    await page.getByRole('tab', { name: 'Inactive' }).click();
    await expect(page.getByRole('row', { name: /Your March invoice/ })).toBeVisible();
    await eventually(async () => expect((await nia.api.get(`/v1/conversations/${conversationId}`)).body.status).toBe('closed'));
  });

  test('an inbox longer than a page: Show more, news from past the first page rises to the top, j reaches the last row', async ({ page }) => {
    const busy = await org.addUser('staff', { name: 'Bea Busy' });
    // One more page than the first (the staff limit of 60 starts a minute leaves room).
    const subjects = Array.from({ length: 55 }, (_, i) => `Claim ${String(i + 1).padStart(2, '0')}`);
    const ids: string[] = [];
    for (const subject of subjects) {
      const started = await busy.api.post('/v1/conversations', { subject, to: [nia.id], body: `<p>About ${subject}.</p>` });
      expect(started.status).toBe(201);
      ids.push(started.body.id);
    }
    await logIn(page, busy.email);
    const inbox = page.getByRole('main').getByRole('table', { name: 'Active conversations' });
    await expect(inbox).toHaveAttribute('aria-rowcount', '51');
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect(inbox).toHaveAttribute('aria-rowcount', '56');
    await expect(page.getByRole('button', { name: 'Show more' })).toHaveCount(0);

    // The oldest, on the second page, gets a reply: the live poll brings it to the top, once.
    expect((await nia.api.post(`/v1/conversations/${ids[0]}/messages`, { body: '<p>Any news on claim 01?</p>' })).status).toBe(201);
    await page.mouse.wheel(0, -100_000); // back to the top, where Show more's press had scrolled away from
    const firstRow = inbox.getByRole('row').nth(1); // after the header
    await expect(firstRow).toContainText('Claim 01', { timeout: 20_000 });
    await expect(firstRow).toContainText('Any news on claim 01?');
    await expect(inbox).toHaveAttribute('aria-rowcount', '56');

    // Opening it clears its unread mark at once; j then walks down to the last row, far below the screen.
    await inbox.getByRole('link', { name: /^Claim 01 ?, 1 unread$/ }).click();
    await expect(page.getByRole('region', { name: 'Claim 01' })).toBeVisible();
    await expect(inbox.getByRole('link', { name: 'Claim 01', exact: true })).toBeVisible({ timeout: 3_000 });
    // Newest first after it: Claim 55 down to Claim 02.
    for (let n = 55; n >= 2; n--) {
      await page.keyboard.press('j');
      await expect(page.getByRole('region', { name: `Claim ${String(n).padStart(2, '0')}` })).toBeVisible();
    }
    await expect(inbox.getByRole('row', { name: /Claim 02/ })).toBeInViewport();
    await expect(inbox.getByRole('row', { name: /Claim 02/ })).toHaveAttribute('aria-current', 'true');
    // The thread stays beside it, on screen.
    await expect(page.getByRole('region', { name: 'Claim 02' }).getByText('About Claim 02.')).toBeInViewport();
  });
});
