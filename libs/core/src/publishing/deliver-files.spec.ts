import { base64DecodedBytes, deliverFilesOverLimits } from './deliver-files';

describe('deliver files: sizes', () => {
  it('knows the decoded size of padded base64 without decoding', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 1000, 4097]) {
      const text = Buffer.alloc(n, 7).toString('base64');
      expect(base64DecodedBytes(text)).toBe(n);
    }
  });

  it('names each file over the per-file limit and the request over the total', () => {
    const file = (bytes: number) => ({
      field: 'f',
      filename: 'f.bin',
      contentBase64: Buffer.alloc(bytes).toString('base64'),
    });
    const limits = { maxFileBytes: 10, maxTotalBytes: 15 };
    expect(deliverFilesOverLimits([file(10), file(5)], limits)).toEqual([]);
    expect(deliverFilesOverLimits([file(11), file(5)], limits)).toEqual([
      { field: 'files[0].contentBase64', problem: expect.stringContaining('11 bytes') },
      { field: 'files', problem: expect.stringContaining('16 bytes together') },
    ]);
  });
});
