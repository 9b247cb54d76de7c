import { GraphQLError, subscribe, type ExecutionArgs } from 'graphql';
import type { Metrics } from '../observability/metrics';

/** Subscriptions one graphql-ws connection may hold open at once; the next one is refused with FORBIDDEN. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/**
 * Wraps a subscription's event stream so that the active-subscriptions gauge counts it until it is released: finished,
 * failed, or returned by graphql-ws (client `complete`, socket closed). `return()` is forwarded at once, even while a
 * `next()` waits for an event — a wrapping async generator would queue it until the next event and hold the listener.
 */
/** What graphql-ws needs to release a subscription (`isAsyncGenerator`): an async iterator with `return` and `throw`. */
export type TrackedSubscription<T> = AsyncIterableIterator<T> & Required<Pick<AsyncIterator<T>, 'return' | 'throw'>>;

export function trackSubscription<T>(source: AsyncIterable<T>, onOpen: () => void, onRelease: () => void): TrackedSubscription<T> {
  const iterator = source[Symbol.asyncIterator]();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    onRelease();
  };
  onOpen();
  const tracked: TrackedSubscription<T> = {
    async next() {
      try {
        const result = await iterator.next();
        if (result.done) release();
        return result;
      } catch (error) {
        release();
        throw error;
      }
    },
    async return(value?: unknown) {
      release();
      return iterator.return ? iterator.return(value) : { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      release();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return tracked;
    },
  };
  return tracked;
}

/** graphql-ws hooks: a cap on subscriptions per connection, and every subscription counted while it is open. */
export function subscriptionLimits(metrics: Pick<Metrics, 'subscriptionsActive' | 'subscriptionsRefused'>, max = MAX_SUBSCRIPTIONS_PER_CONNECTION) {
  return {
    onSubscribe(ctx: { subscriptions: Record<string, unknown> }): GraphQLError[] | undefined {
      // graphql-ws has already registered the id being subscribed, so it counts itself.
      if (Object.keys(ctx.subscriptions).length <= max) return undefined;
      metrics.subscriptionsRefused.inc();
      return [
        new GraphQLError(`a connection may hold at most ${max} subscriptions at once`, {
          extensions: { code: 'FORBIDDEN', maxSubscriptionsPerConnection: max },
        }),
      ];
    },
    async subscribe(args: ExecutionArgs) {
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) return result;
      return trackSubscription(
        result,
        () => metrics.subscriptionsActive.inc(),
        () => metrics.subscriptionsActive.dec(),
      );
    },
  };
}
