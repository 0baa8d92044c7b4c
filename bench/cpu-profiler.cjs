// Preloaded into the apps by `node bench/run.mjs --cpu-prof` (node --require): each SIGWINCH
// (not SIGUSR2: NestJS's shutdown hooks treat that one as a stop signal)
// starts or stops a V8 CPU profile, so the runner profiles exactly one scenario window.
// A stopped profile is written to $BENCH_PROFILE_DIR/<BENCH_APP_NAME>-<n>.cpuprofile,
// which the runner renames after the scenario. Node's own --cpu-prof only writes at exit.
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
const app = process.env.BENCH_APP_NAME ?? `pid${process.pid}`;
const session = new Session();
session.connect();
let running = false;
let count = 0;

session.post('Profiler.enable', () => {
  session.post('Profiler.setSamplingInterval', { interval: 500 });
});

process.on('SIGWINCH', () => {
  if (!running) {
    running = true;
    session.post('Profiler.start');
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error || !dir) return;
    count += 1;
    writeFileSync(join(dir, `${app}-${count}.cpuprofile`), JSON.stringify(result.profile));
  });
});
