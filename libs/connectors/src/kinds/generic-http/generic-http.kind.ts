import { ConnectorKind } from '../../connector-kind';
import type { ConnectorTemplate } from '../../connector-template';
import type { ConnectorRuntime } from '../../connector.types';
import template from './generic-http.template.json';

/**
 * Any HTTP API: deliveries go to the connector's base URL with its credentials — a
 * `token` (bearer) or a `username` and `password` (basic). No inbound side.
 */
export class GenericHttpConnectorKind extends ConnectorKind {
  readonly name = 'generic-http';
  readonly description = 'Any HTTP API: the connector base URL with bearer or basic auth';
  readonly template = template as ConnectorTemplate;
  override readonly credentialKeys = ['token', 'username', 'password'];

  override configurationProblems(connector: {
    credentials: Record<string, string>;
    baseUrl: string | null;
  }): Array<{ field: string; problems: string[] }> {
    const problems: Array<{ field: string; problems: string[] }> = [];
    const { token, username, password } = connector.credentials;
    if (token !== undefined && (username !== undefined || password !== undefined))
      problems.push({
        field: 'credentials',
        problems: ['give either token (bearer) or username and password (basic), not both'],
      });
    if ((username === undefined) !== (password === undefined))
      problems.push({ field: 'credentials', problems: ['basic auth needs username and password'] });
    if (!connector.baseUrl)
      problems.push({ field: 'baseUrl', problems: ['a generic-http connector needs a baseUrl'] });
    return problems;
  }

  override outboundExtraHeaders(connector: ConnectorRuntime): Record<string, string> {
    const { token, username, password } = connector.credentials;
    if (token) return { Authorization: `Bearer ${token}` };
    if (username !== undefined && password !== undefined) {
      const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      return { Authorization: `Basic ${basic}` };
    }
    return {};
  }
}
