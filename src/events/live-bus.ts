import { getEventListeners, setMaxListeners } from 'node:events';
import { createPubSub } from '@graphql-yoga/subscription';

/** The replica's in-process bus from the live feed to its GraphQL subscriptions (one channel per subscription field). */
export function createLiveBus() {
  // Each subscriber is one listener on its channel; Node warns past 10 per event type, and a thousand subscribers are normal.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  return Object.assign(createPubSub({ eventTarget }), {
    /** Subscribers currently listening on a channel (for leak checks). */
    listenerCount: (channel: string) => getEventListeners(eventTarget, channel).length,
  });
}
export type LiveBus = ReturnType<typeof createLiveBus>;
