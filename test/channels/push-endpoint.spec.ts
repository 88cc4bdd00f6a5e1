import {
  addressKind,
  checkPushEndpoint,
  pinnedLookup,
  PushEndpointRefused,
  type AddressKind,
  type ResolvedAddress,
  type ResolveHost,
} from '../../libs/channels/push-endpoint.js';

/** A DNS that knows only these names. */
function fakeDns(names: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof PushEndpointRefused)) throw new Error(`expected a refusal, got ${String(outcome)}`);
  return outcome.reason;
}

describe('addressKind', () => {
  const cases: Array<[string, AddressKind]> = [
    // IPv4
    ['8.8.8.8', 'public'],
    ['142.250.185.202', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.1', 'public'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['192.167.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.0.0', 'public'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['2607:f8b0:4004:c07::5f', 'public'],
    ['2a00:1450:4001:82b::200a', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'reserved'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
    ['3fff::1', 'documentation'],
    ['::7f00:1', 'reserved'], // IPv4-compatible
    ['100::1', 'reserved'], // discard-only
    // IPv6 forms that carry an IPv4 address are judged by it.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:100.64.0.1', 'carrier-grade NAT'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['0:0:0:0:0:ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:808:808::1', 'public'],
    // Not an address at all.
    ['localhost', 'reserved'],
    ['', 'reserved'],
  ];

  test.each(cases)('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });
});

describe('checkPushEndpoint', () => {
  const dns = fakeDns({
    'fcm.googleapis.com': ['142.250.185.202', '2a00:1450:4001:82b::200a'],
    'updates.push.services.mozilla.com': ['34.117.237.239'],
    'loopback.example': ['127.0.0.1'],
    'six-loopback.example': ['::1'],
    'internal.example': ['10.0.12.7'],
    'private-172.example': ['172.20.0.5'],
    'private-192.example': ['192.168.10.10'],
    'ula.example': ['fd00::5'],
    'metadata.example': ['169.254.169.254'],
    'link-local-6.example': ['fe80::1'],
    'cgnat.example': ['100.64.3.3'],
    'zero.example': ['0.0.0.0'],
    'multicast.example': ['224.0.0.251'],
    'mapped.example': ['::ffff:127.0.0.1'],
    'mapped-metadata.example': ['::ffff:a9fe:a9fe'],
    'mostly-public.example': ['142.250.185.202', '10.0.0.1'],
    'nothing.example': [],
  });
  const production = { allowPrivateHosts: false, lookup: dns };
  const tests = { allowPrivateHosts: true, lookup: dns };

  test('accepts an https URL whose host resolves only to public addresses, and returns every address it checked', async () => {
    const accepted = await checkPushEndpoint('https://fcm.googleapis.com/fcm/send/abc:def', production);
    expect(accepted.url.href).toBe('https://fcm.googleapis.com/fcm/send/abc:def');
    expect(accepted.addresses).toEqual([
      { address: '142.250.185.202', family: 4 },
      { address: '2a00:1450:4001:82b::200a', family: 6 },
    ]);
    expect((await checkPushEndpoint('https://updates.push.services.mozilla.com:443/wpush/v2/gAAA', production)).addresses).toHaveLength(1);
  });

  test.each([
    ['http://fcm.googleapis.com/fcm/send/x', 'must be an https URL'],
    ['ftp://fcm.googleapis.com/x', 'must be an https URL'],
    ['not a url', 'must be a URL'],
    ['https://user:secret@fcm.googleapis.com/x', 'must not carry a user name or password'],
  ])('refuses %s: %s', async (endpoint, reason) => {
    expect(await refusal(checkPushEndpoint(endpoint, production))).toBe(reason);
    expect(await refusal(checkPushEndpoint(endpoint, tests))).toBe(reason);
  });

  test.each([
    ['https://8.8.8.8/push', 'must name a host, not an IP address'],
    ['https://127.0.0.1:8443/push', 'must name a host, not an IP address (this one is a loopback address)'],
    ['https://169.254.169.254/latest/meta-data/', 'must name a host, not an IP address (this one is a link-local address)'],
    ['https://10.0.0.1/push', 'must name a host, not an IP address (this one is a private address)'],
    ['https://[::1]/push', 'must name a host, not an IP address (this one is a loopback address)'],
    ['https://[::ffff:169.254.169.254]/push', 'must name a host, not an IP address (this one is a link-local address)'],
    ['https://[2607:f8b0:4004:c07::5f]/push', 'must name a host, not an IP address'],
    // Other spellings of an IPv4 address are IP literals too: the URL parser reads them as 127.0.0.1.
    ['https://2130706433/push', 'must name a host, not an IP address (this one is a loopback address)'],
    ['https://0x7f.1/push', 'must name a host, not an IP address (this one is a loopback address)'],
    ['https://127.1/push', 'must name a host, not an IP address (this one is a loopback address)'],
    ['https://0251.0376.0251.0376/push', 'must name a host, not an IP address (this one is a link-local address)'],
  ])('refuses the IP literal in %s', async (endpoint, reason) => {
    expect(await refusal(checkPushEndpoint(endpoint, production))).toBe(reason);
  });

  test.each([
    ['loopback.example', 'a loopback'],
    ['six-loopback.example', 'a loopback'],
    ['internal.example', 'a private'],
    ['private-172.example', 'a private'],
    ['private-192.example', 'a private'],
    ['ula.example', 'a private'],
    ['metadata.example', 'a link-local'],
    ['link-local-6.example', 'a link-local'],
    ['cgnat.example', 'a carrier-grade NAT'],
    ['zero.example', 'an unspecified'],
    ['multicast.example', 'a multicast'],
    ['mapped.example', 'a loopback'],
    ['mapped-metadata.example', 'a link-local'],
    ['mostly-public.example', 'a private'],
  ])('refuses %s, which resolves to %s address, naming the kind but not the address', async (host, kind) => {
    const reason = await refusal(checkPushEndpoint(`https://${host}/push/1`, production));
    expect(reason).toBe(`host ${host} resolves to ${kind} address`);
    expect(reason).not.toMatch(/\d+\.\d+\.\d+\.\d+|::/);
  });

  test('refuses a host with no address, and lets a failed look-up through as it is (its code says why)', async () => {
    expect(await refusal(checkPushEndpoint('https://nothing.example/push', production))).toBe('host nothing.example has no address');
    await expect(checkPushEndpoint('https://unknown.example/push', production)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  test('checks every address the host has, with one look-up', async () => {
    dns.calls.length = 0;
    await checkPushEndpoint('https://fcm.googleapis.com/fcm/send/x', production);
    expect(dns.calls).toEqual(['fcm.googleapis.com']);
  });

  test('with PUSH_ALLOW_PRIVATE_HOSTS, loopback and private addresses pass, IP literals included; link-local, multicast and the like still do not', async () => {
    for (const endpoint of [
      'https://127.0.0.1:8443/push/1',
      'https://[::1]:8443/push/1',
      'https://10.0.0.1/push/1',
      'https://loopback.example/push/1',
      'https://internal.example/push/1',
      'https://ula.example/push/1',
      'https://mapped.example/push/1',
      'https://fcm.googleapis.com/fcm/send/x',
    ]) {
      expect((await checkPushEndpoint(endpoint, tests)).url.href).toBe(new URL(endpoint).href);
    }
    expect(await refusal(checkPushEndpoint('https://169.254.169.254/latest/meta-data/', tests))).toBe('must not point at a link-local address');
    expect(await refusal(checkPushEndpoint('https://[fe80::1]/push', tests))).toBe('must not point at a link-local address');
    expect(await refusal(checkPushEndpoint('https://0.0.0.0/push', tests))).toBe('must not point at an unspecified address');
    expect(await refusal(checkPushEndpoint('https://metadata.example/push', tests))).toBe('host metadata.example resolves to a link-local address');
    expect(await refusal(checkPushEndpoint('https://multicast.example/push', tests))).toBe('host multicast.example resolves to a multicast address');
    expect(await refusal(checkPushEndpoint('https://cgnat.example/push', tests))).toBe('host cgnat.example resolves to a carrier-grade NAT address');
    expect(await refusal(checkPushEndpoint('http://127.0.0.1:8443/push/1', tests))).toBe('must be an https URL');
  });

  test('with the real DNS, localhost is refused (no network needed: it resolves locally)', async () => {
    expect(await refusal(checkPushEndpoint('https://localhost:8443/push/1', { allowPrivateHosts: false }))).toBe(
      'host localhost resolves to a loopback address',
    );
  });
});

describe('pinnedLookup', () => {
  const accepted = {
    url: new URL('https://push.example/push/1'),
    addresses: [
      { address: '142.250.185.202', family: 4 as const },
      { address: '2a00:1450:4001:82b::200a', family: 6 as const },
    ],
  };
  const lookup = (host: string, options: Parameters<ReturnType<typeof pinnedLookup>>[1]) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      pinnedLookup(accepted)(host, options, (error, address, family) => resolve({ error, address, family })),
    );

  test('answers with the checked addresses only, in the forms node:net asks for', async () => {
    expect(await lookup('push.example', {})).toEqual({ error: null, address: '142.250.185.202', family: 4 });
    expect(await lookup('push.example', { family: 6 })).toEqual({ error: null, address: '2a00:1450:4001:82b::200a', family: 6 });
    expect(await lookup('push.example', { family: 'IPv6' })).toEqual({ error: null, address: '2a00:1450:4001:82b::200a', family: 6 });
    expect(await lookup('push.example', { all: true })).toEqual({ error: null, address: accepted.addresses, family: undefined });
  });

  test('refuses any other host name', async () => {
    expect((await lookup('elsewhere.example', {})).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
