import { expect, test } from '@playwright/test';
import { createOrganization, eventually, type TestOrganization } from '../support/api';
import { checkPage, logIn, portalUrl } from './portal';

type User = Awaited<ReturnType<TestOrganization['addUser']>>;

/** A care manager's queue: the countdown, claim, the chat beside the task, close with an outcome, reassign, away periods. */
test.describe('care manager', () => {
  let org: TestOrganization;
  let sam: User;
  let dana: User;
  let nia: User;
  let max: User;
  let niaRequest: { id: string; chatId: string };
  let maxRequest: { id: string };

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl());
    sam = await org.addUser('staff', { name: 'Sam Park' });
    dana = await org.addUser('staff', { name: 'Dana Lee' });
    nia = await org.addUser('member', { name: 'Nia Jones' });
    max = await org.addUser('member', { name: 'Max Roy' });
    expect((await org.admin.patch('/v1/organization/settings', { chatRequests: { firstResponseMinutes: 60, escalateAfterMinutes: 120 } })).status).toBe(200);
    const reason = await org.admin.post('/v1/chat-request-reasons', { label: 'Medication question' });
    const program = await org.admin.post('/v1/programs', { name: 'Diabetes care' });
    for (const member of [nia, max]) {
      expect((await org.admin.post(`/v1/programs/${program.body.id}/enrollments`, { memberId: member.id, careManagerId: sam.id })).status).toBe(201);
    }
    niaRequest = (await nia.api.post('/v1/me/chat-requests', { reasonId: reason.body.id, comment: 'My pen makes me dizzy.' })).body;
    maxRequest = (await max.api.post('/v1/me/chat-requests', { reasonId: reason.body.id, comment: 'Can I skip a dose?' })).body;
    await eventually(async () => expect((await sam.api.get('/v1/tasks?assignee=me')).body.items).toHaveLength(2), 30_000);
  });

  test('works the queue: claims, answers in the chat beside the task, closes with an outcome, reassigns', async ({ page }) => {
    await logIn(page, sam.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    const queue = page.getByRole('list', { name: 'Task queue' });
    const niaTask = queue.getByRole('listitem', { name: 'Nia Jones: Medication question' });
    await expect(niaTask).toContainText('Unclaimed');
    await expect(niaTask).toContainText('My pen makes me dizzy.');

    // The countdown runs without a reload.
    const timer = niaTask.getByRole('timer');
    await expect(timer).toHaveText(/^due in 5\d min \d+ s$/);
    const before = await timer.textContent();
    await expect(timer).not.toHaveText(before!, { timeout: 5_000 });
    await checkPage(page, 'care-manager-queue');

    await niaTask.getByRole('button', { name: 'Claim' }).click();
    await expect(niaTask).toContainText('Claimed');
    await niaTask.getByRole('button', { name: /Nia Jones — Medication question/ }).click();
    await expect(page.getByRole('region', { name: 'Diabetes care' })).toContainText('With Nia Jones');
    await page.getByRole('textbox', { name: 'Your reply' }).fill('Hi Nia, please stop using the pen and call us.');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByRole('listitem', { name: 'Message from Sam Park' })).toContainText('please stop using the pen');
    await checkPage(page, 'care-manager-task-chat');

    await niaTask.getByRole('button', { name: 'Close' }).click();
    const close = page.getByRole('dialog', { name: 'Close Nia Jones’s request' });
    await expect(close.getByRole('button', { name: 'Close the task' })).toBeDisabled();
    await close.getByLabel('Outcome').fill('Switched to a new pen');
    await close.getByRole('button', { name: 'Close the task' }).click();
    await expect(niaTask).toHaveCount(0);
    expect((await nia.api.get(`/v1/me/chat-requests/${niaRequest.id}`)).body.status).toBe('closed');

    const maxTask = queue.getByRole('listitem', { name: 'Max Roy: Medication question' });
    await maxTask.getByRole('button', { name: 'Reassign' }).click();
    const reassign = page.getByRole('dialog', { name: 'Reassign Max Roy’s request' });
    await reassign.getByLabel('Give it to').selectOption({ label: 'Dana Lee' });
    await reassign.getByRole('button', { name: 'Reassign' }).click();
    await expect(maxTask).toHaveCount(0);
    await eventually(async () => expect((await dana.api.get('/v1/tasks?assignee=me')).body.items.map((t: { id: string }) => t.id)).toEqual([maxRequest.id]));
    await expect(page.getByText('Nothing waiting for you.')).toBeVisible();

    await page.getByLabel('Status').selectOption('closed');
    await expect(queue.getByRole('listitem', { name: 'Nia Jones: Medication question' })).toContainText('closed');
  });

  test('sets an away period with a cover, and removes it', async ({ page }) => {
    await logIn(page, sam.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Away' }).click();
    await page.getByLabel('Who covers').selectOption({ label: 'Dana Lee' });
    await page.getByLabel('From').fill('2030-06-01T08:00');
    await page.getByLabel('Until').fill('2030-06-15T17:00');
    await checkPage(page, 'care-manager-away');
    await page.getByRole('button', { name: 'Save away period' }).click();
    const periods = page.getByRole('list', { name: 'Away periods' });
    await expect(periods).toContainText('covered by Dana Lee');
    const [period] = (await sam.api.get(`/v1/coverage?userId=${sam.id}`)).body.items;
    expect(period).toMatchObject({ coveredBy: { id: dana.id }, user: { id: sam.id } });
    await periods.getByRole('button', { name: /Remove the away period/ }).click();
    await expect(page.getByText('No away periods.')).toBeVisible();
    expect((await sam.api.get(`/v1/coverage?userId=${sam.id}`)).body.items).toEqual([]);
  });
});
