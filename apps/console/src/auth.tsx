import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Schemas } from '@app/client';
import { api, call, keyStore } from './api';

/**
 * Who is signed in: the key (sessionStorage) and what `/me` says about it. Views ask
 * `useCan('configure')` to show configuration controls to admin keys only; the server
 * refuses the same writes to an operator key whatever the UI shows.
 */
type Principal = Schemas['PrincipalResponse'];

interface Auth {
  principal: Principal | undefined;
  loading: boolean;
  signIn(key: string): Promise<Principal>;
  signOut(): void;
}

const AuthContext = createContext<Auth | undefined>(undefined);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [hasKey, setHasKey] = useState(() => keyStore.get() !== undefined);
  const me = useQuery({
    queryKey: ['me'],
    queryFn: () => call(api.GET('/api/v1/me')),
    enabled: hasKey,
    retry: false,
    staleTime: Infinity,
  });
  const signOut = useCallback(() => {
    keyStore.clear();
    setHasKey(false);
    queryClient.clear();
  }, [queryClient]);
  const signIn = useCallback(
    async (key: string) => {
      keyStore.set(key);
      try {
        const principal = await call(api.GET('/api/v1/me'));
        queryClient.setQueryData(['me'], principal);
        setHasKey(true);
        return principal;
      } catch (error) {
        keyStore.clear();
        throw error;
      }
    },
    [queryClient],
  );
  const value = useMemo<Auth>(
    () => ({
      principal: hasKey ? me.data : undefined,
      loading: hasKey && me.isPending,
      signIn,
      signOut,
    }),
    [hasKey, me.data, me.isPending, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** Configuration (endpoints, handlers, keys) needs an admin key. */
export function useCanConfigure(): boolean {
  return useAuth().principal?.role === 'admin';
}
