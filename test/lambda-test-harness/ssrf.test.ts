import { checkUrl, forbiddenAddressReason, guardedLookup, hostAllowed } from '../../lambda/lambda-test-harness/ssrf';

describe('the invoker SSRF guard', () => {
  it('allows exact hosts and subdomains of a wildcard, not the apex or look-alikes', () => {
    const allowed = ['api.example.com', '*.execute-api.us-east-1.amazonaws.com'];
    expect(hostAllowed('api.example.com', allowed)).toBe(true);
    expect(hostAllowed('abc.execute-api.us-east-1.amazonaws.com', allowed)).toBe(true);
    expect(hostAllowed('execute-api.us-east-1.amazonaws.com', allowed)).toBe(false);
    expect(hostAllowed('api.example.com.evil.com', allowed)).toBe(false);
    expect(hostAllowed('evilapi.example.com', allowed)).toBe(false);
  });

  it.each([
    '169.254.169.254',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '127.0.0.1',
    '127.1.2.3',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    'fd00:ec2::254',
    'fe80::1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
  ])('refuses %s', (address) => {
    expect(forbiddenAddressReason(address)).toMatch(/is a .* address/);
  });

  it('accepts public addresses, and 127.0.0.1 (only that) with the test-only hatch', () => {
    expect(forbiddenAddressReason('52.94.236.248')).toBeUndefined();
    expect(forbiddenAddressReason('2600:1f18::1')).toBeUndefined();
    expect(forbiddenAddressReason('127.0.0.1', true)).toBeUndefined();
    expect(forbiddenAddressReason('127.0.0.2', true)).toMatch(/loopback/);
    expect(forbiddenAddressReason('169.254.169.254', true)).toMatch(/metadata/);
  });

  it('refuses a name that resolves to a metadata address, in the connection lookup itself', (done) => {
    const lookup = guardedLookup(false, (_host, _opts, cb) => cb(null, [{ address: '52.1.2.3', family: 4 }, { address: '169.254.169.254', family: 4 }]));
    lookup('rebind.example.com', {}, (error) => {
      expect(error?.name).toBe('ForbiddenAddress');
      expect(error?.message).toBe('rebind.example.com resolves to a forbidden address: 169.254.169.254 is a link-local (instance metadata) address');
      done();
    });
  });

  it('refuses http, hosts off the list, and forbidden IP literals before any connection', () => {
    const allowed = ['api.example.com', '169.254.169.254'];
    expect(() => checkUrl(new URL('http://api.example.com/'), allowed, false)).toThrow('http:// is refused');
    expect(() => checkUrl(new URL('https://other.example.com/'), allowed, false)).toThrow("other.example.com is not on this invoker's allow-list");
    expect(() => checkUrl(new URL('https://169.254.169.254/latest/meta-data/'), allowed, false)).toThrow('169.254.169.254 is refused');
    expect(() => checkUrl(new URL('https://api.example.com/'), allowed, false)).not.toThrow();
  });
});
