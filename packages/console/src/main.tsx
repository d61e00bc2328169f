import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { SessionProvider } from './lib/session-context.js';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    // A 4xx will not change on a retry; the message is shown at once instead.
    // Figures move with every event at any till: a screen shows what it has at once and reads
    // again each time it opens (staleTime 0), never a minute-old count as current.
    queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0 },
    mutations: { retry: false },
  },
});

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <App />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
