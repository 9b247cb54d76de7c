import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import '@mantine/notifications/styles.css';
import './console.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { setNonce } from 'get-nonce';
import { App } from './App';
import { pageMeta } from './session';

// Mantine writes its CSS variables and responsive styles in <style> elements: they carry the nonce the service put in
// this page's CSP (style-src 'self' 'nonce-…'), so no 'unsafe-inline' is needed.
const nonce = pageMeta('csp-nonce');
// The scroll lock of drawers and modals (react-remove-scroll) writes a <style> element too: it takes its nonce here.
if (nonce) setNonce(nonce);

// A darker primary shade and dimmed text than the defaults: white on buttons and grey on white keep 4.5:1 (WCAG AA).
const theme = createTheme({ primaryColor: 'blue', primaryShade: 8 });
const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: { '--mantine-color-dimmed': resolved.colors.gray[7] },
  dark: {},
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce ?? ''} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      <Notifications position="top-right" />
      <App />
    </MantineProvider>
  </StrictMode>,
);
