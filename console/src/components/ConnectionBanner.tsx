import { Alert, Loader, Group, Text } from '@mantine/core';
import type { ConnectionState } from '../api/client';

/** Shown while the live connection is down; graphql-ws keeps retrying, and the banner goes when it is back. */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
  if (state !== 'disconnected') return null;
  return (
    <Alert color="orange" variant="filled" role="alert" data-testid="connection-banner" title="Disconnected — reconnecting…">
      <Group gap="xs">
        <Loader size="xs" color="white" aria-hidden />
        <Text size="sm">Live updates are paused; the table and statistics are read again as soon as the connection is back.</Text>
      </Group>
    </Alert>
  );
}
