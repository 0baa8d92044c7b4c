import { OutboundRequestsJob, QueueName } from '@app/messaging';
import {
  DELIVER_JOB,
  DEFAULT_QUEUE_PREFIX,
  jobContractSchema,
  OUTBOUND_REQUESTS_QUEUE,
  PUBLISH_JOB,
} from './job-contract';

/** The package's names are the ones the dispatcher consumes (libs/messaging's enums). */
describe('@hookgate/client job contract', () => {
  it('names the queue and jobs the dispatcher handles', () => {
    expect(OUTBOUND_REQUESTS_QUEUE).toBe(QueueName.OutboundRequests);
    expect([DELIVER_JOB, PUBLISH_JOB].sort()).toEqual(Object.values(OutboundRequestsJob).sort());
    expect(DEFAULT_QUEUE_PREFIX).toBe('hookgate');
  });

  it('ships the JSON Schema with a definition per job name', () => {
    expect(Object.keys(jobContractSchema.definitions as object).sort()).toEqual(
      [DELIVER_JOB, PUBLISH_JOB].sort(),
    );
  });
});
