import { campaignAudit, campaignOutbox, CampaignsWithoutTemporal } from '../../../../test/support/campaign-use-cases.js';
import { seedProgram } from '../../../../test/support/chat-request-use-cases.js';
import { count, refusal, seedOrganization, seedUser, type SeededUser } from '../../../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../../../test/support/test-database.js';
import { createValidationPipe } from '../../../http/validation.js';
import { CreateCampaignDto } from '../../campaign.dto.js';
import { CreateCampaign } from './create-campaign.usecase.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Body = Record<string, unknown>;

describe('CreateCampaign', () => {
  let db: TestDatabase;
  let createCampaign: CreateCampaign;
  let organizationId: string;
  let ada: SeededUser; // admin
  let abe: SeededUser; // another admin of the organisation
  let mia: SeededUser;
  let sam: SeededUser;
  let foreignProgramId: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    createCampaign = (await db.module(CampaignsWithoutTemporal)).get(CreateCampaign);
    organizationId = await seedOrganization(db);
    [ada, abe, mia, sam] = await Promise.all([
      seedUser(db, organizationId, 'admin', 'Ada Admin'),
      seedUser(db, organizationId, 'admin', 'Abe Admin'),
      seedUser(db, organizationId, 'member', 'Mia Member'),
      seedUser(db, organizationId, 'staff', 'Sam Staff'),
    ]);
    foreignProgramId = (await seedProgram(db, await seedOrganization(db), 'Diabetes')).id;
  });

  afterAll(() => db?.drop());

  const iso = (fromNow: number) => new Date(Date.now() + fromNow).toISOString();
  const request = (overrides: Body = {}): Body => ({
    name: '  Open enrolment  ',
    title: 'Hello {{recipient.firstName}}',
    body: 'Open enrolment at {{organization.name}} ends Friday.',
    channels: ['message_center', 'email'],
    deliverAt: iso(HOUR),
    dismissAt: iso(DAY),
    audience: { userIds: [mia.id.toUpperCase(), sam.id] },
    ...overrides,
  });
  const atOnce = (at: string) => request({ deliverAt: at, dismissAt: at });
  /** The request as the API takes it: through the application's validation pipe, then the use case. */
  async function create(caller: SeededUser, body: Body, idempotencyKey?: string) {
    const dto = (await createValidationPipe().transform(body, { type: 'body', metatype: CreateCampaignDto })) as CreateCampaignDto;
    return db.request(() => createCampaign.execute(caller, dto, idempotencyKey));
  }
  /** The campaign's row, its times as dates. */
  const row = async (id: string) => {
    const [found] = await db.query(`select * from campaign where id = ?`, [id]);
    return { ...found, deliver_at: new Date(found.deliver_at), dismiss_at: found.dismiss_at === null ? null : new Date(found.dismiss_at) };
  };
  /** Everything a request writes. */
  const written = async () => ({
    campaigns: await count(db, 'campaign'),
    outbox: await count(db, 'workflow_outbox'),
    audit: await count(db, 'audit_event'),
  });

  it('stores the campaign scheduled, with its workflow start in the outbox and an audit entry that holds no content', async () => {
    const body = request({ fallback: { email: 'sms' } });

    const scheduled = await create(ada, body);

    const deliverAt = new Date(body.deliverAt as string);
    const dismissAt = new Date(body.dismissAt as string);
    expect(scheduled).toEqual({ id: expect.any(String), status: 'scheduled', deliverAt, dismissAt, workflowId: `campaign-${scheduled.id}` });
    expect(await row(scheduled.id)).toMatchObject({
      organization_id: organizationId,
      name: 'Open enrolment',
      title: 'Hello {{recipient.firstName}}',
      body: 'Open enrolment at {{organization.name}} ends Friday.',
      channels: ['message_center', 'email'],
      deliver_at: deliverAt,
      dismiss_at: dismissAt,
      audience: { userIds: [mia.id, sam.id] },
      fallback: { email: 'sms' },
      status: 'scheduled',
      recipients: null,
      workflow_id: `campaign-${scheduled.id}`,
      created_by_id: ada.id,
      idempotency_key: null,
      request_hash: null,
    });
    expect(await campaignOutbox(db, scheduled.id)).toEqual([
      {
        kind: 'start',
        workflowType: 'campaign',
        workflowId: `campaign-${scheduled.id}`,
        args: [{ campaignId: scheduled.id, deliverAt: deliverAt.getTime() }],
        searchAttributes: { TidingsOrganizationId: organizationId, TidingsCampaignId: scheduled.id },
        queue: 'campaigns',
      },
    ]);
    expect(await campaignAudit(db, scheduled.id)).toEqual([
      {
        actor_id: ada.id,
        action: 'campaign.scheduled',
        details: { channels: ['message_center', 'email'], deliverAt: deliverAt.toISOString(), dismissAt: dismissAt.toISOString(), audience: 'userIds' },
      },
    ]);
  });

  it('delivers now by default and keeps the messages without dismissAt; a segment is stored as given', async () => {
    const before = Date.now();

    const scheduled = await create(ada, request({ deliverAt: undefined, dismissAt: undefined, audience: { segment: { roles: ['member', 'member'] } } }));

    expect(scheduled.deliverAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(scheduled.deliverAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(scheduled.dismissAt).toBeNull();
    expect(await row(scheduled.id)).toMatchObject({ audience: { segment: { roles: ['member'] } }, dismiss_at: null, fallback: null });
    expect((await campaignAudit(db, scheduled.id))[0].details).toMatchObject({ audience: 'segment', dismissAt: null });
  });

  it('takes user ids that name nobody: the snapshot at deliverAt skips them and reports them', async () => {
    const nobody = crypto.randomUUID();

    const scheduled = await create(ada, request({ audience: { userIds: [nobody] } }));

    expect(await row(scheduled.id)).toMatchObject({ audience: { userIds: [nobody] }, status: 'scheduled' });
  });

  describe('Idempotency-Key', () => {
    it('a retry with the same key and request gets the first answer, and nothing is written twice', async () => {
      const body = request();
      const first = await create(ada, body, 'enrolment-2027');
      const writtenOnce = await written();

      const retried = await create(ada, body, 'enrolment-2027');

      expect(retried).toEqual(first);
      expect(await written()).toEqual(writtenOnce);
      expect(await count(db, `campaign where idempotency_key = 'enrolment-2027'`)).toBe(1);
      expect(await row(first.id)).toMatchObject({ idempotency_key: 'enrolment-2027', request_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    it('the same key with another request is a 409 naming the header, and nothing is written', async () => {
      const first = await create(ada, request(), 'reminder-1');
      const before = await written();

      expect(await refusal(create(ada, request({ title: 'Reminder: open enrolment' }), 'reminder-1'))).toEqual({
        status: 409,
        message: 'Idempotency-Key: was used before with a different request',
      });
      expect(await written()).toEqual(before);
      expect(await row(first.id)).toMatchObject({ title: 'Hello {{recipient.firstName}}' });
    });

    it("keys are each admin's own: another admin's request with the same key is a campaign of its own", async () => {
      const body = request();
      const ada1 = await create(ada, body, 'shared-key');

      const abe1 = await create(abe, body, 'shared-key');

      expect(abe1.id).not.toBe(ada1.id);
      expect(await count(db, `campaign where idempotency_key = 'shared-key'`)).toBe(2);
    });

    it('two requests with the same key at once: one campaign, and both get its answer', async () => {
      const body = request();

      const [one, two] = await Promise.all([create(ada, body, 'double-click'), create(ada, body, 'double-click')]);

      expect(two).toEqual(one);
      expect(await count(db, `campaign where idempotency_key = 'double-click'`)).toBe(1);
      expect(await campaignOutbox(db, one.id)).toHaveLength(1);
      expect(await campaignAudit(db, one.id)).toHaveLength(1);
    });

    it('a key that is not 1 to 200 visible ASCII characters is a 400 naming the header', async () => {
      const before = await written();

      expect(await refusal(create(ada, request(), 'two words'))).toEqual({
        status: 400,
        message: 'Idempotency-Key: must be 1 to 200 visible ASCII characters',
      });
      expect(await refusal(create(ada, request(), 'k'.repeat(201)))).toMatchObject({ status: 400 });
      expect(await written()).toEqual(before);
    });
  });

  describe('refuses a bad request whole, naming the field, before anything is written', () => {
    const cases: Array<[string, () => Body, number, string | RegExp]> = [
      ['deliverAt in the past', () => request({ deliverAt: iso(-10 * MINUTE) }), 400, 'deliverAt: must not be in the past'],
      ['deliverAt more than a year ahead', () => request({ deliverAt: iso(400 * DAY), dismissAt: undefined }), 400, 'deliverAt: must be at most a year ahead'],
      ['dismissAt before deliverAt', () => request({ deliverAt: iso(2 * HOUR), dismissAt: iso(HOUR) }), 400, 'dismissAt: must be after deliverAt'],
      ['dismissAt at deliverAt', () => atOnce(iso(HOUR)), 400, 'dismissAt: must be after deliverAt'],
      ['a date that is not ISO 8601', () => request({ deliverAt: 'next Friday' }), 400, 'deliverAt must be an ISO 8601 date-time'],
      ['an unknown channel', () => request({ channels: ['message_center', 'fax'] }), 400, 'channels must contain only message_center, push, email, sms'],
      ['no channel', () => request({ channels: [] }), 400, 'channels must name at least one channel'],
      ['a channel twice', () => request({ channels: ['email', 'email'] }), 400, 'channels must not repeat a channel'],
      ['an empty name', () => request({ name: '   ' }), 400, 'name must not be empty'],
      [
        'an unknown variable in the title',
        () => request({ title: 'Hello {{recipient.email}}' }),
        422,
        'title: names an unknown variable {{recipient.email}}; use recipient.name, recipient.firstName or organization.name',
      ],
      ['a block in the body', () => request({ body: '{{#if recipient.name}}Hi{{/if}}' }), 422, /^body: uses a block {{#if recipient.name}}; /],
      ['a body that is no template', () => request({ body: 'Dear {{recipient.name' }), 422, /^body: is not a valid template \(/],
      ['a body over 64 KiB (counted in bytes)', () => request({ body: 'é'.repeat(32_769) }), 413, 'body: must be at most 65536 bytes'],
      ['no audience', () => request({ audience: undefined }), 400, 'audience is required'],
      ['an audience of no kind', () => request({ audience: {} }), 400, 'audience: must have exactly one of userIds, segment, csvAttachmentId'],
      ['an empty list of users', () => request({ audience: { userIds: [] } }), 422, 'audience.userIds: must name at least one user'],
      ['a user id that is no UUID', () => request({ audience: { userIds: ['mia'] } }), 400, 'audience.userIds: must contain only UUIDs (item 0 is not one)'],
      [
        'a segment without criteria',
        () => request({ audience: { segment: {} } }),
        422,
        'audience.segment: must have at least one of roles, programIds, clientAccountIds, teamIds',
      ],
      [
        "a segment naming another organisation's program",
        () => request({ audience: { segment: { programIds: [foreignProgramId] } } }),
        422,
        /^audience\.segment\.programIds: must name programs of this organization \(not [0-9a-f-]{36}\)$/,
      ],
      [
        'a CSV file that was never uploaded here',
        () => request({ audience: { csvAttachmentId: crypto.randomUUID() } }),
        422,
        'audience.csvAttachmentId: names no file uploaded in this organization',
      ],
      ['a fallback other than email → sms', () => request({ fallback: { sms: 'email' } }), 422, 'fallback.sms: the only fallback is { "email": "sms" }'],
      [
        'an email fallback without email',
        () => request({ channels: ['message_center', 'sms'], fallback: { email: 'sms' } }),
        422,
        'fallback.email: needs email among the channels',
      ],
    ];

    it.each(cases)('%s', async (_, body, status, message) => {
      const before = await written();

      const refused = await refusal(create(ada, body()));

      expect(refused.status).toBe(status);
      expect(refused.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
      expect(await written()).toEqual(before);
    });
  });
});
