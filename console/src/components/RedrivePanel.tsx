import { useEffect, useState } from 'react';
import { Alert, Button, Group, NumberInput, Paper, Progress, Stack, Text, TextInput, Title } from '@mantine/core';
import { graphqlRequest, subscribe, type LiveConnection } from '../api/client';
import { CANCEL_REDRIVE, REDRIVE_PROGRESS, START_REDRIVE, type QueueFilter, type RedriveInput, type RedriveTask } from '../api/operations';

interface Props {
  token: string;
  live: LiveConnection | null;
  selected: string[];
  filter: QueueFilter;
  onStarted: () => void;
}

const FINISHED = new Set(['COMPLETED', 'CANCELLED']);

/**
 * Bulk redrive: the selected entries (orderIds), or every unresolved entry the filters match (capped, at a rate), as a
 * task of the service; its progress comes from Subscription.deadLetterRedriveProgress.
 */
export function RedrivePanel({ token, live, selected, filter, onStarted }: Props) {
  const [cap, setCap] = useState<number | ''>(1000);
  const [rate, setRate] = useState<number | ''>(50);
  const [reasonContains, setReasonContains] = useState('');
  const [task, setTask] = useState<RedriveTask | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!task || !live || FINISHED.has(task.status)) return;
    return subscribe<{ deadLetterRedriveProgress: RedriveTask }>(
      live,
      REDRIVE_PROGRESS,
      { taskId: task.taskId },
      ({ deadLetterRedriveProgress }) => setTask(deadLetterRedriveProgress),
      (failure) => setError(failure instanceof Error ? failure.message : 'The progress feed failed'),
    );
    // One subscription per task (keyed by its id): progress updates of the same task must not resubscribe.
  }, [task?.taskId, live]);

  const start = async (input: RedriveInput) => {
    setBusy(true);
    setError(null);
    try {
      const { startDeadLetterRedrive } = await graphqlRequest<{ startDeadLetterRedrive: RedriveTask }>(token, START_REDRIVE, { input });
      setTask(startDeadLetterRedrive);
      onStarted();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const pace = () => ({ ...(rate === '' ? {} : { ratePerSecond: rate }) });
  const redriveSelected = () => start({ orderIds: selected, ...pace() });
  const redriveFiltered = () =>
    start({
      ...(filter.failureStatus ? { failureStatus: filter.failureStatus } : {}),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
      ...(filter.olderThanHours !== undefined ? { olderThanHours: filter.olderThanHours } : {}),
      ...(reasonContains.trim() ? { reasonContains: reasonContains.trim() } : {}),
      ...(cap === '' ? {} : { cap }),
      ...pace(),
    });
  const cancel = async () => {
    if (!task) return;
    try {
      const { cancelDeadLetterRedrive } = await graphqlRequest<{ cancelDeadLetterRedrive: RedriveTask }>(token, CANCEL_REDRIVE, { taskId: task.taskId });
      setTask(cancelDeadLetterRedrive);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  const processed = task ? task.done + task.failed : 0;
  const percent = task ? (task.total === 0 ? 100 : Math.round((processed / task.total) * 100)) : 0;

  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-labelledby="redrive-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="redrive-title">
          Redrive
        </Title>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NumberInput label="Rate (entries/s)" min={1} max={500} value={rate} onChange={(next) => setRate(typeof next === 'number' ? next : '')} w={140} />
          <Button onClick={redriveSelected} disabled={selected.length === 0} loading={busy} data-testid="redrive-selected">
            Redrive selected ({selected.length})
          </Button>
        </Group>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Reason contains"
            value={reasonContains}
            onChange={(event) => setReasonContains(event.currentTarget.value)}
            maxLength={200}
            w={180}
          />
          <NumberInput label="Cap" min={1} max={10000} value={cap} onChange={(next) => setCap(typeof next === 'number' ? next : '')} w={110} />
          <Button variant="light" onClick={redriveFiltered} loading={busy} data-testid="redrive-filtered">
            Redrive filtered
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          Each entry is resolved as a manual retry by you. “Redrive filtered” takes the unresolved entries matching the filters above, newest first, up to the
          cap.
        </Text>
        {error && (
          <Alert color="red" title="Redrive" role="alert">
            {error}
          </Alert>
        )}
        {task && (
          <Stack gap={4} data-testid="redrive-progress" data-status={task.status}>
            <Progress value={percent} size="lg" aria-label="Redrive progress" animated={!FINISHED.has(task.status)} />
            <Group justify="space-between" wrap="wrap">
              <Text size="sm" role="status" data-testid="redrive-progress-text">
                {task.status.toLowerCase()} · {percent} % · {task.done} done, {task.failed} failed of {task.total}
              </Text>
              {!FINISHED.has(task.status) && (
                <Button size="compact-sm" variant="default" onClick={cancel}>
                  Cancel redrive
                </Button>
              )}
            </Group>
            {task.failures.slice(0, 5).map((failure) => (
              <Text size="xs" key={failure.orderId}>
                {failure.orderId}: {failure.code} — {failure.message}
              </Text>
            ))}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
