import { ProcessingConfigurationError } from '../errors/errors';
import { decodeSecret } from './secret';

describe('decodeSecret', () => {
  it('uses utf8 secrets verbatim (Stripe whsec_ secrets included)', () => {
    expect(decodeSecret('whsec_abc', 'utf8')).toEqual(Buffer.from('whsec_abc', 'utf8'));
  });

  it('base64-decodes base64 secrets, standard and URL-safe', () => {
    expect(decodeSecret('aGVsbG8=', 'base64').toString()).toBe('hello');
    expect(decodeSecret(' aGVsbG8= ', 'base64').toString()).toBe('hello');
    expect(decodeSecret('-_8', 'base64')).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it('strips whsec_ and base64-decodes; the prefix is optional', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const text = key.toString('base64');
    expect(decodeSecret(`whsec_${text}`, 'whsec')).toEqual(key);
    expect(decodeSecret(text, 'whsec')).toEqual(key);
  });

  it('refuses empty secrets and text that is not base64', () => {
    expect(() => decodeSecret('', 'utf8')).toThrow(ProcessingConfigurationError);
    expect(() => decodeSecret('not base64!', 'base64')).toThrow(/not valid base64/);
    expect(() => decodeSecret('whsec_***', 'whsec')).toThrow(/whsec_<base64>/);
    expect(() => decodeSecret('whsec_', 'whsec')).toThrow(ProcessingConfigurationError);
    expect(() => decodeSecret('=', 'base64')).toThrow(ProcessingConfigurationError);
  });

  it('refuses base64 that decodes to no bytes', () => {
    expect(() => decodeSecret('A', 'base64')).toThrow(/decodes to no bytes/);
  });
});
