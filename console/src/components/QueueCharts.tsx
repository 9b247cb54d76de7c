import { BarChart, LineChart } from '@mantine/charts';
import { Paper, SimpleGrid, Text, Title } from '@mantine/core';
import type { QueueStats } from '../api/operations';
import type { Sample } from '../views/useLiveQueue';

/** Unresolved entries by failure status, and the unresolved count over this session (one point per change). */
export function QueueCharts({ stats, samples }: { stats: QueueStats | null; samples: Sample[] }) {
  const byStatus = stats?.byFailureStatus ?? [];
  const summary = byStatus.map((row) => `${row.failureStatus}: ${row.count}`).join(', ') || 'no unresolved entries';
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
      <Paper withBorder p="sm" radius="md" component="figure" m={0} aria-labelledby="chart-status-title">
        <Title order={2} size="h5" id="chart-status-title" mb="xs">
          Unresolved by failure status
        </Title>
        {byStatus.length ? (
          <BarChart h={180} data={byStatus} dataKey="failureStatus" series={[{ name: 'count', label: 'Unresolved', color: 'orange.8' }]} tickLine="y" />
        ) : (
          <Text size="sm">No unresolved entries.</Text>
        )}
        <Text size="xs" c="dimmed" component="figcaption" data-testid="chart-status-summary">
          {summary}
        </Text>
      </Paper>
      <Paper withBorder p="sm" radius="md" component="figure" m={0} aria-labelledby="chart-time-title">
        <Title order={2} size="h5" id="chart-time-title" mb="xs">
          Unresolved over time
        </Title>
        <LineChart
          h={180}
          data={samples}
          dataKey="time"
          series={[{ name: 'unresolved', label: 'Unresolved', color: 'blue.8' }]}
          curveType="stepAfter"
          withDots={false}
        />
        <Text size="xs" c="dimmed" component="figcaption">
          {samples.length
            ? `${samples.length} ${samples.length === 1 ? 'sample' : 'samples'}, last ${samples[samples.length - 1].unresolved} unresolved`
            : 'Waiting for the first sample'}
        </Text>
      </Paper>
    </SimpleGrid>
  );
}
