import { graphqlRequest } from './client';
import { QUEUE_PAGE, QUEUE_TOTAL, type EntrySummary, type QueueFilter, type QueuePage } from './operations';

export type SortDirection = 'desc' | 'asc';

export interface PageRequest {
  filter: QueueFilter;
  page: number;
  pageSize: number;
  /** By moved-at (createdAt): desc = newest first (the API's order), asc = oldest first. */
  sort: SortDirection;
}

export interface PageResult {
  items: EntrySummary[];
  total: number;
}

/**
 * One page of the queue. The API lists newest first; the oldest-first page p is the newest-first window that ends
 * p pages from the end (offset = total − (p + 1) · size, clipped at 0), read in reverse, so it needs the total first.
 */
export async function fetchQueuePage(token: string, { filter, page, pageSize, sort }: PageRequest): Promise<PageResult> {
  if (sort === 'desc') {
    const { deadLetterEntries } = await graphqlRequest<QueuePage>(token, QUEUE_PAGE, { filter, limit: pageSize, offset: page * pageSize });
    return { items: deadLetterEntries.items, total: deadLetterEntries.total };
  }
  const { deadLetterEntries: counted } = await graphqlRequest<QueuePage>(token, QUEUE_TOTAL, { filter });
  const end = counted.total - page * pageSize;
  if (end <= 0) return { items: [], total: counted.total };
  const offset = Math.max(0, end - pageSize);
  const { deadLetterEntries } = await graphqlRequest<QueuePage>(token, QUEUE_PAGE, { filter, limit: end - offset, offset });
  return { items: [...deadLetterEntries.items].reverse(), total: deadLetterEntries.total };
}
