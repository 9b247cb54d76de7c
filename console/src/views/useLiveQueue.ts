import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, connectLive, graphqlRequest, subscribe, type ConnectionState, type LiveConnection } from '../api/client';
import { QUEUE_CHANGED, QUEUE_STATS, type QueueChange, type QueueStats } from '../api/operations';
import { applyChange } from '../api/apply-change';
import { fetchQueuePage, type PageRequest, type PageResult } from '../api/queue-page';

/** One point of the "unresolved over time" chart: sampled at load and at every change the subscription brings. */
export interface Sample {
  time: string;
  unresolved: number;
}

const MAX_SAMPLES = 120;

export interface LiveQueue {
  connection: ConnectionState;
  live: LiveConnection | null;
  stats: QueueStats | null;
  samples: Sample[];
  page: PageResult | null;
  loading: boolean;
  error: string | null;
  refresh: () => void;
}

/**
 * The queue as the console shows it: the page for the current filters, sorting and paging, the statistics, and the
 * live connection. Every change on the subscription updates the statistics and the row at once (applyChange), then
 * re-reads the page (one read in flight at a time, the next one coalescing the changes that arrived meanwhile), so new entries appear and
 * resolved ones leave without a reload; after a reconnection everything is read again (changes may have been missed).
 */
export function useLiveQueue(token: string, request: PageRequest, onUnauthorized: (why: string) => void): LiveQueue {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [live, setLive] = useState<LiveConnection | null>(null);
  const [stats, setStats] = useState<QueueStats | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [page, setPage] = useState<PageResult | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const requestRef = useRef(request);
  requestRef.current = request;
  const inFlight = useRef(false);
  const again = useRef(false);
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  const addSample = useCallback((unresolved: number, at = new Date()) => {
    setSamples((previous) => [...previous, { time: at.toLocaleTimeString(), unresolved }].slice(-MAX_SAMPLES));
  }, []);

  const failed = useCallback((failure: unknown) => {
    if (failure instanceof ApiError && failure.code === 'UNAUTHENTICATED') unauthorized.current('The service refused the token (expired or invalid).');
    else setError(failure instanceof Error ? failure.message : String(failure));
  }, []);

  const readPage = useCallback(async () => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    try {
      do {
        again.current = false;
        const asked = requestRef.current;
        const result = await fetchQueuePage(token, asked);
        // A read for filters that changed meanwhile is stale: read again rather than show it.
        if (asked !== requestRef.current) again.current = true;
        else {
          setPage(result);
          setError(null);
        }
      } while (again.current);
    } catch (failure) {
      failed(failure);
    } finally {
      inFlight.current = false;
      setLoading(false);
    }
  }, [token, failed]);

  const readStats = useCallback(async () => {
    try {
      const { deadLetterStats } = await graphqlRequest<{ deadLetterStats: QueueStats }>(token, QUEUE_STATS);
      setStats(deadLetterStats);
      addSample(deadLetterStats.unresolvedCount);
    } catch (failure) {
      failed(failure);
    }
  }, [token, addSample, failed]);

  const refresh = useCallback(() => {
    void readPage();
    void readStats();
  }, [readPage, readStats]);

  useEffect(() => {
    const connectionToService = connectLive(
      token,
      (state, reconnected) => {
        setConnection(state);
        if (reconnected) refresh();
      },
      () => unauthorized.current('The live connection refused the token (expired or invalid): sign in again.'),
    );
    setLive(connectionToService);
    const stop = subscribe<QueueChange>(
      connectionToService,
      QUEUE_CHANGED,
      {},
      ({ deadLetterQueueChanged: change }) => {
        setStats(change.stats);
        addSample(change.stats.unresolvedCount, new Date(change.occurredAt));
        setPage((current) => applyChange(current, change, requestRef.current));
        void readPage();
      },
      failed,
    );
    void readStats();
    return () => {
      stop();
      connectionToService.dispose();
      setLive(null);
    };
  }, [token, readPage, readStats, refresh, addSample, failed]);

  useEffect(() => {
    setLoading(true);
    void readPage();
  }, [request, readPage]);

  return { connection, live, stats, samples, page, loading, error, refresh };
}
