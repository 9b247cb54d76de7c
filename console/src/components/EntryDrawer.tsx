import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Drawer, Group, Loader, SegmentedControl, Stack, Table, Text, Textarea, Timeline, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { graphqlRequest } from '../api/client';
import { ENTRY_DETAIL, RESOLVE_ENTRY, type EntryDetail, type Resolution } from '../api/operations';
import { ATTENTION, OK } from '../colors';

interface Props {
  token: string;
  orderId: string | null;
  onClose: () => void;
  /** After a resolution: the queue reads itself again (the subscription would bring it too, this is sooner). */
  onResolved: () => void;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

const RESOLUTIONS: Array<{ value: Resolution; label: string }> = [
  { value: 'MANUAL_RETRY', label: 'Manual retry' },
  { value: 'CANCELLED', label: 'Cancel order' },
  { value: 'ESCALATED', label: 'Escalate' },
];

/** One entry: the order as it stood, its failed attempts, earlier entries, and the resolution form. */
export function EntryDrawer({ token, orderId, onClose, onResolved }: Props) {
  const [entry, setEntry] = useState<EntryDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resolution, setResolution] = useState<Resolution>('MANUAL_RETRY');
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setEntry(null);
    setError(null);
    setNotes('');
    setResolution('MANUAL_RETRY');
    if (!orderId) return;
    let current = true;
    graphqlRequest<{ deadLetterEntry: EntryDetail }>(token, ENTRY_DETAIL, { orderId })
      .then(({ deadLetterEntry }) => current && setEntry(deadLetterEntry))
      .catch((failure: Error) => current && setError(failure.message));
    return () => {
      current = false;
    };
  }, [token, orderId]);

  const resolve = async (event: FormEvent) => {
    event.preventDefault();
    if (!entry) return;
    setBusy(true);
    setError(null);
    try {
      await graphqlRequest(token, RESOLVE_ENTRY, { orderId: entry.orderId, resolution, notes: notes.trim() || undefined });
      notifications.show({ color: 'green', title: 'Resolved', message: `${entry.orderId}: ${RESOLUTIONS.find((r) => r.value === resolution)?.label}` });
      onResolved();
      onClose();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer
      opened={orderId !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={`Entry ${orderId ?? ''}`}
      closeButtonProps={{ 'aria-label': 'Close the entry' }}
    >
      {!entry && !error && <Loader aria-label="Loading the entry" />}
      {error && (
        <Alert color="red" title="Could not complete" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      {entry && (
        <Stack gap="md" data-testid="entry-detail">
          <Group gap="xs">
            <Badge color={entry.resolved ? OK : ATTENTION} variant="filled">
              {entry.resolved ? `resolved: ${entry.resolution?.toLowerCase()}` : 'unresolved'}
            </Badge>
            <Text size="sm">Moved {when(entry.createdAt)}</Text>
          </Group>
          <Text>
            <strong>{entry.failureStatus}</strong>: {entry.failureReason}
          </Text>

          <section aria-labelledby="snapshot-title">
            <Title order={3} size="h5" id="snapshot-title" mb={4}>
              Order snapshot
            </Title>
            <Table variant="vertical" withTableBorder layout="fixed">
              <Table.Tbody>
                {(
                  [
                    ['Order', entry.originalOrder.id],
                    ['Customer', entry.originalOrder.customerId],
                    ['Status', entry.originalOrder.status],
                    ['Priority', entry.originalOrder.priority],
                    ['Promised', when(entry.originalOrder.promisedDeliveryAt)],
                    ['Wave', entry.originalOrder.waveId ?? '—'],
                    ['Ships to', `${entry.originalOrder.shippingAddress.city}, ${entry.originalOrder.shippingAddress.country}`],
                    [
                      'Lines',
                      entry.originalOrder.items.map((item) => `${item.quantity} × ${item.sku}${item.productName ? ` (${item.productName})` : ''}`).join(', '),
                    ],
                    ['Totals', `${entry.originalOrder.totalQuantity} units, ${entry.originalOrder.totalValue.toFixed(2)} value`],
                    ['Version', String(entry.originalOrder.version)],
                  ] as const
                ).map(([label, value]) => (
                  <Table.Tr key={label}>
                    <Table.Th w={140}>{label}</Table.Th>
                    <Table.Td className="console-mono">{value}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </section>

          <section aria-labelledby="retries-title">
            <Title order={3} size="h5" id="retries-title" mb={4}>
              Retry history ({entry.retryHistory.length})
            </Title>
            {entry.retryHistory.length === 0 ? (
              <Text size="sm">No failed attempts recorded.</Text>
            ) : (
              <Timeline bulletSize={14} lineWidth={2}>
                {entry.retryHistory.map((attempt) => (
                  <Timeline.Item key={attempt.attempt} title={`Attempt ${attempt.attempt} — ${attempt.failureStatus}`}>
                    <Text size="sm">{attempt.failureReason}</Text>
                    <Text size="xs" c="dimmed">
                      {when(attempt.failedAt)}
                      {attempt.workflowId ? ` · workflow ${attempt.workflowId}` : ''}
                    </Text>
                  </Timeline.Item>
                ))}
              </Timeline>
            )}
          </section>

          <section aria-labelledby="resolutions-title">
            <Title order={3} size="h5" id="resolutions-title" mb={4}>
              Resolution history
            </Title>
            {entry.history.length === 0 && !entry.resolved && <Text size="sm">Never resolved: this is the order&apos;s first time in the queue.</Text>}
            <Stack gap={4}>
              {[...entry.history, ...(entry.resolved ? [entry] : [])].map((past, index) => (
                <Text size="sm" key={`${past.createdAt}-${index}`}>
                  {when(past.createdAt)} · {past.failureStatus} → {past.resolution?.toLowerCase() ?? 'unresolved'} by {past.resolvedBy ?? '—'} at{' '}
                  {when(past.resolvedAt)}
                  {past.notes ? ` — “${past.notes}”` : ''}
                </Text>
              ))}
            </Stack>
          </section>

          {!entry.resolved && (
            <form onSubmit={resolve} aria-labelledby="resolve-title">
              <Stack gap="sm">
                <Title order={3} size="h5" id="resolve-title">
                  Resolve
                </Title>
                <SegmentedControl
                  data={RESOLUTIONS}
                  value={resolution}
                  onChange={(next) => setResolution(next as Resolution)}
                  aria-label="Resolution"
                  fullWidth
                />
                <Textarea
                  label="Notes"
                  description={resolution === 'CANCELLED' ? 'Becomes the cancellation reason.' : 'Kept with the resolution (at most 2000 characters).'}
                  maxLength={2000}
                  value={notes}
                  onChange={(event) => setNotes(event.currentTarget.value)}
                  autosize
                  minRows={2}
                />
                <Button type="submit" loading={busy} color={resolution === 'CANCELLED' ? 'red.8' : undefined}>
                  Resolve as {RESOLUTIONS.find((r) => r.value === resolution)?.label.toLowerCase()}
                </Button>
              </Stack>
            </form>
          )}
        </Stack>
      )}
    </Drawer>
  );
}
