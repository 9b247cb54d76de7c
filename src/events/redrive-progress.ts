import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeadLetterRedriveTask } from '../models/dead-letter-redrive';
import { CLOUDEVENTS_CONTENT_TYPE, EVENT_SOURCE, type CloudEvent } from './cloudevent';
import type { KafkaClient } from './kafka';
import { LIVE_EVENT_TYPES } from './live-events';
import { ORDER_LIVE_TOPIC } from './topics';

/** Where a redrive task's progress goes: every replica's subscribers (src/use-cases/dead-letter-redrives.ts). */
export interface RedriveProgressSink {
  published(task: DeadLetterRedriveTask): void;
}

const SEND_TIMEOUT_MS = 5_000;

/**
 * Sends a task's state to the live topic after each write of it, straight from the replica that wrote it — not through
 * an outbox (docs/decisions.md, "Redrive progress"): a notice is a copy of what the task document already says, so a
 * lost one costs a subscriber nothing but latency (it also re-reads the task every few seconds), while an outbox would
 * add a relay for a second collection. Keyed by task, so one task's notices stay in order on one partition.
 */
export class RedriveProgressPublisher implements RedriveProgressSink {
  constructor(
    private readonly kafka: Pick<KafkaClient, 'sendBatch'>,
    private readonly logger: Logger,
  ) {}

  published(task: DeadLetterRedriveTask): void {
    const event: CloudEvent<DeadLetterRedriveTask> = {
      specversion: '1.0',
      id: randomUUID(),
      source: EVENT_SOURCE,
      type: LIVE_EVENT_TYPES.deadLetterRedriveProgress,
      subject: task.taskId,
      time: task.updatedAt.toISOString(),
      datacontenttype: 'application/json',
      wmstenantid: task.tenantId,
      data: task,
    };
    const message = { key: task.taskId, value: JSON.stringify(event), headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE } };
    this.kafka
      .sendBatch({ topicMessages: [{ topic: ORDER_LIVE_TOPIC, messages: [message] }] }, SEND_TIMEOUT_MS)
      .catch((error: unknown) => this.logger.warn({ err: error, taskId: task.taskId }, 'redrive progress notice not sent (subscribers re-read the task)'));
  }
}
