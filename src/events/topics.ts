/** The public topic of the brief: every order domain event, keyed by orderId. */
export const ORDER_EVENTS_TOPIC = 'wms.orders.events';

/**
 * Internal topic feeding the live GraphQL subscriptions on every replica (status changes, DLQ changes).
 * Kept apart so consumers of the public topic only ever see the brief's eleven event types.
 */
export const ORDER_LIVE_TOPIC = 'wms.orders.live';

export const TOPIC_PARTITIONS = 6;
