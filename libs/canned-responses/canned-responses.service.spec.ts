import { refusal, seedOrganization, seedUser, type SeededUser } from '../../test/support/conversation-use-cases.js';
import { TestDatabase } from '../../test/support/test-database.js';
import { MAX_RICH_TEXT_DEPTH, MAX_RICH_TEXT_ELEMENTS, TooMuchMarkupError } from '../rich-text/rich-text.js';
import { CannedResponsesModule } from './canned-responses.module.js';
import { CannedResponsesService } from './canned-responses.service.js';

describe('CannedResponsesService: bodies are sanitized like message bodies', () => {
  let db: TestDatabase;
  let cannedResponses: CannedResponsesService;
  let staff: SeededUser;

  beforeAll(async () => {
    db = await TestDatabase.create();
    cannedResponses = (await db.module(CannedResponsesModule)).get(CannedResponsesService);
    staff = await seedUser(db, await seedOrganization(db), 'staff', 'Sam Staff');
  });

  afterAll(() => db?.drop());

  const create = (title: string, body: string) => db.request(() => cannedResponses.create(staff, { title, body }));
  const update = (id: string, dto: { title?: string; body?: string }) => db.request(() => cannedResponses.update(staff, id, dto));
  const stored = async (id: string) => (await db.query<{ body: string }>('select body from canned_response where id = ?', [id]))[0].body;

  const UNSAFE =
    '<p onclick="steal()">We received your <b>claim</b>.<img src=x onerror=alert(1)></p><script>alert(2)</script>' +
    '<a href="javascript:alert(3)" onmouseover="alert(4)">Track it</a>';
  const CLEAN = '<p>We received your <b>claim</b>.</p><a rel="noopener noreferrer nofollow" target="_blank">Track it</a>';

  it('a new canned response with <script>, onerror= and a javascript: link comes back, and is stored, clean', async () => {
    const created = await create('Claim received', UNSAFE);

    expect(created.body).toBe(CLEAN);
    expect(await stored(created.id)).toBe(CLEAN);
    expect(await db.request(() => cannedResponses.list(staff.organizationId))).toContainEqual(expect.objectContaining({ id: created.id, body: CLEAN }));
  });

  it('an edited body is sanitized the same way; editing only the title leaves the body alone', async () => {
    const { id } = await create('Payment sent', '<p>Paid.</p>');

    expect((await update(id, { body: UNSAFE })).body).toBe(CLEAN);
    expect(await stored(id)).toBe(CLEAN);
    expect((await update(id, { title: 'Payment made' })).body).toBe(CLEAN);
  });

  it('refuses with 422 naming body a body with nothing left once sanitized, or with too much markup, and stores nothing', async () => {
    expect(await refusal(create('Empty', '<script>alert(1)</script><img src=x onerror=alert(2)>'))).toEqual({
      status: 422,
      message: 'body: must contain some text once unsafe markup is removed',
    });
    expect(await refusal(create('Busy', '<b>x</b>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1)))).toEqual({
      status: 422,
      message: `body: ${new TooMuchMarkupError().message}`,
    });
    const { id } = await create('Kept', '<p>Kept.</p>');
    expect(await refusal(update(id, { body: '<b>x</b>'.repeat(MAX_RICH_TEXT_ELEMENTS + 1) }))).toMatchObject({ status: 422 });
    expect(await stored(id)).toBe('<p>Kept.</p>');
    expect(await db.query(`select title from canned_response where title in ('Empty', 'Busy')`)).toEqual([]);
  });

  it('flattens a body nested deeper than the limit, keeping its text', async () => {
    const created = await create('Deep', `${'<b>'.repeat(20_000)}Deep text`);

    expect(created.body.match(/<b>/g)).toHaveLength(MAX_RICH_TEXT_DEPTH);
    expect(created.body).toContain('Deep text');
  });
});
