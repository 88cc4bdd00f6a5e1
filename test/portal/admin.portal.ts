import { expect, test } from '@playwright/test';
import { createOrganization, type TestOrganization } from '../support/api';
import { checkPage, logIn, portalUrl } from './portal';

/** The wall-clock `datetime-local` value of an instant in a time zone, as the pickers take it. */
function wallClock(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/**
 * An admin schedules a message on the recipient's own clock (the browser is in Berlin, the member in New York) and
 * follows it in the User Messages timeline until every channel has delivered.
 */
test.describe('admin', () => {
  let org: TestOrganization;
  let nia: Awaited<ReturnType<TestOrganization['addUser']>>;
  let adminEmail: string;

  test.use({ timezoneId: 'Europe/Berlin', locale: 'en-US' });

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl());
    nia = await org.addUser('member', { name: 'Nia Jones' });
    expect((await org.admin.patch(`/v1/users/${nia.id}`, { timezone: 'America/New_York' })).status).toBe(200);
    adminEmail = (await org.admin.get(`/v1/users/${org.adminId}`)).body.email;
  });

  test('schedules a message with the date pickers and sees it delivered in the User Messages timeline', async ({ page }) => {
    await logIn(page, adminEmail);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Enrolled Users' }).click();
    const row = page.getByRole('row', { name: /Nia Jones/ });
    await expect(row).toContainText('America/New_York');
    await checkPage(page, 'staff-enrolled-users');
    await row.getByRole('button', { name: 'More for Nia Jones' }).click();
    await page.getByRole('button', { name: 'Send Message to User' }).click();

    const dialog = page.getByRole('dialog', { name: 'Send A Message to Nia Jones' });
    await dialog.getByLabel('Title').fill('Your appointment is confirmed');
    await dialog.getByLabel('Details').fill('See you on Monday at 10.');
    await dialog.getByLabel('Email').check();
    await dialog.getByLabel('Send at a specific date/time').check();
    // The pickers take whole minutes: the first one at least 20 s from now, on Nia's clock in New York.
    const due = new Date(Math.ceil((Date.now() + 20_000) / 60_000) * 60_000);
    const dismiss = new Date(due.getTime() + 2 * 86_400_000);
    await expect(dialog.getByText('Nia Jones’s time, America/New_York').first()).toBeVisible();
    await dialog.getByLabel('Delivery date/time').fill(wallClock(due, 'America/New_York'));
    await dialog.getByLabel('Dismiss date/time').check();
    await dialog.getByLabel('Remove from the message center at').fill(wallClock(dismiss, 'America/New_York'));
    await checkPage(page, 'staff-send-message');
    await dialog.getByRole('button', { name: 'Review and send' }).click();

    const newYorkTime = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeStyle: 'short' }).format(due);
    const confirm = dialog.getByRole('group', { name: 'Confirm' });
    await expect(confirm).toContainText('Send Your appointment is confirmed to Nia Jones by Message center, Email on');
    await expect(confirm).toContainText(newYorkTime);
    await confirm.getByRole('button', { name: 'Confirm and send' }).click();

    const result = dialog.getByTestId('send-result');
    await expect(result).toContainText('Scheduled. It will be delivered on');
    await expect(result).toContainText(`${newYorkTime} E`);
    await expect(result).toContainText('(Nia Jones’s time, America/New_York)');
    const [scheduled] = (await org.admin.get(`/v1/messages?recipientId=${nia.id}`)).body.items;
    expect(scheduled).toMatchObject({ title: 'Your appointment is confirmed', deliverAt: due.toISOString(), dismissAt: dismiss.toISOString() });

    await dialog.getByRole('link', { name: 'See it in User Messages' }).click();
    await expect(page).toHaveURL(/\/user-messages\?recipientId=/);
    const messageRow = page.getByRole('row', { name: /Your appointment is confirmed/ });
    await expect(messageRow).toContainText('scheduled');
    await messageRow.getByRole('button', { name: /Timeline/ }).click();
    await expect(page.getByRole('link', { name: 'Open the workflow in the Temporal UI' })).toHaveAttribute(
      'href',
      `http://localhost:8233/namespaces/default/workflows/message-${scheduled.id}`,
    );
    await expect(page.getByText(`message-${scheduled.id}`)).toBeVisible();
    await checkPage(page, 'staff-user-messages-scheduled');

    // Live: once due, the row turns delivered and the email's timeline shows its attempt, without a reload.
    await expect(messageRow).toContainText('delivered', { timeout: 100_000 });
    const email = page.getByRole('region', { name: 'Email delivery' });
    await expect(email).toContainText('sent');
    await expect(email.getByRole('list', { name: 'Email timeline' })).toContainText('attempt 1: sent');
    await expect(page.getByRole('region', { name: 'Message center delivery' })).toContainText('sent');
    await checkPage(page, 'staff-user-messages-delivered');
  });

  test('reschedules and then cancels a scheduled message from User Messages', async ({ page }) => {
    const deliverAt = new Date(Date.now() + 3 * 86_400_000);
    deliverAt.setUTCSeconds(0, 0);
    const scheduled = await org.admin.post('/v1/messages', {
      recipientId: nia.id,
      title: 'Renewal reminder',
      body: 'Your plan renews soon.',
      channels: ['email'],
      deliverAt: deliverAt.toISOString(),
    });
    expect(scheduled.status).toBe(202);

    await logIn(page, adminEmail);
    await page.goto(`${portalUrl()}/user-messages?recipientId=${nia.id}&status=scheduled`);
    const row = page.getByRole('row', { name: /Renewal reminder/ });
    await row.getByRole('button', { name: /Timeline/ }).click();
    await page.getByRole('button', { name: 'Reschedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reschedule “Renewal reminder”' });
    // The browser is in Berlin: the picker shows, and takes, Berlin's wall clock.
    const later = new Date(deliverAt.getTime() + 86_400_000);
    await expect(dialog.getByLabel('Deliver at')).toHaveValue(wallClock(deliverAt, 'Europe/Berlin'));
    await dialog.getByLabel('Deliver at').fill(wallClock(later, 'Europe/Berlin'));
    await checkPage(page, 'staff-reschedule');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    expect((await org.admin.get(`/v1/messages/${scheduled.body.id}`)).body.deliverAt).toBe(later.toISOString());

    page.once('dialog', (confirm) => void confirm.accept());
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(async () => (await org.admin.get(`/v1/messages/${scheduled.body.id}`)).body.status).toBe('cancelled');
  });

  test('changes the organisation settings, with refusals shown at the field', async ({ page }) => {
    await logIn(page, adminEmail);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel(/Convenience: the message itself/).check();
    await page.getByLabel('Contacts may reopen closed conversations').check();
    await page.getByLabel('First response due within (minutes)').fill('45');
    await page.getByLabel('Count the clocks in business hours only').check();
    await page.getByLabel('Sat', { exact: true }).uncheck();
    await page.getByLabel('Unread reminder after (minutes, 0 = none)').fill('-5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByLabel('Unread reminder after (minutes, 0 = none)')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByText(/unreadReminderMinutes must be a whole number/).first()).toBeVisible();
    expect((await org.admin.get('/v1/organization/settings')).body.notificationMode).toBe('privacy');

    await page.getByLabel('Unread reminder after (minutes, 0 = none)').fill('30');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByText('Settings saved.')).toBeVisible();
    const saved = (await org.admin.get('/v1/organization/settings')).body;
    expect(saved).toMatchObject({
      notificationMode: 'convenience',
      allowContactsToReopen: true,
      unreadReminderMinutes: 30,
      chatRequests: { firstResponseMinutes: 45, businessHours: { days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' } },
    });

    const reasons = page.getByRole('list', { name: 'Chat request reasons' });
    await page.getByLabel('New reason').fill('Billing question');
    await page.getByRole('button', { name: 'Add reason' }).click();
    await expect(reasons).toContainText('Billing question');
    await reasons.getByRole('button', { name: 'Retire Billing question' }).click();
    await expect(reasons).toContainText('Retired');
    await checkPage(page, 'admin-settings');
  });

  test('manages the directory: adds a user, changes their role, sends a reset link, deactivates; enrols a member', async ({ page }) => {
    await logIn(page, adminEmail);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Directory' }).click();
    const newUser = page.getByRole('region', { name: 'Add a user' });
    await newUser.getByLabel('Name').fill('Lee Lane');
    await newUser.getByLabel('Email').fill(`lee-${Date.now()}@example.org`);
    await newUser.getByRole('button', { name: 'Add user' }).click();
    await expect(newUser).toContainText('Lee Lane was added.');
    const row = page.getByRole('row', { name: /Lee Lane/ });
    await row.getByLabel('Role of Lee Lane').selectOption('staff');
    const [lee] = (await org.admin.get('/v1/users?q=Lee%20Lane')).body.items;
    await expect.poll(async () => (await org.admin.get(`/v1/users/${lee.id}`)).body.role).toBe('staff');
    await row.getByRole('button', { name: 'Send password reset to Lee Lane' }).click();
    await expect(row).toContainText('Reset link sent to');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Deactivate Lee Lane' }).click();
    await expect(row).toContainText('Deactivated');
    expect((await org.admin.get(`/v1/users/${lee.id}`)).body.status).toBe('deactivated');
    await checkPage(page, 'admin-directory-users');

    await page.getByRole('tab', { name: 'Programs' }).click();
    await page.getByLabel('New program').fill('Heart health');
    await page.getByRole('button', { name: 'Add program' }).click();
    const program = page.getByRole('region', { name: 'Heart health' });
    const enrol = program.getByRole('group', { name: 'Enrol a member in Heart health' });
    await enrol.getByRole('searchbox').fill('Nia');
    await enrol.getByRole('button', { name: /Nia Jones/ }).click();
    await program.getByLabel('Care manager').selectOption({ label: 'Ada Admin' });
    await program.getByRole('button', { name: 'Enrol', exact: true }).click();
    await expect(program.getByRole('list', { name: 'Enrolled in Heart health' })).toContainText('Nia Jones — care manager Ada Admin');
    await checkPage(page, 'admin-directory-programs');

    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByLabel('New team').fill('Supervisors');
    await page.getByRole('button', { name: 'Add team' }).click();
    const team = page.getByRole('region', { name: 'Supervisors' });
    await team.getByLabel('Add to Supervisors').selectOption({ label: 'Ada Admin' });
    await team.getByRole('button', { name: 'Add member' }).click();
    await expect(team.getByRole('list', { name: 'Members of Supervisors' })).toContainText('Ada Admin');
    await checkPage(page, 'admin-directory-teams');

    await page.getByRole('tab', { name: 'Client accounts' }).click();
    await page.getByLabel('New client account').fill('Globex');
    await page.getByRole('button', { name: 'Add client account' }).click();
    const account = page.getByRole('region', { name: 'Globex' });
    const grant = account.getByRole('group', { name: 'Give access to Globex' });
    await grant.getByRole('searchbox').fill('Nia');
    await grant.getByRole('button', { name: /Nia Jones/ }).click();
    await account.getByRole('button', { name: 'Grant access' }).click();
    await expect(account.getByRole('list', { name: 'Who has access to Globex' })).toContainText('Nia Jones');
    await checkPage(page, 'admin-directory-client-accounts');
  });
});
