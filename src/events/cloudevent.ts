import type { OutboxEntryDoc } from '../store/order.document';

export const EVENT_SOURCE = '/wms/order-service';
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** A CloudEvents 1.0 event in structured JSON mode, with the WMS correlation extensions (CONTRACT §5). */
export interface CloudEvent<TData = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  wmscorrelationid?: string;
  wmswavenumber?: string;
  wmsworkflowid?: string;
  wmstenantid: string;
  traceparent?: string;
  data: TData;
}

/** The one place an outbox entry becomes a CloudEvent; optional extensions are omitted, never null. */
export function toCloudEvent(entry: OutboxEntryDoc, orderId: string, tenantId: string): CloudEvent {
  return {
    specversion: '1.0',
    id: entry.id,
    source: EVENT_SOURCE,
    type: entry.type,
    subject: orderId,
    time: new Date(entry.time).toISOString(),
    datacontenttype: 'application/json',
    ...(entry.correlationId ? { wmscorrelationid: entry.correlationId } : {}),
    ...(entry.waveNumber ? { wmswavenumber: entry.waveNumber } : {}),
    ...(entry.workflowId ? { wmsworkflowid: entry.workflowId } : {}),
    wmstenantid: tenantId,
    ...(entry.traceparent ? { traceparent: entry.traceparent } : {}),
    data: entry.data,
  };
}
