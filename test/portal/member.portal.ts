import { expect, test } from '@playwright/test';
import { createPushSubscription, PushServiceFake } from '../fakes/push-service-fake';
import { createOrganization, eventually, type TestOrganization } from '../support/api';
import { checkPage, logIn, portalUrl } from './portal';

/**
 * A member's day: the message center, a chat with their care manager (request it, change the reason, read the
 * reply the unread dot announces), and a secure conversation they reply to and reopen.
 */
test.describe('member', () => {
  let org: TestOrganization;
  let nia: Awaited<ReturnType<TestOrganization['addUser']>>;
  let sam: Awaited<ReturnType<TestOrganization['addUser']>>;

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl());
    sam = await org.addUser('staff', { name: 'Sam Park' });
    nia = await org.addUser('member', { name: 'Nia Jones' });
    for (const label of ['Medication question', 'Appointment']) {
      expect((await org.admin.post('/v1/chat-request-reasons', { label })).status).toBe(201);
    }
    const program = await org.admin.post('/v1/programs', { name: 'Diabetes care' });
    expect((await org.admin.post(`/v1/programs/${program.body.id}/enrollments`, { memberId: nia.id, careManagerId: sam.id })).status).toBe(201);
    expect((await org.admin.patch('/v1/organization/settings', { allowContactsToReopen: true })).status).toBe(200);
  });

  test('reads and removes a message in the message center', async ({ page }) => {
    const sent = await org.admin.post('/v1/messages', {
      recipientId: nia.id,
      title: 'Your new care plan',
      body: 'Your care plan for the winter is ready.\nCall us with any questions.',
      channels: ['message_center'],
    });
    expect(sent.status).toBe(202);
    await eventually(async () => expect((await nia.api.get('/v1/me/messages/unread-count')).body.count).toBe(1), 30_000);

    await logIn(page, nia.email);
    await expect(page).toHaveURL(/\/messages$/);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: /Messages/ })).toContainText('1');
    await expect(page.getByText('1 unread')).toBeVisible();
    await checkPage(page, 'member-message-center');

    await page.getByRole('button', { name: /Your new care plan/ }).click();
    await expect(page.getByText('Your care plan for the winter is ready.')).toBeVisible();
    await expect(page.getByText('0 unread')).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Messages' })).toHaveText('Messages');

    await page.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByRole('button', { name: /Your new care plan/ })).toHaveCount(0);
    await page.reload();
    await expect(page.getByText('No messages.')).toBeVisible();

    // A message whose dismiss time comes leaves the open page on its own.
    const dismissAt = new Date(Date.now() + 20_000).toISOString();
    const fleeting = await org.admin.post('/v1/messages', {
      recipientId: nia.id,
      title: 'Flu clinic today',
      body: 'Walk in until 4 pm.',
      channels: ['message_center'],
      dismissAt,
    });
    expect(fleeting.status).toBe(202);
    await expect(page.getByRole('button', { name: /Flu clinic today/ })).toBeVisible();
    await expect(page.getByRole('button', { name: /Flu clinic today/ })).toHaveCount(0, { timeout: 40_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(dismissAt).getTime());
  });

  test('requests a chat, changes the reason, and reads the reply the unread dot announces', async ({ page }) => {
    await logIn(page, nia.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chats' }).click();
    await page.getByRole('button', { name: 'Request a Chat' }).click();

    const dialog = page.getByRole('dialog', { name: 'Request a Chat' });
    // Her only program is chosen for her; the comment is required before the request can go.
    await expect(dialog.getByLabel('Program')).toHaveValue(/.+/);
    await expect(dialog.getByLabel('Program')).toContainText('Diabetes care — Sam Park');
    await dialog.getByLabel('Reason').selectOption({ label: 'Medication question' });
    const submit = dialog.getByRole('button', { name: 'Submit Request' });
    await expect(submit).toBeDisabled();
    await dialog.getByLabel('Comment').fill('   ');
    await expect(submit).toBeDisabled();
    await dialog.getByLabel('Comment').fill('My new insulin pen makes me dizzy.');
    await checkPage(page, 'member-request-chat');
    await submit.click();

    const confirmation = page.getByRole('region', { name: /Your chat request about Diabetes care/ });
    await expect(confirmation).toContainText('Sam Park will reply');
    await expect(confirmation.getByTestId('request-reason')).toHaveText('Medication question');

    await confirmation.getByRole('button', { name: 'Change the Reason' }).click();
    const change = page.getByRole('dialog', { name: 'Change the Reason' });
    await change.getByLabel('Reason').selectOption({ label: 'Appointment' });
    await change.getByRole('button', { name: 'Save reason' }).click();
    await expect(confirmation.getByTestId('request-reason')).toHaveText('Appointment');
    const [request] = (await nia.api.get('/v1/me/chat-requests?status=open')).body.items;
    expect(request.reason.label).toBe('Appointment');
    await checkPage(page, 'member-chats-confirmation');

    // Away from the chat, Sam answers: the dot on Chats tells her without a reload.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Messages' }).click();
    const dot = page.getByTestId('chats-dot');
    await expect(dot).toHaveCount(0);
    expect((await sam.api.post(`/v1/conversations/${request.chatId}/messages`, { body: '<p>Hi Nia, let us find you a time this week.</p>' })).status).toBe(201);
    await expect(dot).toBeVisible();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chats' }).click();
    const chatLink = page.getByRole('navigation', { name: 'Active Chats' }).getByRole('link', { name: /Sam Park/ });
    await expect(chatLink.getByRole('img', { name: '1 unread' })).toBeVisible();
    await chatLink.click();
    const messages = page.getByRole('list', { name: 'Messages' });
    await expect(messages.getByText('Hi Nia, let us find you a time this week.')).toBeVisible();
    await expect(dot).toHaveCount(0);
    await expect(chatLink.getByRole('img', { name: /unread/ })).toHaveCount(0);
    await checkPage(page, 'member-chat');

    await page.getByRole('textbox', { name: 'Your reply' }).fill('Thursday morning works for me.');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('listitem', { name: 'Message from Nia Jones' })).toContainText('Thursday morning works for me.');

    // The confirmation stays until the care manager closes the task.
    await expect(confirmation).toBeVisible();
    expect((await sam.api.post(`/v1/tasks/${request.id}/close`, { outcome: 'Appointment booked' })).status).toBe(200);
    await expect(confirmation).toHaveCount(0);
    await expect(messages.getByText('Thursday morning works for me.')).toBeVisible();
  });

  test('replies to a secure conversation, and reopens it once closed', async ({ page }) => {
    const started = await sam.api.post('/v1/conversations', { subject: 'Your lab results', to: [nia.id], body: '<p>Your results are <b>normal</b>.</p>' });
    expect(started.status).toBe(201);

    await logIn(page, nia.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('link', { name: /Your lab results/ }).click();
    await expect(page.getByRole('listitem', { name: 'Message from Sam Park' })).toContainText('Your results are normal.');
    await expect(page.getByRole('listitem', { name: 'Message from Sam Park' }).locator('b')).toHaveText('normal');
    await checkPage(page, 'member-conversation');

    await page.getByRole('textbox', { name: 'Your reply' }).fill('Thank you!');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByRole('listitem', { name: 'Message from Nia Jones' })).toContainText('Thank you!');
    await eventually(async () => {
      const thread = (await sam.api.get(`/v1/conversations/${started.body.id}`)).body;
      expect(thread.messages.map((m: { bodyText: string }) => m.bodyText)).toEqual(['Your results are normal.', 'Thank you!']);
    });

    expect((await sam.api.post(`/v1/conversations/${started.body.id}/close`)).status).toBe(200);
    await expect(page.getByText('This conversation is closed')).toBeVisible();
    await page.getByRole('tab', { name: 'Inactive' }).click();
    await page.getByRole('link', { name: /Your lab results/ }).click();
    await page.getByRole('button', { name: 'Reopen' }).click();
    await expect(page.getByRole('textbox', { name: 'Your reply' })).toBeVisible();
    expect((await sam.api.get(`/v1/conversations/${started.body.id}`)).body.status).toBe('open');
  });

  test('turns on push notifications for this browser, and gets the next message as a push', async ({ page, context }) => {
    // The browser's push service is the one part faked in the page: Chromium's own (FCM) is not reachable here.
    // The subscription it hands back points at a Web Push service fake the worker really sends to.
    const pushService = new PushServiceFake();
    await pushService.start();
    try {
      const device = createPushSubscription(pushService.baseUrl);
      await context.grantPermissions(['notifications']);
      // Page code, as text: this file is compiled without the DOM's types.
      await page.addInitScript({
        content: `(() => {
          const subscription = ${JSON.stringify(device.subscription)};
          const state = (window.__push = { key: '', current: null });
          const make = () => ({
            endpoint: subscription.endpoint,
            expirationTime: null,
            toJSON: () => ({ ...subscription, expirationTime: null }),
            unsubscribe: async () => ((state.current = null), true),
          });
          PushManager.prototype.subscribe = async function (options) {
            const key = new Uint8Array(options.applicationServerKey);
            state.key = btoa(String.fromCharCode(...key)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
            if (!options.userVisibleOnly) throw new DOMException('userVisibleOnly is required', 'NotAllowedError');
            return (state.current = make());
          };
          PushManager.prototype.getSubscription = async () => state.current;
        })();`,
      });

      await logIn(page, nia.email);
      const card = page.getByRole('region', { name: 'Notifications on this device' });
      await card.getByRole('button', { name: 'Turn on notifications' }).click();
      await expect(card).toContainText('This device shows a notification when a message arrives.');
      // Subscribed with the server's own VAPID key.
      const { publicKey } = (await nia.api.get('/v1/push/vapid-public-key')).body;
      expect(await page.evaluate('window.__push.key')).toBe(publicKey);

      expect(
        (
          await org.admin.post('/v1/messages', {
            recipientId: nia.id,
            title: 'Lab results are in',
            body: 'Log in to read them.',
            channels: ['message_center', 'push'],
          })
        ).status,
      ).toBe(202);
      const [received] = await eventually(async () => {
        const pushes = pushService.received.filter((push) => device.subscription.endpoint.endsWith(`/push/${push.subscriptionId}`));
        expect(pushes).toHaveLength(1);
        return pushes;
      }, 30_000);
      expect(JSON.parse(device.decrypt(received.body))).toMatchObject({ title: expect.any(String) });

      await card.getByRole('button', { name: 'Turn off notifications' }).click();
      await expect(card).toContainText('Get a notification on this device when a message arrives.');
      // Off means the server forgot this device: the next push has nowhere to go.
      const after = await org.admin.post('/v1/messages', { recipientId: nia.id, title: 'Another', body: 'x', channels: ['push'] });
      await eventually(async () => {
        const message = (await org.admin.get(`/v1/messages/${after.body.id}`)).body;
        expect(message.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status])).toEqual([['push', 'skipped']]);
      }, 30_000);
    } finally {
      await pushService.stop();
    }
  });
});
