/** The GraphQL documents the console sends, and the shapes of their answers (see schema.graphql). */

export type Resolution = 'MANUAL_RETRY' | 'CANCELLED' | 'ESCALATED';

export interface QueueFilter {
  resolved?: boolean;
  failureStatus?: string;
  customerId?: string;
  olderThanHours?: number;
}

export interface EntrySummary {
  orderId: string;
  customerId: string;
  failureStatus: string;
  failureReason: string;
  retryCount: number;
  resolved: boolean;
  resolution: Resolution | null;
  createdAt: string;
}

export interface QueueStats {
  totalEntries: number;
  unresolvedCount: number;
  resolvedCount: number;
  byFailureStatus: Array<{ failureStatus: string; count: number }>;
  byResolution: Array<{ resolution: Resolution; count: number }>;
  oldestUnresolvedAt: string | null;
  averageRetries: number;
}

interface RetryAttempt {
  attempt: number;
  failureReason: string;
  failureStatus: string;
  failedAt: string;
  workflowId: string | null;
  runId: string | null;
}

interface OrderSnapshot {
  id: string;
  customerId: string;
  priority: string;
  status: string;
  promisedDeliveryAt: string | null;
  waveId: string | null;
  totalItems: number;
  totalQuantity: number;
  totalValue: number;
  version: number;
  items: Array<{ sku: string; quantity: number; productName: string | null }>;
  shippingAddress: { city: string; country: string };
}

export interface PastEntry {
  failureStatus: string;
  failureReason: string;
  resolved: boolean;
  resolution: Resolution | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  notes: string | null;
  createdAt: string;
}

export interface EntryDetail extends EntrySummary {
  resolvedBy: string | null;
  resolvedAt: string | null;
  notes: string | null;
  updatedAt: string;
  retryHistory: RetryAttempt[];
  originalOrder: OrderSnapshot;
  history: PastEntry[];
}

const SUMMARY = 'orderId customerId failureStatus failureReason retryCount resolved resolution createdAt';
const STATS = `totalEntries unresolvedCount resolvedCount byFailureStatus { failureStatus count } byResolution { resolution count }
  oldestUnresolvedAt averageRetries`;

export const QUEUE_PAGE = `query ConsoleQueue($filter: DeadLetterFilter, $limit: Int, $offset: Int) {
  deadLetterEntries(filter: $filter, limit: $limit, offset: $offset) { total limit offset items { ${SUMMARY} } }
}`;
export const QUEUE_TOTAL = `query ConsoleQueueTotal($filter: DeadLetterFilter) { deadLetterEntries(filter: $filter, limit: 1) { total } }`;
export interface QueuePage {
  deadLetterEntries: { total: number; limit: number; offset: number; items: EntrySummary[] };
}

export const QUEUE_STATS = `query ConsoleStats { deadLetterStats { ${STATS} } }`;

export const ENTRY_DETAIL = `query ConsoleEntry($orderId: ID!) {
  deadLetterEntry(orderId: $orderId) {
    ${SUMMARY} resolvedBy resolvedAt notes updatedAt
    retryHistory { attempt failureReason failureStatus failedAt workflowId runId }
    originalOrder { id customerId priority status promisedDeliveryAt waveId totalItems totalQuantity totalValue version items { sku quantity productName } shippingAddress { city country } }
    history { failureStatus failureReason resolved resolution resolvedBy resolvedAt notes createdAt }
  }
}`;

export const RESOLVE_ENTRY = `mutation ConsoleResolve($orderId: ID!, $resolution: DeadLetterResolution!, $notes: String) {
  resolveDeadLetterEntry(orderId: $orderId, resolution: $resolution, notes: $notes) { ${SUMMARY} }
}`;

export const QUEUE_CHANGED = `subscription ConsoleQueueChanged {
  deadLetterQueueChanged { kind occurredAt entry { ${SUMMARY} } stats { ${STATS} } }
}`;
export interface QueueChange {
  deadLetterQueueChanged: { kind: 'ADDED' | 'RESOLVED' | 'RETIRED'; occurredAt: string; entry: EntrySummary; stats: QueueStats };
}

// ---- bulk redrive (the agreed redrive API, docs: ../shared contract of issue 13) ----

export type RedriveStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED';

export interface RedriveInput {
  failureStatus?: string;
  customerId?: string;
  olderThanHours?: number;
  reasonContains?: string;
  orderIds?: string[];
  cap?: number;
  ratePerSecond?: number;
  notes?: string;
}

export interface RedriveTask {
  taskId: string;
  status: RedriveStatus;
  total: number;
  done: number;
  failed: number;
  failures: Array<{ orderId: string; code: string; message: string }>;
  cap: number;
  ratePerSecond: number;
  actor: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const TASK = 'taskId status total done failed failures { orderId code message } cap ratePerSecond actor startedAt finishedAt';

export const START_REDRIVE = `mutation ConsoleRedrive($input: DeadLetterRedriveInput!) { startDeadLetterRedrive(input: $input) { ${TASK} } }`;
export const CANCEL_REDRIVE = `mutation ConsoleCancelRedrive($taskId: ID!) { cancelDeadLetterRedrive(taskId: $taskId) { ${TASK} } }`;
export const REDRIVE_PROGRESS = `subscription ConsoleRedriveProgress($taskId: ID!) { deadLetterRedriveProgress(taskId: $taskId) { ${TASK} } }`;
