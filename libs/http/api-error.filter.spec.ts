import { ArgumentsHost, HttpException, Logger } from '@nestjs/common';
import { ApiErrorFilter } from './api-error.filter.js';
import { tooManyRequests } from '../rate-limits/rate-limiter.js';

/** What a request's answer and the server's log got from the filter. */
function handle(exception: unknown, requestId = 'req-42') {
  const logged: string[] = [];
  const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(String(message)));
  const answer = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const response = {
    status: (code: number) => ((answer.status = code), { json: (body: unknown) => void (answer.body = body) }),
    setHeader: (name: string, value: string) => void (answer.headers[name] = value),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ id: requestId }) }) } as unknown as ArgumentsHost;
  try {
    new ApiErrorFilter().catch(exception, host);
  } finally {
    spy.mockRestore();
  }
  return { ...answer, log: logged.join('\n') };
}

/** As MikroORM raises a unique violation: its message holds the SQL with the values, `detail` the row's key. */
function uniqueViolation() {
  const error = new Error(
    `insert into "app_user" ("email", "name") values ('alice@example.org', 'Alice Private') - duplicate key value violates unique constraint "app_user_email_unique"`,
  );
  return Object.assign(error, {
    name: 'UniqueConstraintViolationException',
    code: '23505',
    constraint: 'app_user_email_unique',
    table: 'app_user',
    detail: 'Key (email)=(alice@example.org) already exists.',
  });
}

describe('ApiErrorFilter', () => {
  test('a server error logs the request id, the error class and the database code, constraint and table — never row contents', () => {
    const { status, body, log } = handle(uniqueViolation());

    expect(status).toBe(500);
    expect(log).toMatch(/^request req-42 UniqueConstraintViolationException code 23505 constraint app_user_email_unique table app_user\n\s+at /);
    expect(log).not.toMatch(/alice|Alice Private|insert into|Key \(email\)/);
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'an unexpected error occurred', requestId: 'req-42' });
  });

  test('a client error is not logged and carries no request id', () => {
    const { status, body, log } = handle(new HttpException({ statusCode: 404, message: 'user not found' }, 404));

    expect(status).toBe(404);
    expect(log).toBe('');
    expect(body).not.toHaveProperty('requestId');
  });

  test("a 429 sets Retry-After, and the body keeps the API's shape without the internal field", () => {
    const { status, headers, body } = handle(tooManyRequests('message', 'too many messages posted in a minute', 17));

    expect(status).toBe(429);
    expect(headers['Retry-After']).toBe('17');
    expect(body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'message: too many messages posted in a minute; try again in 17 s',
      details: [{ field: 'message', message: 'too many messages posted in a minute; try again in 17 s' }],
    });
  });
});
