import { useState, type FormEvent } from 'react';
import { Alert, Button, Container, Divider, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { normalizeToken, pageMeta } from '../session';

interface Props {
  onSignIn: (token: string) => void;
  /** Why the supervisor is here again (session expired, token refused). */
  notice: string | null;
}

/** Paste a bearer token; in local mode also a one-click dev sign-in (POST /console/dev-session signs one). */
export function SignIn({ onSignIn, notice }: Props) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const devSignIn = pageMeta('wms-dev-sign-in') === 'on';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = normalizeToken(value);
    if (token.split('.').length !== 3) {
      setError('That is not a JWT: expected three dot-separated parts.');
      return;
    }
    onSignIn(token);
  };

  const signInForDev = async () => {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/console/dev-session', { method: 'POST' });
      if (!response.ok) throw new Error(`the service answered ${response.status}`);
      const { token } = (await response.json()) as { token: string };
      onSignIn(token);
    } catch (failure) {
      setError(`Dev sign-in failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size={480} py="xl" component="main">
      <Paper withBorder shadow="sm" p="lg" radius="md">
        <Stack>
          <Title order={1} size="h2">
            Supervisors&apos; console
          </Title>
          <Text>Dead letter queue of the WMS Order Service. Sign in with a token that has the dlq:read scope (dlq:resolve to resolve and redrive).</Text>
          {notice && (
            <Alert color="yellow" title="Signed out" role="status">
              {notice}
            </Alert>
          )}
          <form onSubmit={submit} aria-label="Sign in with a token">
            <Stack>
              <Textarea
                label="Bearer token"
                description="Paste the JWT (with or without “Bearer ”). It is kept in this tab only."
                value={value}
                onChange={(event) => setValue(event.currentTarget.value)}
                autosize
                minRows={3}
                maxRows={8}
                required
                error={error}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              <Button type="submit">Sign in</Button>
            </Stack>
          </form>
          {devSignIn && (
            <>
              <Divider label="Local mode" labelPosition="center" />
              <Button variant="light" onClick={signInForDev} loading={busy}>
                Dev sign-in
              </Button>
              <Text size="sm" c="dimmed">
                Signs a 30-minute token for tenant default (dlq:read, dlq:resolve, orders:read) with this machine&apos;s local key.
              </Text>
            </>
          )}
        </Stack>
      </Paper>
    </Container>
  );
}
