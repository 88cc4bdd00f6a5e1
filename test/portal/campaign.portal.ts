import { expect, test } from '@playwright/test';
import * as fs from 'node:fs';
import { createOrganization, type TestOrganization } from '../support/api';
import { checkPage, logIn, portalUrl } from './portal';

/** An admin writes a small campaign to a program's members, previews it for one of them, and watches it reach 100 %. */
test.describe('admin campaigns', () => {
  let org: TestOrganization;
  let adminEmail: string;
  const members = ['Nia Jones', 'Max Roy', 'Ola Berg'];

  test.beforeAll(async () => {
    org = await createOrganization(portalUrl(), { name: 'Harbor Health' });
    adminEmail = (await org.admin.get(`/v1/users/${org.adminId}`)).body.email;
    const sam = await org.addUser('staff', { name: 'Sam Park' });
    const program = await org.admin.post('/v1/programs', { name: 'Flu season' });
    for (const name of members) {
      const member = await org.addUser('member', { name });
      expect((await org.admin.post(`/v1/programs/${program.body.id}/enrollments`, { memberId: member.id, careManagerId: sam.id })).status).toBe(201);
    }
    await org.addUser('member', { name: 'Zed Outside' });
  });

  test('creates a campaign with a segment and a preview, and watches its progress reach 100 %', async ({ page }) => {
    await logIn(page, adminEmail);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('button', { name: 'New campaign' }).click();
    const form = page.getByRole('dialog', { name: 'New campaign' });
    await form.getByLabel('Campaign name').fill('Flu shots 2026');
    await form.getByLabel('Title').fill('{{recipient.firstName}}, your flu shot is ready');
    await form.getByLabel('Message', { exact: true }).fill('Walk in at {{organization.name}} any weekday.');
    await form.getByLabel('Email').check();
    // The segment: members of the Flu season program.
    await form.getByRole('group', { name: 'Programs' }).getByLabel('Flu season').check();

    const previewFor = form.getByRole('group', { name: 'Preview for' });
    await previewFor.getByRole('searchbox').fill('Ola');
    await previewFor.getByRole('button', { name: /Ola Berg/ }).click();
    const preview = form.getByRole('region', { name: 'Preview for Ola Berg' });
    await expect(preview).toContainText('Ola, your flu shot is ready');
    await expect(preview).toContainText('Walk in at Harbor Health any weekday.');
    await checkPage(page, 'admin-campaign-form');

    await form.getByRole('button', { name: 'Send campaign now' }).click();
    await expect(form).toBeHidden();
    const detail = page.getByRole('region', { name: /Flu shots 2026/ });
    await expect(detail).toContainText('3 recipients', { timeout: 30_000 });
    await expect(page.getByRole('navigation', { name: 'Campaigns' }).getByRole('link', { name: /Flu shots 2026/ })).toHaveAttribute('aria-current', 'page');

    // Live progress, without a reload, to the end.
    for (const channel of ['Message center', 'Email']) {
      await expect(detail.getByRole('progressbar', { name: `${channel} progress` })).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });
      await expect(detail.getByTestId(`progress-${channel}`)).toHaveText('100 %');
    }
    await expect(detail).toContainText('completed');
    await expect(detail).toContainText('3 sent · 0 failed');
    await checkPage(page, 'admin-campaign-progress');

    const [file] = await Promise.all([page.waitForEvent('download'), detail.getByRole('button', { name: 'Download failed recipients' }).click()]);
    expect(file.suggestedFilename()).toBe('Flu shots 2026-failed.csv');
    const csv = fs
      .readFileSync((await file.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(1); // the header alone: nobody failed
  });
});
