import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { useAuth } from './auth';
import { Loading } from './components/common';
import { ApiKeysView } from './views/api-keys';
import { AuditView } from './views/audit';
import { ConnectorDetailView, ConnectorsView } from './views/connectors';
import { DeliveriesView, DeliveryDetailView } from './views/deliveries';
import { EventDetailView, EventsView } from './views/events';
import { HandlerDetailView, HandlersView } from './views/handlers';
import { InboundEndpointsView } from './views/inbound-endpoints';
import { OutboundEndpointsView } from './views/outbound-endpoints';
import { OverviewView } from './views/overview';
import { RecordTriggersView } from './views/record-triggers';
import { RecordsView } from './views/records';
import { SignInView } from './views/sign-in';
import { TenantsView } from './views/tenants';

/** The console's routes (under /console) and its frame: navigation, the key's role, sign-out. */
/** What a role's key may open: a publisher key (a backend service's) reads deliveries only. */
function visibleTo(item: { to: string; adminOnly?: boolean }, role: string | undefined): boolean {
  if (role === 'publisher') return item.to === '/deliveries';
  return !item.adminOnly || role === 'admin';
}

const NAV: Array<{ to: string; label: string; adminOnly?: boolean }> = [
  { to: '/', label: 'Overview' },
  { to: '/events', label: 'Inbound events' },
  { to: '/deliveries', label: 'Deliveries' },
  { to: '/inbound-endpoints', label: 'Inbound endpoints' },
  { to: '/outbound-endpoints', label: 'Outbound endpoints' },
  { to: '/handlers', label: 'Handlers & rules' },
  { to: '/connectors', label: 'Connectors' },
  { to: '/records', label: 'Records' },
  { to: '/record-triggers', label: 'Record triggers' },
  { to: '/api-keys', label: 'API keys', adminOnly: true },
  { to: '/tenants', label: 'Tenants', adminOnly: true },
  { to: '/audit', label: 'Audit log' },
];

function Shell({ children }: { children: ReactNode }) {
  const { principal, signOut } = useAuth();
  const [opened, { toggle }] = useDisclosure();
  const location = useLocation();
  const isActive = (to: string) =>
    to === '/' ? location.pathname === '/' : location.pathname.startsWith(to);
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4">
              Hookgate
            </Title>
          </Group>
          <Group gap="sm">
            <Text size="sm" data-testid="principal-name">
              {principal?.name}
            </Text>
            <Badge data-testid="principal-role">{principal?.role}</Badge>
            <Button size="xs" variant="subtle" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          {NAV.filter((item) => visibleTo(item, principal?.role)).map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              active={isActive(item.to)}
              aria-current={isActive(item.to) ? 'page' : undefined}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}

export function App() {
  const { principal, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading label="Checking the key…" />;
  if (!principal) {
    return (
      <Routes>
        <Route path="/sign-in" element={<SignInView />} />
        <Route
          path="*"
          element={
            <Navigate
              to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`}
              replace
            />
          }
        />
      </Routes>
    );
  }
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<OverviewView />} />
        <Route path="/events" element={<EventsView />} />
        <Route path="/events/:id" element={<EventDetailView />} />
        <Route path="/deliveries" element={<DeliveriesView />} />
        <Route path="/deliveries/:id" element={<DeliveryDetailView />} />
        <Route path="/inbound-endpoints" element={<InboundEndpointsView />} />
        <Route path="/outbound-endpoints" element={<OutboundEndpointsView />} />
        <Route path="/handlers" element={<HandlersView />} />
        <Route path="/handlers/:id" element={<HandlerDetailView />} />
        <Route path="/connectors" element={<ConnectorsView />} />
        <Route path="/connectors/:id" element={<ConnectorDetailView />} />
        <Route path="/records" element={<RecordsView />} />
        <Route path="/record-triggers" element={<RecordTriggersView />} />
        <Route path="/api-keys" element={<ApiKeysView />} />
        <Route path="/tenants" element={<TenantsView />} />
        <Route path="/audit" element={<AuditView />} />
        <Route path="/sign-in" element={<Navigate to="/" replace />} />
        <Route path="*" element={<Text>No such page.</Text>} />
      </Routes>
    </Shell>
  );
}
