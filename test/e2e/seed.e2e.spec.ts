import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Api } from '../support/api.js';
import { REPO_ROOT } from '../support/paths.js';
import { BOOTSTRAP_TOKEN, Platform } from '../support/platform.js';

const run = promisify(execFile);

/** `npm run seed`: a fresh platform gets a demo organisation whose people can log in, once however often it runs. */
describe('npm run seed', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await new Platform().start();
  }, 120_000);
  afterAll(() => platform?.stop());

  const seed = () =>
    run(process.execPath, [path.join(REPO_ROOT, 'dist/apps/seed/main.js')], {
      env: { ...process.env, TIDINGS_API_URL: platform.baseUrl, TIDINGS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
    });

  test('creates Harbor Health with an admin, care managers, enrolled members and their welcome messages; a second run changes nothing', async () => {
    const first = await seed();
    expect(first.stdout).toContain('Seeded Harbor Health.');
    expect(first.stdout).toContain('admin@harbor.example');

    const login = async (email: string) => {
      const answer = await new Api(platform.baseUrl).post('/v1/auth/login', { email, password: 'harbor-demo-password' });
      expect(answer.status).toBe(200);
      return new Api(platform.baseUrl, answer.body.accessToken);
    };
    const nia = await login('nia@harbor.example');
    expect((await nia.get('/v1/me/programs')).body).toEqual([
      expect.objectContaining({ name: 'Diabetes care', careManager: expect.objectContaining({ name: 'Sam Park' }) }),
    ]);
    const form = (await nia.get('/v1/me/chat-request-form')).body;
    expect(form.reasons.map((r: { label: string }) => r.label)).toEqual(['Medication question', 'Appointment', 'Test results']);
    const admin = await login('admin@harbor.example');
    expect((await admin.get('/v1/users?role=member')).body.items).toHaveLength(3);
    expect((await admin.get('/v1/messages')).body.items).toHaveLength(3);

    const second = await seed();
    expect(second.stdout).toContain('already seeded');
    expect((await admin.get('/v1/users?role=member')).body.items).toHaveLength(3);
  });
});
