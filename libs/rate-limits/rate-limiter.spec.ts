import { TestDatabase } from '../../test/support/test-database.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter (PostgreSQL)', () => {
  let db: TestDatabase;
  let limiter: RateLimiter;
  let otherInstance: RateLimiter;

  beforeAll(async () => {
    db = await TestDatabase.create();
    limiter = new RateLimiter(db.em);
    otherInstance = new RateLimiter(db.em.fork());
  });

  afterAll(async () => {
    await db?.drop();
  });

  const hour = { limit: 10, windowSeconds: 3600 };

  test('parallel hits on two instances each take a place of their own: exactly the limit is allowed', async () => {
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? limiter : otherInstance).hit('parallel', hour)));

    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.map((d) => d.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test('a refusal says how long until the window starts over', async () => {
    const decision = await limiter.hit('window', { limit: 0, windowSeconds: 60 });

    expect(decision.allowed).toBe(false);
    expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(decision.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  test('keys count apart; giving back a hit frees a place; a reset forgets them all', async () => {
    for (let i = 0; i < 10; i++) await limiter.hit('a', hour);
    expect((await limiter.hit('a', hour)).allowed).toBe(false);
    expect((await limiter.hit('b', hour)).allowed).toBe(true);

    await limiter.giveBack('a');
    await limiter.giveBack('a');
    expect((await limiter.hit('a', hour)).allowed).toBe(true);

    await limiter.reset('a');
    expect((await limiter.hit('a', hour)).hits).toBe(1);
  });

  test('take() refuses with a 429 naming the field, with the seconds to wait', async () => {
    await expect(limiter.take('take', { limit: 0, windowSeconds: 60 }, 'message', 'too many messages')).rejects.toMatchObject({
      status: 429,
      response: { details: [{ field: 'message', message: expect.stringMatching(/^too many messages; try again in \d+ s$/) }] },
    });
  });
});
