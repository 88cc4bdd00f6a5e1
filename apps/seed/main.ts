/**
 * npm run seed — a demo organisation in a running platform (`npm start`), so the portal has someone to log in as:
 * an admin, two care managers, three members in a program, chat-request reasons, a client account and a
 * welcome message. Through the public API, as any client would; run it once (a second run finds the admin's email
 * taken and only prints the logins).
 *
 *   TIDINGS_API_URL (default http://localhost:3000), TIDINGS_BOOTSTRAP_TOKEN (default: the development token)
 */
const API = (process.env.TIDINGS_API_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const BOOTSTRAP = process.env.TIDINGS_BOOTSTRAP_TOKEN ?? 'dev-bootstrap-token-change-me';
const PASSWORD = process.env.TIDINGS_SEED_PASSWORD ?? 'harbor-demo-password';
const DOMAIN = 'harbor.example';

async function call<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function must<T = any>(method: string, path: string, body: unknown, token?: string): Promise<T> {
  const answer = await call<T>(method, path, body, token);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function printLogins(): void {
  console.log(`\nOpen ${API}/ and log in with any of these (password "${PASSWORD}"):`);
  console.log(`  admin@${DOMAIN}   admin (settings, directory, campaigns)`);
  console.log(`  sam@${DOMAIN}     care manager (inbox, tasks)`);
  console.log(`  dana@${DOMAIN}    care manager`);
  console.log(`  nia@${DOMAIN}     member (message center, chats, conversations)`);
}

async function main() {
  const created = await call(
    'POST',
    '/v1/organizations',
    { name: 'Harbor Health', admin: { email: `admin@${DOMAIN}`, name: 'Ada Admin', password: PASSWORD } },
    BOOTSTRAP,
  );
  if (created.status === 409) {
    console.log('Harbor Health is already seeded.');
    return printLogins();
  }
  if (created.status !== 201) throw new Error(`could not create the organisation: ${created.status} ${JSON.stringify(created.body)}`);
  const { accessToken: admin } = await must('POST', '/v1/auth/login', { email: `admin@${DOMAIN}`, password: PASSWORD });
  const user = (name: string, role: string, email: string) => must('POST', '/v1/users', { name, role, email: `${email}@${DOMAIN}`, password: PASSWORD }, admin);
  const sam = await user('Sam Park', 'staff', 'sam');
  const dana = await user('Dana Lee', 'staff', 'dana');
  const members = [await user('Nia Jones', 'member', 'nia'), await user('Max Roy', 'member', 'max'), await user('Ola Berg', 'member', 'ola')];
  for (const label of ['Medication question', 'Appointment', 'Test results']) await must('POST', '/v1/chat-request-reasons', { label }, admin);
  const program = await must('POST', '/v1/programs', { name: 'Diabetes care' }, admin);
  for (const member of members) await must('POST', `/v1/programs/${program.id}/enrollments`, { memberId: member.id, careManagerId: sam.id }, admin);
  const account = await must('POST', '/v1/client-accounts', { name: 'Acme Logistics' }, admin);
  for (const person of [sam, dana, members[0], members[1]]) await must('POST', `/v1/client-accounts/${account.id}/access`, { userId: person.id }, admin);
  await must('POST', '/v1/canned-responses', { title: 'Office hours', body: '<p>We are open 8 to 5, Monday to Friday.</p>' }, admin);
  for (const member of members) {
    await must(
      'POST',
      '/v1/messages',
      {
        recipientId: member.id,
        title: 'Welcome to Harbor Health',
        body: 'Your care team is here for you. Reply in Conversations any time.',
        channels: ['message_center'],
      },
      admin,
    );
  }
  console.log('Seeded Harbor Health.');
  printLogins();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
