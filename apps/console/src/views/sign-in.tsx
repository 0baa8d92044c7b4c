import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { useAuth } from '../auth';

/** Sign in with an API key; the key stays in this tab's sessionStorage only. */
export function SignInView() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
      const next = params.get('next');
      void navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', {
        replace: true,
      });
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? 'This key is unknown or revoked.'
          : `Sign-in failed: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" component="main">
      <Paper withBorder p="xl" w={420} shadow="sm">
        <form onSubmit={(event) => void submit(event)}>
          <Stack>
            <Title order={1} size="h3">
              Hookgate console
            </Title>
            <Text size="sm" c="dimmed">
              Sign in with an admin or operator API key. It is kept for this browser tab only.
            </Text>
            <PasswordInput
              label="API key"
              value={key}
              onChange={(event) => setKey(event.currentTarget.value)}
              required
              autoFocus
              autoComplete="off"
              error={error ?? undefined}
            />
            {error ? null : (
              <Alert color="gray" variant="light">
                No key yet? Start the admin app with <code>ADMIN_API_KEY</code> set: that key is an
                admin key of the default tenant.
              </Alert>
            )}
            <Button type="submit" loading={busy} disabled={!key.trim()}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
