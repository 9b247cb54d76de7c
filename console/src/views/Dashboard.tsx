import { useCallback, useMemo, useState } from 'react';
import { Alert, AppShell, Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { ConnectionBanner } from '../components/ConnectionBanner';
import { EntryDrawer } from '../components/EntryDrawer';
import { QueueCharts } from '../components/QueueCharts';
import { DEFAULT_FILTERS, QueueFilters, type FilterValues } from '../components/QueueFilters';
import { QueueTable } from '../components/QueueTable';
import { RedrivePanel } from '../components/RedrivePanel';
import { StatsTiles } from '../components/StatsTiles';
import type { QueueFilter } from '../api/operations';
import type { PageRequest, SortDirection } from '../api/queue-page';
import { tokenClaims } from '../session';
import { useLiveQueue } from './useLiveQueue';
import { ATTENTION, OK } from '../colors';

function toApiFilter(values: FilterValues): QueueFilter {
  return {
    ...(values.resolved === 'all' ? {} : { resolved: values.resolved === 'resolved' }),
    ...(values.failureStatus.trim() ? { failureStatus: values.failureStatus.trim() } : {}),
    ...(values.customerId.trim() ? { customerId: values.customerId.trim() } : {}),
    ...(values.olderThanHours === '' ? {} : { olderThanHours: values.olderThanHours }),
  };
}

const CONNECTION_LABEL = { connecting: 'Connecting…', connected: 'Live', disconnected: 'Offline' } as const;

/** The signed-in console: statistics, charts, the queue table with filters, the entry drawer and the redrive panel. */
export function Dashboard({ token, onSignOut }: { token: string; onSignOut: (why?: string) => void }) {
  const [filters, setFilters] = useState<FilterValues>(DEFAULT_FILTERS);
  const [debouncedFilters] = useDebouncedValue(filters, 250);
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(25);
  const [sort, setSort] = useState<SortDirection>('desc');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [openEntry, setOpenEntry] = useState<string | null>(null);

  const apiFilter = useMemo(() => toApiFilter(debouncedFilters), [debouncedFilters]);
  const request = useMemo<PageRequest>(() => ({ filter: apiFilter, page, pageSize, sort }), [apiFilter, page, pageSize, sort]);
  const queue = useLiveQueue(token, request, onSignOut);
  const claims = useMemo(() => tokenClaims(token), [token]);

  const changeFilters = useCallback((next: FilterValues) => {
    setFilters(next);
    setPage(0);
  }, []);

  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Title order={1} size="h4">
            DLQ console
          </Title>
          <Group gap="xs" wrap="nowrap">
            <Badge color={queue.connection === 'connected' ? OK : ATTENTION} variant="filled" data-testid="connection-state">
              {CONNECTION_LABEL[queue.connection]}
            </Badge>
            <Text size="sm" visibleFrom="sm">
              {claims.sub ?? 'signed in'}
            </Text>
            <Button size="compact-sm" variant="default" onClick={() => onSignOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Stack gap="md">
          <ConnectionBanner state={queue.connection} />
          {queue.error && (
            <Alert color="red" title="The service answered with an error" role="alert" withCloseButton={false}>
              {queue.error}
            </Alert>
          )}
          <StatsTiles stats={queue.stats} />
          <QueueCharts stats={queue.stats} samples={queue.samples} />
          <QueueFilters value={filters} onChange={changeFilters} failureStatuses={queue.stats?.byFailureStatus.map((row) => row.failureStatus) ?? []} />
          <QueueTable
            items={queue.page?.items ?? []}
            total={queue.page?.total ?? 0}
            page={page}
            pageSize={pageSize}
            sort={sort}
            selected={selected}
            onSelect={setSelected}
            onPage={setPage}
            onPageSize={(size) => {
              setPageSize(size);
              setPage(0);
            }}
            onSort={(next) => {
              setSort(next);
              setPage(0);
            }}
            onOpen={setOpenEntry}
          />
          <RedrivePanel token={token} live={queue.live} selected={[...selected]} filter={apiFilter} onStarted={() => setSelected(new Set())} />
        </Stack>
      </AppShell.Main>
      <EntryDrawer token={token} orderId={openEntry} onClose={() => setOpenEntry(null)} onResolved={queue.refresh} />
    </AppShell>
  );
}
