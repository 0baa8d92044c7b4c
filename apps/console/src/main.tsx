import '@mantine/core/styles.css';
import {
  Alert,
  Anchor,
  Badge,
  Drawer,
  MantineProvider,
  Modal,
  createTheme,
  type CSSVariablesResolver,
} from '@mantine/core';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { ApiError, keyStore } from './api';
import { App } from './App';
import { AuthProvider } from './auth';

/** A revoked or unknown key signs the tab out: the next screen is the sign-in form. */
function signOutOn401(error: unknown): void {
  if (error instanceof ApiError && error.status === 401 && keyStore.get()) {
    keyStore.clear();
    window.location.assign(`${import.meta.env.BASE_URL}sign-in`);
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: signOutOn401 }),
  mutationCache: new MutationCache({ onError: signOutOn401 }),
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/**
 * Contrast first (the views must pass axe): darker shades than Mantine's defaults, and
 * badges as a coloured dot beside dark text rather than coloured text, underlined links.
 */
const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'sm',
  components: {
    // Never truncated to an ellipsis in a narrow table column.
    Badge: Badge.extend({
      defaultProps: { variant: 'dot' },
      styles: { root: { minWidth: 'max-content' } },
    }),
    // Links are told apart from text by more than colour.
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Alert titles in the body text colour: the colour and the border carry the tone.
    Alert: Alert.extend({ styles: { title: { color: 'var(--mantine-color-text)' } } }),
    // The close buttons are icons: give them a name.
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});
/**
 * Secondary text and field errors darker than Mantine's defaults, for WCAG AA contrast on
 * white (the default error red is 3.3:1; the API's messages under fields must be legible).
 */
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-8)',
  },
  dark: {},
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={resolver}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter basename={import.meta.env.BASE_URL.replace(/\/$/, '')}>
          <AuthProvider>
            <App />
          </AuthProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
