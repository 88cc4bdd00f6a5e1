import { CampaignsWithoutTemporal, seedCampaign } from '../../../../test/support/campaign-use-cases.js';
import { refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { PreviewCampaign } from './preview-campaign.usecase.js';

describe('PreviewCampaign', () => {
  let db: TestDatabase;
  let previewCampaign: PreviewCampaign;
  let ada: SeededUser; // admin
  let mia: SeededUser;
  let cher: SeededUser; // a one-word name
  let bea: SeededUser; // admin of another organisation
  let campaignId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    previewCampaign = (await db.module(CampaignsWithoutTemporal)).get(PreviewCampaign);
    const organizationId = await seedOrganization(db);
    await db.query(`update organization set name = ? where id = ?`, ['Smith & Sons <Health>', organizationId]);
    ada = await seedUser(db, organizationId, 'admin', 'Ada Admin');
    mia = await seedUser(db, organizationId, 'member', '  Mia   van Dijk ');
    cher = await seedUser(db, organizationId, 'member', 'Cher');
    bea = await seedUser(db, await seedOrganization(db), 'admin', 'Bea Elsewhere');
    campaignId = await seedCampaign(db, ada, {
      title: 'Hello {{recipient.firstName}}',
      body: 'Dear {{recipient.name}}, open enrolment at {{organization.name}} ends Friday. \\{{not.a.variable}}',
    });
  });

  afterAll(() => db?.drop());

  const preview = (caller: SeededUser, id: string, userId: string) => db.request(() => previewCampaign.execute(caller, id, userId));

  it('renders the title and body as the recipient will read them: their names and the organisation’s, never HTML-escaped', async () => {
    expect(await preview(ada, campaignId, mia.id)).toEqual({
      userId: mia.id,
      title: 'Hello Mia',
      body: 'Dear   Mia   van Dijk , open enrolment at Smith & Sons <Health> ends Friday. {{not.a.variable}}',
    });
  });

  it('a one-word name is the first name too; a campaign without variables reads as written', async () => {
    const plain = await seedCampaign(db, ada, { title: 'Office closed', body: 'The office is closed on Monday.' });

    expect(await preview(ada, campaignId, cher.id)).toMatchObject({ title: 'Hello Cher', body: expect.stringMatching(/^Dear Cher, /) });
    expect(await preview(ada, plain, mia.id)).toEqual({ userId: mia.id, title: 'Office closed', body: 'The office is closed on Monday.' });
  });

  it('renders a draft before the campaign exists, and refuses an unknown variable naming its field', async () => {
    const draft = (title: string, body: string, userId: string) => db.request(() => previewCampaign.draft(ada, { title, body }, userId));
    expect(await draft('Hi {{recipient.firstName}}', 'From {{organization.name}}', mia.id)).toEqual({
      userId: mia.id,
      title: 'Hi Mia',
      body: 'From Smith & Sons <Health>',
    });
    expect(await refusal(draft('Hi {{recipient.nickname}}', 'x', mia.id))).toMatchObject({ status: 422, message: expect.stringMatching(/^title: /) });
    expect(await refusal(draft('Hi', '{{organisation.name}}', mia.id))).toMatchObject({ status: 422, message: expect.stringMatching(/^body: /) });
    expect(await refusal(draft('Hi', 'x', bea.id))).toEqual({ status: 422, message: 'userId: is not a user of your organization' });
  });

  it("another organisation's campaign, or none, is not found", async () => {
    expect(await refusal(preview(bea, campaignId, bea.id))).toEqual({ status: 404, message: 'campaign not found' });
    expect(await refusal(preview(ada, crypto.randomUUID(), mia.id))).toEqual({ status: 404, message: 'campaign not found' });
  });

  it('a user who is not of the organisation is a 422 naming userId, whether they exist elsewhere or not at all', async () => {
    const expected = { status: 422, message: 'userId: is not a user of your organization' };

    expect(await refusal(preview(ada, campaignId, bea.id))).toEqual(expected);
    expect(await refusal(preview(ada, campaignId, crypto.randomUUID()))).toEqual(expected);
  });
});
