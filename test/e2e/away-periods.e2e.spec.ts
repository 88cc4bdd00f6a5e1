import { Api, createOrganization, fieldsOf, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';

type TestUser = { id: string; email: string; api: Api };

const DEFAULT_CHAT_REQUESTS = { intro: '', firstResponseMinutes: 60, escalateAfterMinutes: 240, supervisorTeamId: null, businessHours: null };
const OFFICE_HOURS = { timezone: 'America/New_York', days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' };

const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const iso = (value: string) => new Date(value).toISOString();

/** The organisation's chat-request settings, and away periods: who covers a care manager's chat requests while they are away. */
describe('chat-request settings and away periods (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let staff: TestUser;
  let secondStaff: TestUser;
  let thirdStaff: TestUser;
  let member: TestUser;
  let otherStaff: TestUser;

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = await Promise.all([createOrganization(platform.baseUrl), createOrganization(platform.baseUrl)]);
    staff = await org.addUser('staff', { name: 'Sam Staff' });
    secondStaff = await org.addUser('staff', { name: 'Cora Cover' });
    thirdStaff = await org.addUser('staff', { name: 'Theo Third' });
    member = await org.addUser('member');
    otherStaff = await other.addUser('staff');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const audit = (subjectId: string) =>
    platform.query<{ action: string; actor_id: string; details: Record<string, unknown> | null }>(
      "select action, actor_id, details from audit_event where subject_id = $1 and action not like 'auth.%' order by created_at",
      [subjectId],
    );

  describe('chat-request settings', () => {
    test('GET /v1/organization/settings shows the defaults for a new organisation', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const settings = await fresh.admin.get('/v1/organization/settings');
      expect(settings.status).toBe(200);
      expect(settings.body.chatRequests).toEqual(DEFAULT_CHAT_REQUESTS);
    });

    test('each PATCH changes only the fields it names; null turns business hours off and clears the supervisor team', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const { body: team } = await fresh.admin.post('/v1/teams', { name: 'Supervisors' });

      const first = await fresh.admin.patch('/v1/organization/settings', {
        chatRequests: {
          intro: 'Tell us what you need; your care manager answers within the hour.',
          firstResponseMinutes: 30,
          escalateAfterMinutes: 120,
          supervisorTeamId: team.id,
          businessHours: { ...OFFICE_HOURS, days: [5, 1, 3, 2, 4] },
        },
      });
      expect(first.status).toBe(200);
      const everything = {
        intro: 'Tell us what you need; your care manager answers within the hour.',
        firstResponseMinutes: 30,
        escalateAfterMinutes: 120,
        supervisorTeamId: team.id,
        businessHours: OFFICE_HOURS,
      };
      expect(first.body.chatRequests).toEqual(everything);
      expect(first.body.unreadReminderMinutes).toBe(0);

      const firstResponse = await fresh.admin.patch('/v1/organization/settings', { chatRequests: { firstResponseMinutes: 90 } });
      expect(firstResponse.body.chatRequests).toEqual({ ...everything, firstResponseMinutes: 90 });
      const hours = { timezone: 'Europe/Berlin', days: [6, 7], start: '09:30', end: '12:00' };
      expect((await fresh.admin.patch('/v1/organization/settings', { chatRequests: { businessHours: hours } })).body.chatRequests).toEqual({
        ...everything,
        firstResponseMinutes: 90,
        businessHours: hours,
      });
      const cleared = await fresh.admin.patch('/v1/organization/settings', { chatRequests: { businessHours: null, supervisorTeamId: null, intro: '' } });
      expect(cleared.status).toBe(200);
      expect(cleared.body.chatRequests).toEqual({ ...DEFAULT_CHAT_REQUESTS, firstResponseMinutes: 90, escalateAfterMinutes: 120 });
      expect((await fresh.admin.patch('/v1/organization/settings', { unreadReminderMinutes: 15 })).body.chatRequests).toEqual(cleared.body.chatRequests);
      expect((await fresh.admin.get('/v1/organization/settings')).body.chatRequests).toEqual(cleared.body.chatRequests);

      const [stored] = await platform.query<{ chat_request_settings: unknown }>('select chat_request_settings from organization where id = $1', [fresh.id]);
      expect(stored.chat_request_settings).toEqual(cleared.body.chatRequests);
      const updates = (await audit(fresh.id)).filter((e) => e.action === 'organization.settings_updated');
      expect(updates).toHaveLength(5);
      expect(updates[3].details).toEqual({ chatRequests: { businessHours: null, supervisorTeamId: null, intro: '' } });
    });

    test('what only the stored settings can tell is a 422 naming the field, and nothing changes', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const { body: otherTeam } = await other.admin.post('/v1/teams', { name: `Elsewhere ${Date.now()}` });
      const before = (await fresh.admin.get('/v1/organization/settings')).body;

      for (const [chatRequests, field] of [
        [{ businessHours: { ...OFFICE_HOURS, timezone: 'Mars/Olympus_Mons' } }, 'chatRequests.businessHours.timezone'],
        [{ businessHours: { ...OFFICE_HOURS, timezone: '+02:00' } }, 'chatRequests.businessHours.timezone'],
        [{ businessHours: { ...OFFICE_HOURS, start: '17:00', end: '08:00' } }, 'chatRequests.businessHours.end'],
        [{ businessHours: { ...OFFICE_HOURS, start: '09:00', end: '09:00' } }, 'chatRequests.businessHours.end'],
        [{ firstResponseMinutes: 60, escalateAfterMinutes: 60 }, 'chatRequests.escalateAfterMinutes'],
        [{ firstResponseMinutes: 120, escalateAfterMinutes: 30 }, 'chatRequests.escalateAfterMinutes'],
        // Against the stored escalation after 240 minutes.
        [{ firstResponseMinutes: 240 }, 'chatRequests.escalateAfterMinutes'],
        [{ escalateAfterMinutes: 45 }, 'chatRequests.escalateAfterMinutes'],
        [{ supervisorTeamId: otherTeam.id }, 'chatRequests.supervisorTeamId'],
        [{ supervisorTeamId: UNKNOWN_ID }, 'chatRequests.supervisorTeamId'],
      ] as const) {
        const refused = await fresh.admin.patch('/v1/organization/settings', { unreadReminderMinutes: 5, chatRequests });
        expect({ chatRequests, status: refused.status, fields: fieldsOf(refused) }).toEqual({ chatRequests, status: 422, fields: [field] });
      }
      expect((await fresh.admin.get('/v1/organization/settings')).body).toEqual(before);
    });

    test.each([
      ['chatRequests null', { chatRequests: null }, 'chatRequests'],
      ['chatRequests as text', { chatRequests: 'on' }, 'chatRequests'],
      ['an intro over 2000 characters', { chatRequests: { intro: 'x'.repeat(2001) } }, 'chatRequests.intro'],
      ['an intro that is not text', { chatRequests: { intro: 5 } }, 'chatRequests.intro'],
      ['an intro of null', { chatRequests: { intro: null } }, 'chatRequests.intro'],
      ['a first response after 0 minutes', { chatRequests: { firstResponseMinutes: 0 } }, 'chatRequests.firstResponseMinutes'],
      ['a first response after more than 30 days', { chatRequests: { firstResponseMinutes: 43_201 } }, 'chatRequests.firstResponseMinutes'],
      ['fractional first-response minutes', { chatRequests: { firstResponseMinutes: 1.5 } }, 'chatRequests.firstResponseMinutes'],
      ['first-response minutes as text', { chatRequests: { firstResponseMinutes: '60' } }, 'chatRequests.firstResponseMinutes'],
      ['escalation after 0 minutes', { chatRequests: { escalateAfterMinutes: 0 } }, 'chatRequests.escalateAfterMinutes'],
      ['escalation after more than 30 days', { chatRequests: { escalateAfterMinutes: 43_201 } }, 'chatRequests.escalateAfterMinutes'],
      ['a supervisor team that is not a UUID', { chatRequests: { supervisorTeamId: 'supervisors' } }, 'chatRequests.supervisorTeamId'],
      ['business hours as text', { chatRequests: { businessHours: 'weekdays' } }, 'chatRequests.businessHours'],
      [
        'business hours without a time zone',
        { chatRequests: { businessHours: { ...OFFICE_HOURS, timezone: undefined } } },
        'chatRequests.businessHours.timezone',
      ],
      ['no working days', { chatRequests: { businessHours: { ...OFFICE_HOURS, days: [] } } }, 'chatRequests.businessHours.days'],
      ['weekday 0', { chatRequests: { businessHours: { ...OFFICE_HOURS, days: [0, 1] } } }, 'chatRequests.businessHours.days'],
      ['weekday 8', { chatRequests: { businessHours: { ...OFFICE_HOURS, days: [8] } } }, 'chatRequests.businessHours.days'],
      ['a repeated weekday', { chatRequests: { businessHours: { ...OFFICE_HOURS, days: [1, 1] } } }, 'chatRequests.businessHours.days'],
      ['days as text', { chatRequests: { businessHours: { ...OFFICE_HOURS, days: 'Mon-Fri' } } }, 'chatRequests.businessHours.days'],
      ['a start that is not HH:MM', { chatRequests: { businessHours: { ...OFFICE_HOURS, start: '8:00' } } }, 'chatRequests.businessHours.start'],
      ['an end of 24:00', { chatRequests: { businessHours: { ...OFFICE_HOURS, end: '24:00' } } }, 'chatRequests.businessHours.end'],
      ['no end', { chatRequests: { businessHours: { ...OFFICE_HOURS, end: undefined } } }, 'chatRequests.businessHours.end'],
      ['an unknown business-hours field', { chatRequests: { businessHours: { ...OFFICE_HOURS, lunch: '12:00' } } }, 'chatRequests.businessHours.lunch'],
      ['an unknown chat-request field', { chatRequests: { autoClose: true } }, 'chatRequests.autoClose'],
    ])('%s is a 400 naming the field', async (_, patch, field) => {
      const response = await org.admin.patch('/v1/organization/settings', patch);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
      expect(response.body.message).toContain(field);
    });

    test('only admins change them', async () => {
      for (const api of [staff.api, member.api]) expect((await api.patch('/v1/organization/settings', { chatRequests: { intro: 'Hi' } })).status).toBe(403);
      expect((await org.admin.get('/v1/organization/settings')).body.chatRequests.intro).toBe('');
    });
  });

  describe('away periods', () => {
    const create = (api: Api, body: Record<string, unknown>) => api.post('/v1/coverage', body);
    const period = (userId: string, coveredById: string, fromHours = 1, untilHours = 48) => ({
      userId,
      coveredById,
      from: hoursFromNow(fromHours),
      until: hoursFromNow(untilHours),
    });

    test('an admin sets a period for a staff user: 201 with both people, listed, audited', async () => {
      const body = period(staff.id, secondStaff.id);
      const created = await create(org.admin, body);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        userId: staff.id,
        user: { id: staff.id, name: 'Sam Staff' },
        coveredBy: { id: secondStaff.id, name: 'Cora Cover' },
        from: iso(body.from),
        until: iso(body.until),
        createdAt: expect.any(String),
      });
      const listed = await org.admin.get(`/v1/coverage?userId=${staff.id}`);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toContainEqual(created.body);
      const [row] = await platform.query('select organization_id, user_id, covered_by_id, created_by_id from away_period where id = $1', [created.body.id]);
      expect(row).toEqual({ organization_id: org.id, user_id: staff.id, covered_by_id: secondStaff.id, created_by_id: org.adminId });
      expect(await audit(created.body.id)).toEqual([
        {
          action: 'away_period.created',
          actor_id: org.adminId,
          details: { userId: staff.id, coveredById: secondStaff.id, from: iso(body.from), until: iso(body.until) },
        },
      ]);
      expect((await org.admin.delete(`/v1/coverage/${created.body.id}`)).status).toBe(204);
    });

    test('staff set their own periods, already started ones too, and an admin may be covered or cover', async () => {
      const own = await create(staff.api, { ...period(staff.id, org.adminId), from: hoursFromNow(-2) });
      expect(own.status).toBe(201);
      expect(own.body.coveredBy).toEqual({ id: org.adminId, name: 'Ada Admin' });
      const forAdmin = await create(org.admin, period(org.adminId, thirdStaff.id));
      expect(forAdmin.status).toBe(201);
      for (const id of [own.body.id, forAdmin.body.id]) expect((await org.admin.delete(`/v1/coverage/${id}`)).status).toBe(204);
    });

    test('staff may not set a period for someone else, members not at all', async () => {
      const forOther = await create(staff.api, period(secondStaff.id, staff.id));
      expect(forOther.status).toBe(403);
      expect((await create(member.api, period(member.id, staff.id))).status).toBe(403);
      expect((await create(member.api, period(staff.id, secondStaff.id))).status).toBe(403);
      expect((await member.api.get('/v1/coverage')).status).toBe(403);
      expect(await platform.query('select 1 from away_period where user_id in ($1, $2)', [secondStaff.id, member.id])).toEqual([]);
    });

    test.each([
      ['until before from', () => ({ ...period(staff.id, secondStaff.id), from: hoursFromNow(5), until: hoursFromNow(4) }), 'until'],
      ['until equal to from', () => ({ ...period(staff.id, secondStaff.id), from: '2099-06-01T12:00:00Z', until: '2099-06-01T14:00:00+02:00' }), 'until'],
      ['until in the past', () => period(staff.id, secondStaff.id, -48, -1), 'until'],
      ['covered by oneself', () => period(staff.id, staff.id), 'coveredById'],
      ['a member as the one away', () => period(member.id, staff.id), 'userId'],
      ["another organisation's staff as the one away", () => period(otherStaff.id, staff.id), 'userId'],
      ['an unknown user as the one away', () => period(UNKNOWN_ID, staff.id), 'userId'],
      ['a member covering', () => period(staff.id, member.id), 'coveredById'],
      ["another organisation's staff covering", () => period(staff.id, otherStaff.id), 'coveredById'],
      ['an unknown user covering', () => period(staff.id, UNKNOWN_ID), 'coveredById'],
    ])('%s is a 422 naming the field', async (_, body, field) => {
      const refused = await create(org.admin, body());
      expect(refused.status).toBe(422);
      expect(fieldsOf(refused)).toEqual([field]);
    });

    test('covering for oneself is refused in those words', async () => {
      expect((await create(staff.api, period(staff.id, staff.id))).body.details).toEqual([{ field: 'coveredById', message: 'cannot cover for oneself' }]);
    });

    test.each([
      ['no body fields', {}, 'userId'],
      ['a userId that is not a UUID', { userId: 'sam' }, 'userId'],
      ['a coveredById that is not a UUID', { coveredById: 42 }, 'coveredById'],
      ['a from that is not a date-time', { from: 'tomorrow' }, 'from'],
      ['an until that is not a date-time', { until: '2026-13-45T00:00:00Z' }, 'until'],
      ['an unknown field', { reason: 'holiday' }, 'reason'],
    ])('%s is a 400 naming the field', async (_, patch, field) => {
      const body = Object.keys(patch).length ? { ...period(staff.id, secondStaff.id), ...patch } : patch;
      const response = await create(org.admin, body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toContain(field);
    });

    test('the list shows periods not yet ended, by start: all of them to admins, their own and those they cover to staff', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const [alice, bob, carol] = [await fresh.addUser('staff'), await fresh.addUser('staff'), await fresh.addUser('staff')];
      const later = (await create(fresh.admin, period(alice.id, bob.id, 24, 48))).body;
      const sooner = (await create(fresh.admin, period(carol.id, alice.id, 2, 30))).body;
      const notAlice = (await create(fresh.admin, period(bob.id, carol.id, 1, 10))).body;
      await platform.query(
        `insert into away_period (id, organization_id, user_id, covered_by_id, starts_at, ends_at, created_by_id, created_at)
         values ($1, $2, $3, $4, now() - interval '2 days', now() - interval '1 day', $5, now() - interval '3 days')`,
        [crypto.randomUUID(), fresh.id, alice.id, bob.id, fresh.adminId],
      );

      const all = await fresh.admin.get('/v1/coverage');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ items: [notAlice, sooner, later] });
      expect((await fresh.admin.get(`/v1/coverage?userId=${alice.id}`)).body).toEqual({ items: [later] });
      expect((await fresh.admin.get(`/v1/coverage?userId=${staff.id}`)).body).toEqual({ items: [] });

      expect((await alice.api.get('/v1/coverage')).body).toEqual({ items: [sooner, later] });
      expect((await alice.api.get(`/v1/coverage?userId=${alice.id}`)).body).toEqual({ items: [later] });
      expect((await alice.api.get(`/v1/coverage?userId=${bob.id}`)).status).toBe(403);
      expect((await fresh.admin.get('/v1/coverage?userId=alice')).status).toBe(400);
      expect((await org.admin.get('/v1/coverage')).body.items.map((p: { id: string }) => p.id)).not.toContain(later.id);
    });

    test('a period is removed by an admin or the staff user it is for; another organisation does not find it', async () => {
      const mine = (await create(staff.api, period(staff.id, secondStaff.id))).body;
      const theirs = (await create(org.admin, period(secondStaff.id, staff.id))).body;

      expect((await staff.api.delete(`/v1/coverage/${theirs.id}`)).status).toBe(403);
      expect((await thirdStaff.api.delete(`/v1/coverage/${mine.id}`)).status).toBe(403);
      expect((await member.api.delete(`/v1/coverage/${mine.id}`)).status).toBe(403);
      expect((await other.admin.delete(`/v1/coverage/${mine.id}`)).status).toBe(404);
      expect((await otherStaff.api.delete(`/v1/coverage/${mine.id}`)).status).toBe(404);
      expect((await org.admin.delete(`/v1/coverage/${UNKNOWN_ID}`)).status).toBe(404);
      expect((await org.admin.delete('/v1/coverage/not-an-id')).status).toBe(400);

      const removed = await staff.api.delete(`/v1/coverage/${mine.id}`);
      expect(removed.status).toBe(204);
      expect(removed.body).toBeUndefined();
      expect((await org.admin.delete(`/v1/coverage/${theirs.id}`)).status).toBe(204);
      expect((await org.admin.delete(`/v1/coverage/${theirs.id}`)).status).toBe(404);
      expect(await platform.query('select id from away_period where id in ($1, $2)', [mine.id, theirs.id])).toEqual([]);
      expect((await audit(mine.id)).map((e) => [e.action, e.actor_id])).toEqual([
        ['away_period.created', staff.id],
        ['away_period.removed', staff.id],
      ]);
    });

    test("setting and removing a period queue awayPeriodSet and awayPeriodRemoved for the user's open chat requests only", async () => {
      /** A chat request as the API would write it, in a program and chat of its own, without an enrolment: the row is all coverage reads. */
      const chatRequest = async (ownerId: string, status: 'open' | 'closed') => {
        const [programId, chatId, id] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
        await platform.query(`insert into program (id, organization_id, name, created_at) values ($1, $2, $3, now())`, [
          programId,
          org.id,
          `Program ${programId}`,
        ]);
        await platform.query(
          `insert into conversation (id, organization_id, subject, status, created_by_id, created_at, kind, program_id, chat_member_id, chat_care_manager_id)
           values ($1, $2, 'Chat', 'open', $3, now(), 'chat', $4, $5, $3)`,
          [chatId, org.id, ownerId, programId, member.id],
        );
        await platform.query(
          `insert into chat_request (id, organization_id, program_id, member_id, reason_label, comment, status, owner_id, assignee_id, chat_id, due_at, created_at)
           values ($1, $2, $3, $4, 'Medication', 'A question about my dose', $5, $6, $6, $7, now() + interval '1 hour', now())`,
          [id, org.id, programId, member.id, status, ownerId, chatId],
        );
        return id;
      };
      const [open, closed, othersOpen] = [
        await chatRequest(thirdStaff.id, 'open'),
        await chatRequest(thirdStaff.id, 'closed'),
        await chatRequest(secondStaff.id, 'open'),
      ];
      const commandsFor = (chatRequestId: string) =>
        platform.query<{ command: { kind: string; workflowId: string; signal: string; args: unknown[] } }>(
          `select command from workflow_outbox where workflow_id = $1 order by id`,
          [`chat-request-${chatRequestId}`],
        );

      // The worker's relay would send (and delete) the entries at once: they are looked at with it stopped.
      await platform.worker.stop();
      try {
        const body = period(thirdStaff.id, staff.id);
        const created = await create(thirdStaff.api, body);
        expect(created.status).toBe(201);
        const notice = { id: created.body.id, userId: thirdStaff.id, coveredById: staff.id, startsAt: Date.parse(body.from), endsAt: Date.parse(body.until) };
        expect((await commandsFor(open)).map((row) => row.command)).toEqual([
          { kind: 'signal', workflowId: `chat-request-${open}`, signal: 'awayPeriodSet', args: [notice] },
        ]);

        expect((await thirdStaff.api.delete(`/v1/coverage/${created.body.id}`)).status).toBe(204);
        const commands = await platform.query<{ signal: string; args: unknown[] }>(
          `select command->>'signal' as signal, command->'args' as args from workflow_outbox where workflow_id = $1 order by id`,
          [`chat-request-${open}`],
        );
        expect(commands).toEqual([
          { signal: 'awayPeriodSet', args: [notice] },
          { signal: 'awayPeriodRemoved', args: [{ id: created.body.id }] },
        ]);
        expect(await commandsFor(closed)).toEqual([]);
        expect(await commandsFor(othersOpen)).toEqual([]);
      } finally {
        await platform.startWorker();
      }
    });
  });
});
