import { ConnectorKindRegistry } from './connector-kind-registry';
import { GenericHttpConnectorKind } from './kinds/generic-http/generic-http.kind';
import { StripeConnectorKind } from './kinds/stripe/stripe.kind';

/**
 * The connector kinds this build ships. Every app builds its registry here, so the admin
 * API and the workers agree on the kinds; add yours with one line below.
 */
export function buildConnectorKinds(): ConnectorKindRegistry {
  return new ConnectorKindRegistry()
    .register(new GenericHttpConnectorKind())
    .register(new StripeConnectorKind());
}
