import { loadConfig } from '../../libs/config/app-config.js';
import { ReplyAddresses } from '../../libs/conversations/reply-address.js';

const conversationId = '3f0c5a2e-8d7b-4c1a-9e6f-0123456789ab';
const alice = '11111111-2222-4333-8444-555555555555';
const bob = '66666666-7777-4888-9999-aaaaaaaaaaaa';

describe('signed reply-to addresses', () => {
  const addresses = new ReplyAddresses(
    loadConfig({ NODE_ENV: 'test', EMAIL_REPLY_DOMAIN: 'reply.example.org', EMAIL_REPLY_SECRET: 'a reply secret of some length' }),
  );

  test('an address fits in an email local part and names its conversation', () => {
    const address = addresses.addressFor(conversationId, alice);
    const [local, domain] = address.split('@');
    expect(local.length).toBeLessThanOrEqual(64);
    expect(domain).toBe('reply.example.org');
    expect(addresses.find([address])).toMatchObject({ conversationId });
  });

  test('only the recipient it was made for verifies, whatever case mail systems fold it to', () => {
    const found = addresses.find([`"Alice" <x@y.test>`, addresses.addressFor(conversationId, alice).toUpperCase()])!;
    expect(addresses.verify(found.token, conversationId, alice)).toBe(true);
    expect(addresses.verify(found.token, conversationId, bob)).toBe(false);
    expect(addresses.addressFor(conversationId, alice)).not.toBe(addresses.addressFor(conversationId, bob));
  });

  test('a tampered token, another domain or another secret does not verify', () => {
    const address = addresses.addressFor(conversationId, alice);
    const token = addresses.find([address])!.token;
    const tampered = token.slice(0, -3) + (token.endsWith('a') ? 'b' : 'a') + token.slice(-2);
    expect(addresses.verify(tampered, conversationId, alice)).toBe(false);
    expect(addresses.find([address.replace('reply.example.org', 'reply.evil.test')])).toBeNull();
    const otherSecret = new ReplyAddresses(
      loadConfig({ NODE_ENV: 'test', EMAIL_REPLY_DOMAIN: 'reply.example.org', EMAIL_REPLY_SECRET: 'another secret of some length' }),
    );
    expect(otherSecret.verify(token, conversationId, alice)).toBe(false);
    expect(addresses.find(['reply+short@reply.example.org', 'someone@reply.example.org'])).toBeNull();
    // The last character carries spare bits: a different one that decodes to the same bytes is still refused.
    const last = 'abcdefghijklmnopqrstuvwxyz234567'.indexOf(token.at(-1)!);
    const twin = token.slice(0, -1) + 'abcdefghijklmnopqrstuvwxyz234567'[last ^ 1];
    expect(addresses.verify(twin, conversationId, alice)).toBe(false);
  });
});
