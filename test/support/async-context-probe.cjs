// Preloaded into a spawned app (`NODE_OPTIONS=--require …`) by test/metrics.e2e-spec.ts.
// Prints PROBE_MARK once, with a stack, the first time the process enters an
// AsyncLocalStorage context or enables an async hook. On Node 20 either one turns on V8's
// promise hooks for the whole process, which every later promise pays for; the inbound
// gateway and the dispatcher must never do it (libs/platform logger-options.ts).
const asyncHooks = require('node:async_hooks');

const PROBE_MARK = 'ASYNC_CONTEXT_PROBE';
let reported = false;

function report(what) {
  if (reported) return;
  reported = true;
  process.stderr.write(`${PROBE_MARK} ${what}\n${new Error().stack}\n`);
}

for (const method of ['run', 'enterWith']) {
  const original = asyncHooks.AsyncLocalStorage.prototype[method];
  asyncHooks.AsyncLocalStorage.prototype[method] = function (...args) {
    report(`AsyncLocalStorage.${method}`);
    return original.apply(this, args);
  };
}

const createHook = asyncHooks.createHook;
asyncHooks.createHook = function (callbacks) {
  const hook = createHook(callbacks);
  const enable = hook.enable;
  hook.enable = function () {
    report('async_hooks.createHook().enable');
    return enable.call(this);
  };
  return hook;
};
