import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Schemas } from '@app/client';
import { api, call } from './api';
import { Failure, Loading } from './components/common';

/**
 * What this build can do, as the server's core describes it (`GET /api/v1/capabilities`):
 * presets, signature and identity vocabularies, the rule language per direction. The
 * console builds its choices from it and keeps no copy, so a preset or a rule action added
 * in core appears here without a console edit. It only changes with a deploy: fetched once.
 */
export type Capabilities = Schemas['CapabilitiesResponse'];
export type DirectionCapabilities = Schemas['DirectionCapabilitiesResponse'];
export type ActionCapability = Schemas['ActionCapabilityResponse'];

export function useCapabilities() {
  return useQuery({
    queryKey: ['capabilities'],
    queryFn: () => call(api.GET('/api/v1/capabilities')),
    staleTime: Infinity,
    gcTime: Infinity,
  });
}

/** Renders `children` once the capabilities are in; until then a loader, or the failure. */
export function WithCapabilities({
  children,
}: {
  children: (capabilities: Capabilities) => ReactNode;
}) {
  const capabilities = useCapabilities();
  if (capabilities.isPending) return <Loading />;
  if (capabilities.isError) {
    return <Failure error={capabilities.error} onRetry={() => void capabilities.refetch()} />;
  }
  return <>{children(capabilities.data)}</>;
}
