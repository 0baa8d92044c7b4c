import type { LookupAddress } from 'node:dns';
import {
  checkLiteralHost,
  classifyAddress,
  createGuardedLookup,
  RefusedAddressError,
  type Resolver,
} from './address-policy';

/**
 * The SSRF address policy. Everything here is decided on addresses and stubbed DNS answers:
 * no test opens a connection to anything but loopback.
 */
describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['192.0.2.10', 'reserved'],
    ['240.0.0.1', 'reserved'],
    // IPv6 forms that carry an IPv4 address are judged by that address.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:0001::1', 'loopback'],
    ['2002:0a00:0001::1', 'private'],
    ['not-an-ip', 'invalid'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ allowed: false, range });
  });

  it.each([
    ['93.184.216.34'],
    ['8.8.8.8'],
    ['172.32.0.1'],
    ['100.128.0.1'],
    ['2606:4700:4700::1111'],
    ['::ffff:93.184.216.34'],
    ['64:ff9b::5db8:d822'],
  ])('allows the public address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });
});

describe('checkLiteralHost', () => {
  it('refuses IP-literal hosts in private ranges, bracketed IPv6 included', () => {
    expect(checkLiteralHost('127.0.0.1')).toBeInstanceOf(RefusedAddressError);
    expect(checkLiteralHost('[::1]')).toBeInstanceOf(RefusedAddressError);
    expect(checkLiteralHost('[::ffff:7f00:1]')!.message).toMatch(/refused.*loopback/);
    expect(checkLiteralHost('169.254.169.254')!.message).toContain('linkLocal');
  });

  it('leaves host names to the guarded lookup and allows public literals', () => {
    expect(checkLiteralHost('example.com')).toBeNull();
    expect(checkLiteralHost('localhost')).toBeNull();
    expect(checkLiteralHost('93.184.216.34')).toBeNull();
  });
});

describe('createGuardedLookup', () => {
  const stub =
    (answers: Record<string, LookupAddress[] | NodeJS.ErrnoException>): Resolver =>
    (hostname, _options, callback) => {
      const answer = answers[hostname];
      if (!answer) {
        const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
        });
        return callback(error, []);
      }
      if (answer instanceof Error) return callback(answer, []);
      return callback(null, answer);
    };

  function lookupAll(resolver: Resolver, hostname: string) {
    return new Promise<{ error: NodeJS.ErrnoException | null; addresses: unknown }>((resolve) =>
      createGuardedLookup(resolver)(hostname, { all: true }, (error, addresses) =>
        resolve({ error, addresses }),
      ),
    );
  }

  function lookupOne(resolver: Resolver, hostname: string) {
    return new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family: unknown }>(
      (resolve) =>
        createGuardedLookup(resolver)(hostname, {}, (error, address, family) =>
          resolve({ error, address, family }),
        ),
    );
  }

  it.each([
    ['metadata.internal', '169.254.169.254', 'linkLocal'],
    ['intranet.example', '10.0.0.7', 'private'],
    ['cgnat.example', '100.64.3.4', 'carrierGradeNat'],
    ['rebind.example', '127.0.0.1', 'loopback'],
    ['v6.example', 'fd00:ec2::254', 'uniqueLocal'],
  ])('refuses %s resolving to %s', async (hostname, address, range) => {
    const resolver = stub({ [hostname]: [{ address, family: address.includes(':') ? 6 : 4 }] });
    const { error } = await lookupAll(resolver, hostname);
    expect(error).toBeInstanceOf(RefusedAddressError);
    expect(error!.message).toContain(`refused to connect to ${hostname} (${address})`);
    expect(error!.message).toContain(range);
  });

  it('drops refused answers mixed with public ones, so the socket can only reach the public one', async () => {
    const resolver = stub({
      'mixed.example': [
        { address: '10.0.0.1', family: 4 },
        { address: '93.184.216.34', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
    const all = await lookupAll(resolver, 'mixed.example');
    expect(all.error).toBeNull();
    expect(all.addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
    const one = await lookupOne(resolver, 'mixed.example');
    expect(one).toEqual({ error: null, address: '93.184.216.34', family: 4 });
  });

  it('passes DNS failures through with their code', async () => {
    const { error } = await lookupAll(stub({}), 'unresolvable.example');
    expect(error!.code).toBe('ENOTFOUND');
  });

  it('treats an empty answer as not found', async () => {
    const { error } = await lookupAll(stub({ 'empty.example': [] }), 'empty.example');
    expect(error!.code).toBe('ENOTFOUND');
  });

  it('accepts the legacy numeric family argument', async () => {
    const resolver = stub({ 'public.example': [{ address: '8.8.4.4', family: 4 }] });
    const result = await new Promise((resolve) =>
      createGuardedLookup(resolver)('public.example', 4, (error, address) =>
        resolve({ error, address }),
      ),
    );
    expect(result).toEqual({ error: null, address: '8.8.4.4' });
  });
});
