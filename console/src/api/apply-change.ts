import type { EntrySummary, QueueChange, QueueFilter } from './operations';
import type { PageRequest, PageResult } from './queue-page';

function matches(entry: EntrySummary, filter: QueueFilter): boolean {
  if (filter.resolved !== undefined && entry.resolved !== filter.resolved) return false;
  if (filter.failureStatus !== undefined && entry.failureStatus !== filter.failureStatus) return false;
  if (filter.customerId !== undefined && entry.customerId !== filter.customerId) return false;
  if (filter.olderThanHours !== undefined && Date.now() - new Date(entry.createdAt).getTime() <= filter.olderThanHours * 3_600_000) return false;
  return true;
}

/**
 * The page with one live change applied at once, before the re-read that confirms it: the entry replaces its row, or
 * leaves the page when it no longer matches the filters or was retired, or (newest first, first page) joins at the top. Anything
 * else waits for the re-read, which is the truth in every case.
 */
export function applyChange(page: PageResult | null, change: QueueChange['deadLetterQueueChanged'], request: PageRequest): PageResult | null {
  if (!page) return page;
  const { entry } = change;
  const index = page.items.findIndex((item) => item.orderId === entry.orderId);
  // A retired entry has left the queue (DLQ_RETENTION), whatever the filters.
  const fits = change.kind !== 'RETIRED' && matches(entry, request.filter);
  if (index >= 0) {
    if (fits) return { ...page, items: page.items.map((item, at) => (at === index ? entry : item)) };
    return { items: page.items.filter((_, at) => at !== index), total: Math.max(0, page.total - 1) };
  }
  if (fits && request.sort === 'desc' && request.page === 0) return { items: [entry, ...page.items].slice(0, request.pageSize), total: page.total + 1 };
  return page;
}
