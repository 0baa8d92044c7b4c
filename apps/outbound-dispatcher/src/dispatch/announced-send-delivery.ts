import type { LeasedItemHandler } from '@app/messaging';
import type { SendDelivery } from './send-delivery.use-case';

/**
 * SendDelivery as the delivery worker runs it: once a delivery has left `processing` (an
 * attempt recorded, or settled without one), its id is announced, so an admin holding a
 * synchronous send (`POST /deliveries?wait=`) reads the outcome at once instead of at its
 * deadline. A delivery that was not claimable (null) changed nothing and is not announced.
 */
export class AnnouncedSendDelivery implements LeasedItemHandler {
  constructor(
    private readonly send: Pick<SendDelivery, 'execute'>,
    private readonly notices: { announce(deliveryId: string): void },
  ) {}

  async execute(deliveryId: string): Promise<string | null> {
    const state = await this.send.execute(deliveryId);
    if (state !== null) this.notices.announce(deliveryId);
    return state;
  }
}
