import { deliveryNoticeChannel, DeliveryNoticePublisher } from './delivery-notices';

describe('DeliveryNoticePublisher', () => {
  it('coalesces the ids of one event-loop turn into one message, 500 ids at most each', async () => {
    const published: Array<[string, string[]]> = [];
    const notices = new DeliveryNoticePublisher(
      {
        publish: (channel: string, message: string) => {
          published.push([channel, JSON.parse(message) as string[]]);
          return Promise.resolve(0);
        },
      } as never,
      'hg',
    );
    for (let i = 0; i < 501; i++) notices.announce(`d${i}`);
    expect(published).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(published.map(([channel, ids]) => [channel, ids.length])).toEqual([
      ['hg:delivery-attempted', 500],
      ['hg:delivery-attempted', 1],
    ]);
    expect(published[1][1]).toEqual(['d500']);
    notices.announce('next');
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(3);
    expect(deliveryNoticeChannel('{hg}')).toBe('{hg}:delivery-attempted');
  });

  it('never throws when Redis refuses', async () => {
    const notices = new DeliveryNoticePublisher(
      { publish: () => Promise.reject(new Error('down')) } as never,
      'hg',
    );
    notices.announce('d1');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
