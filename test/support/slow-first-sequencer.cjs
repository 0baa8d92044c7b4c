// Jest's sequencer runs the longest suites first when its cache knows their durations; on a
// clean clone (CI) it has none and falls back to file size, which started the 75 s
// adversarial admin suite last, leaving the other worker idle for most of it. Suites
// known to be long go first when the cache has no time for them; otherwise Jest's order.
const { basename } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Longest first, as measured in `npm test` (seconds, 2-core host, 2026-12-06). */
const KNOWN_LONG = [
  // The chaos run (in band, one database) first: its probe reads every table after each
  // request, so behind the other chaos suites' rows it took 55 s instead of ~25 s.
  'adversarial-admin.chaos-spec.ts',
  'adversarial.e2e-spec.ts', // ~78
  'crash.e2e-spec.ts', // ~17 (dispatcher and gateway)
  'retention.e2e-spec.ts', // ~17
  'metrics.e2e-spec.ts', // ~17
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (test) => (test.duration == null ? KNOWN_LONG.indexOf(basename(test.path)) : -1);
    const first = sorted.filter((test) => rank(test) !== -1).sort((a, b) => rank(a) - rank(b));
    return [...first, ...sorted.filter((test) => rank(test) === -1)];
  }
}

module.exports = SlowFirstSequencer;
