import { Paper, SimpleGrid, Text } from '@mantine/core';
import type { QueueStats } from '../api/operations';

function age(since: string | null): string {
  if (!since) return '—';
  const minutes = Math.max(0, Math.round((Date.now() - new Date(since).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = minutes / 60;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`;
}

/** The queue at a glance; updated from every change the subscription brings. */
export function StatsTiles({ stats }: { stats: QueueStats | null }) {
  const tiles: Array<[string, string, string]> = [
    ['Unresolved', String(stats?.unresolvedCount ?? '…'), 'stat-unresolved'],
    ['Resolved', String(stats?.resolvedCount ?? '…'), 'stat-resolved'],
    ['All entries', String(stats?.totalEntries ?? '…'), 'stat-total'],
    ['Oldest unresolved', stats ? age(stats.oldestUnresolvedAt) : '…', 'stat-oldest'],
    ['Mean retries', stats ? stats.averageRetries.toFixed(2) : '…', 'stat-retries'],
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: 5 }} spacing="sm" component="section" aria-label="Queue statistics">
      {tiles.map(([label, value, id]) => (
        <Paper key={id} withBorder p="sm" radius="md">
          <Text size="sm" c="dimmed" id={`${id}-label`}>
            {label}
          </Text>
          <Text fw={700} size="xl" data-testid={id} aria-labelledby={`${id}-label`}>
            {value}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
