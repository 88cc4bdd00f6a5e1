import type { IncomingMessage } from 'node:http';

/**
 * A campaign's POST may name up to 100,000 user ids (about 4 MB of JSON), far past the API's usual body
 * limit; only that request gets this one.
 */
export const CAMPAIGN_BODY_LIMIT = '5mb';

export function isCampaignCreateRequest(request: IncomingMessage): boolean {
  return (
    request.method === 'POST' &&
    (request.url ?? '').split('?')[0].replace(/\/+$/, '') === '/v1/campaigns' &&
    /^application\/(?:[\w.+-]+\+)?json\b/i.test(request.headers['content-type'] ?? '')
  );
}
