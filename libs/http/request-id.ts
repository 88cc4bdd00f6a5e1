import { randomUUID } from 'node:crypto';

/** What a proxy or client may give as the request id: short and plain, so it is safe in a log line. */
const GIVEN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request gets an id: the caller's `X-Request-Id` when it is plain enough, else a new UUID. It is echoed in
 * the response header, carried by a server error's body and its log line, so a user's report finds the log line.
 */
export function requestIdMiddleware() {
  return (
    request: { headers: Record<string, string | string[] | undefined>; id?: string },
    response: { setHeader(name: string, value: string): void },
    next: () => void,
  ): void => {
    const given = request.headers['x-request-id'];
    request.id = typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID();
    response.setHeader('X-Request-Id', request.id);
    next();
  };
}
