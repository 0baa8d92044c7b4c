import { extractCandidateSignatures, type SignatureHeaderSettings } from './signature-header';

const settings = (overrides: Partial<SignatureHeaderSettings>): SignatureHeaderSettings => ({
  header: 'X-Sig',
  headerFormat: 'plain',
  headerKey: '',
  version: 'v1',
  prefix: '',
  encoding: 'hex',
  ...overrides,
});

describe('extractCandidateSignatures', () => {
  it('returns nothing when the header is absent', () => {
    expect(extractCandidateSignatures(settings({}), {})).toEqual([]);
    expect(extractCandidateSignatures(settings({}), undefined)).toEqual([]);
  });

  describe('plain', () => {
    it('strips the prefix, case-insensitively, and lower-cases hex', () => {
      const cfg = settings({ prefix: 'sha256=' });
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'sha256=ABCdef' })).toEqual(['abcdef']);
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'SHA256=abc' })).toEqual(['abc']);
    });

    it('drops candidates without the prefix', () => {
      const cfg = settings({ prefix: 'v0=' });
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'abc' })).toEqual([]);
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'v0=' })).toEqual([]);
    });

    it('keeps base64 case and counts repeated and comma-joined values', () => {
      const cfg = settings({ encoding: 'base64' });
      expect(extractCandidateSignatures(cfg, { 'X-Sig': ['AbC=', 'dEf='] })).toEqual([
        'AbC=',
        'dEf=',
      ]);
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'AbC=, dEf=' })).toEqual(['AbC=', 'dEf=']);
    });
  });

  describe('key-value', () => {
    const cfg = settings({ headerFormat: 'key-value', headerKey: 'v1' });

    it('returns every value of headerKey', () => {
      expect(extractCandidateSignatures(cfg, { 'x-sig': 't=1,v1=a,v0=z,v1=b' })).toEqual([
        'a',
        'b',
      ]);
    });

    it('reads every header value', () => {
      expect(extractCandidateSignatures(cfg, { 'x-sig': ['t=1,v1=a', 't=1,v1=b'] })).toEqual([
        'a',
        'b',
      ]);
    });

    it('returns nothing when headerKey is absent', () => {
      expect(extractCandidateSignatures(cfg, { 'x-sig': 't=1,v0=a' })).toEqual([]);
    });
  });

  describe('versioned-list', () => {
    const cfg = settings({ headerFormat: 'versioned-list', encoding: 'base64' });

    it('keeps entries of the configured version only', () => {
      expect(
        extractCandidateSignatures(cfg, { 'x-sig': 'v1,AAA= v1a,BBB= v2,CCC=  v1,DDD=' }),
      ).toEqual(['AAA=', 'DDD=']);
      expect(
        extractCandidateSignatures({ ...cfg, version: 'v2' }, { 'x-sig': 'v1,AAA= v2,CCC=' }),
      ).toEqual(['CCC=']);
    });

    it("handles Node's comma-joined repeated headers and ignores junk", () => {
      expect(extractCandidateSignatures(cfg, { 'x-sig': 'v1,AAA=, v1,BBB=' })).toEqual([
        'AAA=',
        'BBB=',
      ]);
      expect(extractCandidateSignatures(cfg, { 'x-sig': ',AAA= v1 v1, junk' })).toEqual([]);
    });

    it('reads a crafted run of commas in linear time (issue 21)', () => {
      // `/,+$/` retried the run from every comma: 16,000 commas and a letter cost ~0.2 s
      // before any secret was checked. Compared with an ordinary header of the same size.
      const size = 16_000;
      const crafted = ','.repeat(size - 1) + 'x';
      const entry = `v1,${'A'.repeat(43)}=`;
      const ordinary = Array.from({ length: Math.ceil(size / (entry.length + 1)) }, () => entry)
        .join(' ')
        .slice(0, size);
      const median = (header: string): number => {
        const runs = Array.from({ length: 7 }, () => {
          const started = process.hrtime.bigint();
          extractCandidateSignatures(cfg, { 'x-sig': header });
          return Number(process.hrtime.bigint() - started) / 1e6;
        });
        return runs.sort((a, b) => a - b)[3];
      };
      expect(extractCandidateSignatures(cfg, { 'x-sig': crafted })).toEqual([]);
      median(ordinary); // warm up
      // A floor of 5 ms keeps sub-millisecond noise from deciding; the old code took ~200 ms.
      expect(median(crafted)).toBeLessThan(Math.max(10 * median(ordinary), 5));
    });
  });
});
