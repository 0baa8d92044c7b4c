import concurrently from 'concurrently';
import { join } from 'node:path';

/**
 * `npm start`: the three apps in one terminal with prefixed logs; Ctrl-C (or any app
 * exiting with an error) stops them all. Each app creates the database if it is missing
 * and applies migrations under an advisory lock, so starting together is safe.
 */
const dist = join(__dirname, '..', 'apps');
/**
 * V8 heap settings the apps run with everywhere (Dockerfile, package.json, bench): a small
 * young generation and an old-space cap make V8 collect before RSS drifts past the
 * 250 MB target (docs/performance.md, "Memory").
 */
const node = 'node --max-old-space-size=192 --max-semi-space-size=8';
/**
 * Extra V8 flags for the gateway only (INBOUND_NODE_FLAGS, as in the Dockerfile); none by
 * default. `--single-threaded-gc` was the default until the end-to-end bench showed it
 * cost the gateway ~80 MB of peak RSS under load (docs/performance.md, "Latest").
 */
const inboundNode = `${node} ${process.env.INBOUND_NODE_FLAGS ?? ''}`.trim();
const apps = [
  {
    name: 'inbound',
    command: `${inboundNode} ${join(dist, 'inbound-gateway/src/main.js')}`,
    prefixColor: 'cyan',
  },
  {
    name: 'dispatcher',
    command: `${node} ${join(dist, 'outbound-dispatcher/src/main.js')}`,
    prefixColor: 'magenta',
  },
  { name: 'admin', command: `${node} ${join(dist, 'admin/src/main.js')}`, prefixColor: 'yellow' },
];

const { result } = concurrently(apps, {
  prefix: 'name',
  killOthersOn: ['failure'],
  restartTries: 0,
});
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
