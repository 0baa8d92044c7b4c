/** Injection token of the app's ConnectorKindRegistry. */
export const CONNECTOR_KINDS = Symbol('CONNECTOR_KINDS');
