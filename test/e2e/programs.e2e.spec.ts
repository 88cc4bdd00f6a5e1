import { MikroORM } from '@mikro-orm/postgresql';
import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../libs/audit/audit.service.js';
import { ChatRequestReasonsService } from '../../libs/chat-request-reasons/chat-request-reasons.service.js';
import { ormConfig } from '../../libs/database/orm-config.js';
import { Api, createOrganization, fieldsOf, TestOrganization, UNKNOWN_ID } from '../support/api.js';
import { Platform } from '../support/platform.js';

type TestUser = { id: string; email: string; api: Api };

/** Programs, members' enrolments with their care managers, and the organisation's chat-request reasons, end to end. */
describe('programs and chat-request reasons (end to end)', () => {
  let platform: Platform;
  let org: TestOrganization;
  let other: TestOrganization;
  let staff: TestUser;
  let secondStaff: TestUser;
  let member: TestUser;
  let secondMember: TestUser;
  let otherStaff: TestUser;
  let otherMember: TestUser;

  beforeAll(async () => {
    platform = await new Platform().start();
    [org, other] = await Promise.all([createOrganization(platform.baseUrl), createOrganization(platform.baseUrl)]);
    staff = await org.addUser('staff', { name: 'Sam Staff' });
    secondStaff = await org.addUser('staff', { name: 'Tess Staff' });
    member = await org.addUser('member', { name: 'Mia Member' });
    secondMember = await org.addUser('member', { name: 'Noah Member' });
    otherStaff = await other.addUser('staff', { name: 'Otto Elsewhere' });
    otherMember = await other.addUser('member', { name: 'Olga Elsewhere' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const audit = (subjectId: string) =>
    platform.query<{ action: string; actor_id: string; details: Record<string, unknown> | null }>(
      "select action, actor_id, details from audit_event where subject_id = $1 and action not like 'auth.%' order by created_at",
      [subjectId],
    );

  let programSequence = 0;
  const newProgram = async (name = `Program ${++programSequence} ${randomUUID().slice(0, 8)}`) => {
    const created = await org.admin.post('/v1/programs', { name });
    expect(created.status).toBe(201);
    return created.body as { id: string; name: string };
  };
  const enroll = async (programId: string, memberId: string, careManagerId: string) => {
    const enrolled = await org.admin.post(`/v1/programs/${programId}/enrollments`, { memberId, careManagerId });
    expect(enrolled.status).toBe(201);
    return enrolled.body as { id: string };
  };

  /**
   * A chat request as the chat-request API will make it: its chat (a conversation of kind `chat`) and the
   * task mirror row, written with SQL because requests are not made through this module.
   */
  async function insertChatRequest(options: { programId: string; memberId: string; careManagerId: string; reasonId?: string; status?: string }) {
    const chatId = randomUUID();
    await platform.query(
      `insert into conversation (id, organization_id, subject, status, created_by_id, created_at, kind, program_id, chat_member_id, chat_care_manager_id)
       values ($1, $2, 'Chat', 'open', $3, now(), 'chat', $4, $3, $5)
       on conflict do nothing`,
      [chatId, org.id, options.memberId, options.programId, options.careManagerId],
    );
    const [chat] = await platform.query<{ id: string }>(
      `select id from conversation where kind = 'chat' and program_id = $1 and chat_member_id = $2 and chat_care_manager_id = $3`,
      [options.programId, options.memberId, options.careManagerId],
    );
    const id = randomUUID();
    await platform.query(
      `insert into chat_request (id, organization_id, program_id, member_id, reason_id, reason_label, comment, status, owner_id, assignee_id, chat_id, due_at, created_at)
       values ($1, $2, $3, $4, $5, 'A question', '', $6, $7, $7, $8, now() + interval '1 hour', now())`,
      [id, org.id, options.programId, options.memberId, options.reasonId ?? null, options.status ?? 'open', options.careManagerId, chat.id],
    );
    return id;
  }

  describe('programs', () => {
    test('an admin creates, lists and edits programs; staff see them too, in name order', async () => {
      const created = await org.admin.post('/v1/programs', { name: '  Zeta Wellness  ', description: 'Heart health for everyone' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), name: 'Zeta Wellness', description: 'Heart health for everyone', createdAt: expect.any(String) });
      const plain = await org.admin.post('/v1/programs', { name: 'Alpha Diabetes Care' });
      expect(plain.status).toBe(201);
      expect(plain.body.description).toBeNull();

      const listed = await staff.api.get('/v1/programs');
      expect(listed.status).toBe(200);
      const names = listed.body.items.map((p: { name: string }) => p.name);
      expect(names.indexOf('Alpha Diabetes Care')).toBeLessThan(names.indexOf('Zeta Wellness'));
      expect(listed.body.items).toContainEqual(created.body);

      const renamed = await org.admin.patch(`/v1/programs/${created.body.id}`, { name: 'Zeta Heart' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toEqual({ ...created.body, name: 'Zeta Heart' });
      const cleared = await org.admin.patch(`/v1/programs/${created.body.id}`, { description: null });
      expect(cleared.body).toEqual({ ...created.body, name: 'Zeta Heart', description: null });
      expect((await org.admin.get('/v1/programs')).body.items).toContainEqual(cleared.body);
      expect((await audit(created.body.id)).map((e) => e.action)).toEqual(['program.created', 'program.updated', 'program.updated']);
    });

    test('a program name is unique in its organisation whatever its case, on create and on rename', async () => {
      expect((await org.admin.post('/v1/programs', { name: 'Weight Watch' })).status).toBe(201);
      const duplicate = await org.admin.post('/v1/programs', { name: 'weight WATCH ' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.details).toEqual([{ field: 'name', message: 'is already used by another program' }]);
      const { body: second } = await org.admin.post('/v1/programs', { name: 'Weight Loss' });
      const rename = await org.admin.patch(`/v1/programs/${second.id}`, { name: 'WEIGHT WATCH' });
      expect(rename.status).toBe(409);
      expect(fieldsOf(rename)).toEqual(['name']);
      expect((await other.admin.post('/v1/programs', { name: 'Weight Watch' })).status).toBe(201);
    });

    test('only admins create or edit programs, members do not even see them, and another organisation sees none', async () => {
      const program = await newProgram();
      expect((await member.api.post('/v1/programs', { name: 'Mine' })).status).toBe(403);
      expect((await staff.api.post('/v1/programs', { name: 'Staff program' })).status).toBe(403);
      expect((await staff.api.patch(`/v1/programs/${program.id}`, { name: 'Renamed' })).status).toBe(403);
      expect((await member.api.get('/v1/programs')).status).toBe(403);

      expect((await other.admin.get('/v1/programs')).body.items.map((p: { id: string }) => p.id)).not.toContain(program.id);
      expect((await other.admin.patch(`/v1/programs/${program.id}`, { name: 'Stolen' })).status).toBe(404);
      expect((await org.admin.patch(`/v1/programs/${UNKNOWN_ID}`, { name: 'Nothing' })).status).toBe(404);
    });

    test.each([
      ['no name', {}, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 'name'],
      ['a description over 2000 characters', { name: 'Long description', description: 'x'.repeat(2001) }, 'description'],
      ['an unknown field', { name: 'X', colour: 'red' }, 'colour'],
    ])('%s is a 400 naming the field', async (_, body, field) => {
      const response = await org.admin.post('/v1/programs', body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });
  });

  describe('enrolments', () => {
    test('staff enrol members with a care manager, and the program lists them with names', async () => {
      const program = await newProgram();
      const enrolled = await staff.api.post(`/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId: staff.id });
      expect(enrolled.status).toBe(201);
      expect(enrolled.body).toEqual({ id: expect.any(String), programId: program.id, memberId: member.id, careManagerId: staff.id });
      await enroll(program.id, secondMember.id, org.adminId);

      const listed = await staff.api.get(`/v1/programs/${program.id}/enrollments`);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([
        {
          id: enrolled.body.id,
          programId: program.id,
          member: { id: member.id, name: 'Mia Member' },
          careManager: { id: staff.id, name: 'Sam Staff' },
          createdAt: expect.any(String),
        },
        {
          id: expect.any(String),
          programId: program.id,
          member: { id: secondMember.id, name: 'Noah Member' },
          careManager: { id: org.adminId, name: 'Ada Admin' },
          createdAt: expect.any(String),
        },
      ]);
      expect(await audit(enrolled.body.id)).toEqual([
        { action: 'enrollment.created', actor_id: staff.id, details: { programId: program.id, memberId: member.id, careManagerId: staff.id } },
      ]);
    });

    test('a care manager is a staff or admin user of the organisation, and only members are enrolled', async () => {
      const program = await newProgram();
      for (const careManagerId of [member.id, otherStaff.id, UNKNOWN_ID]) {
        const refused = await org.admin.post(`/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'careManagerId', message: 'is not a staff or admin user of your organization' }]);
      }
      for (const memberId of [staff.id, org.adminId, otherMember.id, UNKNOWN_ID]) {
        const refused = await org.admin.post(`/v1/programs/${program.id}/enrollments`, { memberId, careManagerId: staff.id });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'memberId', message: 'is not a member of your organization' }]);
      }
      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items).toEqual([]);
    });

    test('a deactivated member or care manager is a 422 naming the field, when enrolling and when changing the care manager', async () => {
      const program = await newProgram();
      const [goneMember, goneStaff] = [await org.addUser('member'), await org.addUser('staff')];
      for (const user of [goneMember, goneStaff]) expect((await org.admin.patch(`/v1/users/${user.id}`, { status: 'deactivated' })).status).toBe(200);

      const noMember = await staff.api.post(`/v1/programs/${program.id}/enrollments`, { memberId: goneMember.id, careManagerId: staff.id });
      expect(noMember.status).toBe(422);
      expect(noMember.body.details).toEqual([{ field: 'memberId', message: 'is a deactivated user' }]);
      const noCareManager = await staff.api.post(`/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId: goneStaff.id });
      expect(noCareManager.status).toBe(422);
      expect(noCareManager.body.details).toEqual([{ field: 'careManagerId', message: 'is a deactivated user' }]);
      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items).toEqual([]);

      const enrollment = await enroll(program.id, member.id, staff.id);
      const moved = await staff.api.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: goneStaff.id });
      expect(moved.status).toBe(422);
      expect(fieldsOf(moved)).toEqual(['careManagerId']);
    });

    test('a member is enrolled in a program once', async () => {
      const program = await newProgram();
      await enroll(program.id, member.id, staff.id);
      const again = await org.admin.post(`/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId: secondStaff.id });
      expect(again.status).toBe(409);
      expect(again.body.details).toEqual([{ field: 'memberId', message: 'is already enrolled in this program' }]);
      const listed = (await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items;
      expect(listed.map((e: { careManager: { id: string } }) => e.careManager.id)).toEqual([staff.id]);
    });

    test("another organisation's program is not found, and members may not enrol anyone", async () => {
      const program = await newProgram();
      const enrollment = await enroll(program.id, member.id, staff.id);
      expect((await other.admin.post(`/v1/programs/${program.id}/enrollments`, { memberId: otherMember.id, careManagerId: otherStaff.id })).status).toBe(404);
      expect((await other.admin.get(`/v1/programs/${program.id}/enrollments`)).status).toBe(404);
      expect((await otherStaff.api.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: otherStaff.id })).status).toBe(404);
      expect((await otherStaff.api.delete(`/v1/enrollments/${enrollment.id}`)).status).toBe(404);
      expect((await org.admin.post(`/v1/programs/${UNKNOWN_ID}/enrollments`, { memberId: member.id, careManagerId: staff.id })).status).toBe(404);
      expect((await org.admin.patch(`/v1/enrollments/${UNKNOWN_ID}`, { careManagerId: staff.id })).status).toBe(404);

      expect((await member.api.post(`/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId: staff.id })).status).toBe(403);
      expect((await member.api.get(`/v1/programs/${program.id}/enrollments`)).status).toBe(403);
      expect((await member.api.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: secondStaff.id })).status).toBe(403);
      expect((await member.api.delete(`/v1/enrollments/${enrollment.id}`)).status).toBe(403);
    });

    test.each([
      ['no memberId', { careManagerId: UNKNOWN_ID }, 'memberId'],
      ['a memberId that is not a UUID', { memberId: 'mia', careManagerId: UNKNOWN_ID }, 'memberId'],
      ['a careManagerId that is not a UUID', { memberId: UNKNOWN_ID, careManagerId: 42 }, 'careManagerId'],
    ])('%s is a 400 naming the field', async (_, body, field) => {
      const program = await newProgram();
      const response = await org.admin.post(`/v1/programs/${program.id}/enrollments`, body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });

    test('a member sees their own programs with their care managers; staff may not ask', async () => {
      const fresh = await org.addUser('member', { name: 'Finn Fresh' });
      const later = await newProgram(`Zz Later ${randomUUID().slice(0, 8)}`);
      const earlier = await newProgram(`Aa Earlier ${randomUUID().slice(0, 8)}`);
      await newProgram(); // not enrolled
      await enroll(later.id, fresh.id, staff.id);
      await enroll(earlier.id, fresh.id, org.adminId);

      const mine = await fresh.api.get('/v1/me/programs');
      expect(mine.status).toBe(200);
      expect(mine.body).toEqual([
        { id: earlier.id, name: earlier.name, careManager: { id: org.adminId, name: 'Ada Admin' } },
        { id: later.id, name: later.name, careManager: { id: staff.id, name: 'Sam Staff' } },
      ]);
      expect((await otherMember.api.get('/v1/me/programs')).body).toEqual([]);
      expect((await staff.api.get('/v1/me/programs')).status).toBe(403);
      expect((await org.admin.get('/v1/me/programs')).status).toBe(403);
    });

    test('changing the care manager tells each open chat request of the enrolment, through the outbox, in the same change', async () => {
      const program = await newProgram();
      const enrollment = await enroll(program.id, member.id, staff.id);
      const openRequest = await insertChatRequest({ programId: program.id, memberId: member.id, careManagerId: staff.id });
      const closedRequest = await insertChatRequest({ programId: program.id, memberId: member.id, careManagerId: staff.id, status: 'closed' });
      const [away] = await platform.query<{ id: string; starts_at: Date; ends_at: Date }>(
        `insert into away_period (id, organization_id, user_id, covered_by_id, starts_at, ends_at, created_by_id, created_at)
         values ($1, $2, $3, $4, now() - interval '1 hour', now() + interval '1 day', $5, now()) returning id, starts_at, ends_at`,
        [randomUUID(), org.id, secondStaff.id, staff.id, org.adminId],
      );

      // Without the worker (and its outbox relay), what the change wrote for Temporal stays in the outbox to be read.
      await platform.worker.stop();
      try {
        const changed = await staff.api.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId: secondStaff.id });
        expect(changed.status).toBe(200);
        expect(changed.body).toEqual({
          id: enrollment.id,
          programId: program.id,
          member: { id: member.id, name: 'Mia Member' },
          careManager: { id: secondStaff.id, name: 'Tess Staff' },
          createdAt: expect.any(String),
        });

        const outbox = await platform.query<{ workflow_id: string; command: Record<string, unknown> }>(
          `select workflow_id, command from workflow_outbox where command->>'signal' = 'careManagerChanged' and workflow_id in ($1, $2) order by id`,
          [`chat-request-${openRequest}`, `chat-request-${closedRequest}`],
        );
        expect(outbox).toEqual([
          {
            workflow_id: `chat-request-${openRequest}`,
            command: {
              kind: 'signal',
              workflowId: `chat-request-${openRequest}`,
              signal: 'careManagerChanged',
              args: [
                {
                  ownerId: secondStaff.id,
                  awayPeriods: [
                    {
                      id: away.id,
                      userId: secondStaff.id,
                      coveredById: staff.id,
                      startsAt: new Date(away.starts_at).getTime(),
                      endsAt: new Date(away.ends_at).getTime(),
                    },
                  ],
                  byUserId: staff.id,
                },
              ],
            },
          },
        ]);
      } finally {
        await platform.query(`delete from workflow_outbox where workflow_id in ($1, $2)`, [`chat-request-${openRequest}`, `chat-request-${closedRequest}`]);
        await platform.startWorker();
      }

      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items[0].careManager).toEqual({ id: secondStaff.id, name: 'Tess Staff' });
      expect((await member.api.get('/v1/me/programs')).body).toContainEqual({
        id: program.id,
        name: program.name,
        careManager: { id: secondStaff.id, name: 'Tess Staff' },
      });
      expect(await audit(enrollment.id)).toEqual([
        expect.objectContaining({ action: 'enrollment.created' }),
        {
          action: 'enrollment.care_manager_changed',
          actor_id: staff.id,
          details: { previousCareManagerId: staff.id, careManagerId: secondStaff.id, openChatRequestIds: [openRequest] },
        },
      ]);
    });

    test('a new care manager is checked like the first one', async () => {
      const program = await newProgram();
      const enrollment = await enroll(program.id, member.id, staff.id);
      for (const careManagerId of [member.id, otherStaff.id, UNKNOWN_ID]) {
        const refused = await org.admin.patch(`/v1/enrollments/${enrollment.id}`, { careManagerId });
        expect(refused.status).toBe(422);
        expect(refused.body.details).toEqual([{ field: 'careManagerId', message: 'is not a staff or admin user of your organization' }]);
      }
      expect(fieldsOf(await org.admin.patch(`/v1/enrollments/${enrollment.id}`, {}))).toEqual(['careManagerId']);
      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items[0].careManager.id).toBe(staff.id);
    });

    test('an enrolment is removed with 204, but not while it has open chat requests', async () => {
      const program = await newProgram();
      const enrollment = await enroll(program.id, member.id, staff.id);
      const request = await insertChatRequest({ programId: program.id, memberId: member.id, careManagerId: staff.id });

      const refused = await staff.api.delete(`/v1/enrollments/${enrollment.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain('close or cancel its open chat requests first');
      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items.map((e: { id: string }) => e.id)).toEqual([enrollment.id]);

      await platform.query(`update chat_request set status = 'closed', ended_at = now() where id = $1`, [request]);
      const removed = await staff.api.delete(`/v1/enrollments/${enrollment.id}`);
      expect(removed.status).toBe(204);
      expect(removed.body).toBeUndefined();
      expect((await org.admin.get(`/v1/programs/${program.id}/enrollments`)).body.items).toEqual([]);
      expect((await member.api.get('/v1/me/programs')).body.map((p: { id: string }) => p.id)).not.toContain(program.id);
      expect((await staff.api.delete(`/v1/enrollments/${enrollment.id}`)).status).toBe(404);
      expect((await audit(enrollment.id)).map((e) => e.action)).toEqual(['enrollment.created', 'enrollment.deleted']);
    });
  });

  describe('chat-request reasons', () => {
    test('an admin adds reasons; everyone logged in lists them in the order they were added, or only the active ones', async () => {
      const fresh = await createOrganization(platform.baseUrl);
      const freshMember = await fresh.addUser('member');
      const first = await fresh.admin.post('/v1/chat-request-reasons', { label: '  Question about my medication ' });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ id: expect.any(String), label: 'Question about my medication', active: true });
      const retired = (await fresh.admin.post('/v1/chat-request-reasons', { label: 'Old reason', active: false })).body;
      expect(retired.active).toBe(false);
      const third = (await fresh.admin.post('/v1/chat-request-reasons', { label: 'Appointment' })).body;

      const all = await freshMember.api.get('/v1/chat-request-reasons');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ items: [first.body, retired, third] });
      expect((await freshMember.api.get('/v1/chat-request-reasons?active=true')).body).toEqual({ items: [first.body, third] });
      expect((await fresh.admin.get('/v1/chat-request-reasons?active=false')).body).toEqual({ items: [retired] });
      expect(fieldsOf(await fresh.admin.get('/v1/chat-request-reasons?active=yes'))).toEqual(['active']);
      expect((await org.admin.get('/v1/chat-request-reasons')).body.items.map((r: { id: string }) => r.id)).not.toContain(first.body.id);
    });

    test('an admin relabels, retires and deletes a reason no request used', async () => {
      const { body: reason } = await org.admin.post('/v1/chat-request-reasons', { label: 'Billing' });
      const relabelled = await org.admin.patch(`/v1/chat-request-reasons/${reason.id}`, { label: 'Billing question' });
      expect(relabelled.status).toBe(200);
      expect(relabelled.body).toEqual({ id: reason.id, label: 'Billing question', active: true });
      expect((await org.admin.patch(`/v1/chat-request-reasons/${reason.id}`, { active: false })).body).toEqual({
        id: reason.id,
        label: 'Billing question',
        active: false,
      });
      expect((await staff.api.get('/v1/chat-request-reasons?active=true')).body.items.map((r: { id: string }) => r.id)).not.toContain(reason.id);

      const deleted = await org.admin.delete(`/v1/chat-request-reasons/${reason.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();
      expect((await staff.api.get('/v1/chat-request-reasons')).body.items.map((r: { id: string }) => r.id)).not.toContain(reason.id);
      expect((await org.admin.delete(`/v1/chat-request-reasons/${reason.id}`)).status).toBe(404);
      expect((await audit(reason.id)).map((e) => e.action)).toEqual([
        'chat_request_reason.created',
        'chat_request_reason.updated',
        'chat_request_reason.updated',
        'chat_request_reason.deleted',
      ]);
    });

    test('deleting a reason a request was made with deactivates it instead, and the request keeps its label', async () => {
      const { body: reason } = await org.admin.post('/v1/chat-request-reasons', { label: 'Side effects' });
      const program = await newProgram();
      await enroll(program.id, secondMember.id, staff.id);
      const request = await insertChatRequest({
        programId: program.id,
        memberId: secondMember.id,
        careManagerId: staff.id,
        reasonId: reason.id,
        status: 'closed',
      });

      const kept = await org.admin.delete(`/v1/chat-request-reasons/${reason.id}`);
      expect(kept.status).toBe(200);
      expect(kept.body).toEqual({ id: reason.id, label: 'Side effects', active: false });
      expect((await member.api.get('/v1/chat-request-reasons')).body.items).toContainEqual(kept.body);
      expect((await member.api.get('/v1/chat-request-reasons?active=true')).body.items.map((r: { id: string }) => r.id)).not.toContain(reason.id);
      expect(await platform.query('select reason_id, reason_label from chat_request where id = $1', [request])).toEqual([
        { reason_id: reason.id, reason_label: 'A question' },
      ]);
      expect((await org.admin.delete(`/v1/chat-request-reasons/${reason.id}`)).status).toBe(200);
    });

    test('only admins keep the list, within their organisation', async () => {
      const { body: reason } = await org.admin.post('/v1/chat-request-reasons', { label: 'Nutrition' });
      for (const api of [staff.api, member.api]) {
        expect((await api.post('/v1/chat-request-reasons', { label: 'Mine' })).status).toBe(403);
        expect((await api.patch(`/v1/chat-request-reasons/${reason.id}`, { label: 'Mine' })).status).toBe(403);
        expect((await api.delete(`/v1/chat-request-reasons/${reason.id}`)).status).toBe(403);
      }
      expect((await other.admin.patch(`/v1/chat-request-reasons/${reason.id}`, { active: false })).status).toBe(404);
      expect((await other.admin.delete(`/v1/chat-request-reasons/${reason.id}`)).status).toBe(404);
      expect((await new Api(platform.baseUrl).get('/v1/chat-request-reasons')).status).toBe(401);
      expect((await member.api.get('/v1/chat-request-reasons')).body.items).toContainEqual({ id: reason.id, label: 'Nutrition', active: true });
    });

    test('a chosen reason must be an active reason of the organisation', async () => {
      const { body: active } = await org.admin.post('/v1/chat-request-reasons', { label: 'Sleep' });
      const { body: retired } = await org.admin.post('/v1/chat-request-reasons', { label: 'Retired', active: false });
      const { body: foreign } = await other.admin.post('/v1/chat-request-reasons', { label: 'Elsewhere' });
      const orm = await MikroORM.init(ormConfig(platform.databaseUrl, { poolMax: 2 }));
      try {
        const em = orm.em.fork();
        const reasons = new ChatRequestReasonsService(em, new AuditService(em));
        expect(await reasons.chosenReason(org.id, active.id)).toEqual({ id: active.id, label: 'Sleep' });
        const refusal = async (promise: Promise<unknown>) => {
          const error = await promise.then(
            () => null,
            (e: HttpException) => e,
          );
          return { status: error?.getStatus(), details: (error?.getResponse() as { details?: unknown } | undefined)?.details };
        };
        expect(await refusal(reasons.chosenReason(org.id, foreign.id))).toEqual({
          status: 422,
          details: [{ field: 'reasonId', message: 'is not a reason of your organization' }],
        });
        expect(await refusal(reasons.chosenReason(org.id, UNKNOWN_ID, 'reason'))).toEqual({
          status: 422,
          details: [{ field: 'reason', message: 'is not a reason of your organization' }],
        });
        expect(await refusal(reasons.chosenReason(org.id, retired.id))).toEqual({
          status: 422,
          details: [{ field: 'reasonId', message: 'is no longer offered; choose an active reason' }],
        });
      } finally {
        await orm.close(true);
      }
    });

    test.each([
      ['no label', {}, 'label'],
      ['a blank label', { label: '  ' }, 'label'],
      ['a label over 200 characters', { label: 'x'.repeat(201) }, 'label'],
      ['an active that is not a boolean', { label: 'Ok', active: 'yes' }, 'active'],
    ])('%s is a 400 naming the field', async (_, body, field) => {
      const response = await org.admin.post('/v1/chat-request-reasons', body);
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });
  });
});
