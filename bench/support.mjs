// Helpers for bench/run.mjs: child processes, loopback checks, polling, RSS sampling and
// the printed table. Plain Node ESM so `npm run bench` needs nothing but `npm run build`.
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The bench only ever talks to this machine: refuse any other Postgres or Redis. */
export function assertLoopback(url, what) {
  const { hostname } = new URL(url);
  if (!LOOPBACK_HOSTS.has(hostname) && !/^127\.\d+\.\d+\.\d+$/.test(hostname)) {
    throw new Error(`${what} must be on loopback (127.0.0.1), got ${hostname}`);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last `limit` characters a child wrote, for the error message if it dies. */
function tail(child, limit = 16_384) {
  let text = '';
  const keep = (chunk) => {
    text = (text + chunk.toString()).slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

function track(name, child) {
  const output = tail(child);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { name, child, pid: child.pid, output, exited, stopping: false };
}

/**
 * The V8 heap settings the apps run with in production (Dockerfile, `npm start`): a small
 * young generation and an old-space cap, so V8 collects before RSS drifts past 250 MB.
 */
export const APP_NODE_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=8'];

/**
 * Extra V8 flags for the gateway, as in production (`npm start`, the Dockerfile's
 * INBOUND_NODE_FLAGS): none by default. Set INBOUND_NODE_FLAGS to compare, e.g.
 * `INBOUND_NODE_FLAGS=--single-threaded-gc node bench/run.mjs --only accept`.
 */
const INBOUND_NODE_FLAGS = (process.env.INBOUND_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Starts a built app (`node <flags> dist/apps/<app>/src/main.js`), as production does. */
export function spawnApp(app, env, nodeArgs = []) {
  const main = `${ROOT}dist/apps/${app}/src/main.js`;
  const flags =
    app === 'inbound-gateway' ? [...APP_NODE_FLAGS, ...INBOUND_NODE_FLAGS] : APP_NODE_FLAGS;
  const child = spawn(process.execPath, [...flags, ...nodeArgs, main], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(app, child);
}

/** Waits until a started app answers `/health/ready` on `port` (90 s at most). */
export function waitForReady(port, what) {
  return waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
    { timeoutMs: 90_000, what },
  );
}

/** `post(path, body)` to the admin API on `port` with `apiKey`; throws unless 201. */
export function adminPoster(port, apiKey) {
  return async (path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
}

/**
 * Forks a bench child (sink, baselines) that answers over IPC: it sends `{type:'ready', …}`
 * once it listens, and replies to `{type:X}` requests with a message of the same type.
 */
export async function forkChild(name, file, env) {
  const child = fork(file, [], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const proc = track(name, child);
  const ready = await new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type !== 'ready') return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(message);
    };
    const onExit = (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready:\n${proc.output()}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  proc.ready = ready;
  proc.ask = (type, payload = {}) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type, ...payload });
    });
  return proc;
}

export function isAlive(proc) {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

/** SIGTERM (a graceful shutdown), SIGKILL after `graceMs`. */
export async function stopChild(proc, graceMs = 10_000) {
  if (!proc || !isAlive(proc)) return;
  proc.stopping = true;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns something other than undefined. */
export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 200, what = 'condition' }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Polls `progress` (which returns `{ done, total }`) until `done >= total`; fails when no
 * progress was made for `stallMs`, so a stuck pipeline ends the run instead of hanging it.
 *
 * Once a second: a probe counts every row of the scenario, tens of milliseconds of Postgres
 * CPU on a loaded machine, and that CPU lands in the window being measured. Polled every
 * 250 ms, it was active in 35 of 104 `pg_stat_activity` samples of a processing window. The
 * scenarios take their times from row timestamps (`processed_at`, `completed_at`), so the
 * interval does not change a measured time, only the load the probe adds to it.
 */
export async function waitForProgress(progress, { stallMs = 60_000, intervalMs = 1000, what }) {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const state = await progress();
    if (state.done >= state.total) return state;
    if (state.done !== last) {
      last = state.done;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(
        `${what}: no progress for ${stallMs / 1000} s at ${state.done}/${state.total}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    };
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU ticks per second (`getconf CLK_TCK`), 100 on Linux x86 and arm64. */
const CLK_TCK = 100;

function machineTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, iowait, idle };
}

/** utime + stime of a process's main thread (the task whose tid is the pid), or null. */
function mainThreadTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: Number(fields[11]) + Number(fields[12]), started: fields[19] };
  } catch {
    return null;
  }
}

/** utime + stime of every process, with the few names the report groups by. */
function processTicks() {
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const cpu = Number(fields[11]) + Number(fields[12]);
      const started = fields[19];
      const cmdline =
        comm === 'postgres' ? readFileSync(`/proc/${entry}/cmdline`, 'utf8') : undefined;
      ticks.set(Number(entry), { comm, cmdline, cpu, started });
    } catch {
      // the process ended while we read it
    }
  }
  return ticks;
}

/**
 * Samples VmRSS of every registered process every `intervalMs`, keeping the peak over the
 * whole run and over the current window (one scenario). `final()` also reads VmHWM, the
 * kernel's exact lifetime peak, which sampling can miss between two reads. Each window also
 * gets a CPU account (in cores) by group: the registered processes, this runner (the load
 * generator), Postgres serving the bench database, the rest of Postgres, Redis, and
 * everything else on the machine.
 */
export class RssSampler {
  constructor({ intervalMs = 200, database } = {}) {
    this.procs = new Map();
    this.window = new Map();
    this.database = database;
    this.cpuMark = this.cpuSnapshot();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  add(name, pid) {
    this.procs.set(name, { pid, peakKb: 0, hwmKb: 0 });
  }

  sample() {
    for (const [name, entry] of this.procs) {
      const status = procStatus(entry.pid);
      if (!status?.rssKb) continue;
      entry.peakKb = Math.max(entry.peakKb, status.rssKb);
      entry.hwmKb = Math.max(entry.hwmKb, status.hwmKb ?? 0);
      this.window.set(name, Math.max(this.window.get(name) ?? 0, status.rssKb));
    }
  }

  cpuSnapshot() {
    const mainThreads = new Map();
    for (const [name, entry] of this.procs ?? []) {
      const ticks = mainThreadTicks(entry.pid);
      if (ticks) mainThreads.set(name, ticks);
    }
    return { at: Date.now(), machine: machineTicks(), processes: processTicks(), mainThreads };
  }

  group(pid, info) {
    for (const [name, entry] of this.procs) if (entry.pid === pid) return name;
    if (pid === process.pid) return 'bench runner (load generator)';
    if (info.comm === 'postgres') {
      return this.database && info.cmdline?.includes(this.database)
        ? 'postgres (bench db)'
        : 'postgres (other)';
    }
    if (info.comm.startsWith('redis-server')) return 'redis';
    return 'other processes';
  }

  cpuSince(mark) {
    const now = this.cpuSnapshot();
    const seconds = (now.at - mark.at) / 1000;
    const cores = (ticks) => Math.round((ticks / CLK_TCK / seconds) * 100) / 100;
    const byGroup = {};
    for (const [pid, info] of now.processes) {
      const before = mark.processes.get(pid);
      // A pid seen before (same start time) counts its growth; a new one all it used so far.
      const delta = before && before.started === info.started ? info.cpu - before.cpu : info.cpu;
      if (delta <= 0) continue;
      const group = this.group(pid, info);
      byGroup[group] = (byGroup[group] ?? 0) + delta;
    }
    // Each app's main thread (its event loop) apart from its other threads (GC, libuv, a
    // writer thread): already part of the app's figure above, not more CPU.
    for (const [name, info] of now.mainThreads) {
      const before = mark.mainThreads.get(name);
      const delta = before && before.started === info.started ? info.cpu - before.cpu : info.cpu;
      if (delta > 0) {
        byGroup[`${name} (main thread)`] = delta;
      }
    }
    return {
      seconds: Math.round(seconds * 10) / 10,
      machineBusyCores: cores(now.machine.busy - mark.machine.busy),
      iowaitCores: cores(now.machine.iowait - mark.machine.iowait),
      byGroupCores: Object.fromEntries(
        Object.entries(byGroup)
          .map(([group, ticks]) => [group, cores(ticks)])
          .filter(([, value]) => value >= 0.01)
          .sort((a, b) => b[1] - a[1]),
      ),
    };
  }

  /** Starts a new window and returns the RSS peaks (MB) and CPU of the one that ended. */
  cut() {
    this.sample();
    const rssMb = Object.fromEntries([...this.window].map(([name, kb]) => [name, mb(kb)]));
    this.window = new Map();
    const cpu = this.cpuSince(this.cpuMark);
    this.cpuMark = this.cpuSnapshot();
    return { rssMb, cpu };
  }

  /** Reads VmHWM once more (call before a process is stopped). */
  seal(name) {
    const entry = this.procs.get(name);
    if (!entry) return;
    const status = procStatus(entry.pid);
    if (status?.hwmKb) entry.hwmKb = Math.max(entry.hwmKb, status.hwmKb);
  }

  final() {
    return Object.fromEntries(
      [...this.procs].map(([name, entry]) => [
        name,
        { sampledPeakMb: mb(entry.peakKb), vmHwmMb: mb(Math.max(entry.hwmKb, entry.peakKb)) },
      ]),
    );
  }

  stop() {
    clearInterval(this.timer);
  }
}

/**
 * One line: "inbound-gateway 0.9, postgres (bench db) 0.6, …; machine busy 1.9 of 2 cores,
 * iowait 0.1 (10 s)", plus, given the items the window processed, CPU milliseconds per item
 * of each group that is part of the system under test (not "other processes").
 */
export function describeCpu(cpu, cores, items) {
  const groups = Object.entries(cpu.byGroupCores);
  let line = `${groups.map(([group, value]) => `${group} ${value}`).join(', ')}; machine busy ${cpu.machineBusyCores} of ${cores} cores, iowait ${cpu.iowaitCores} (${cpu.seconds} s)`;
  if (items > 0) {
    const perItem = groups
      .filter(([group]) => group !== 'other processes' && group !== 'postgres (other)')
      .map(([group, value]) => [group, (value * cpu.seconds * 1000) / items])
      .filter(([, ms]) => ms >= 0.01)
      .map(([group, ms]) => `${group} ${ms.toFixed(2)}`);
    line += `; CPU ms per item (${items}): ${perItem.join(', ')}`;
  }
  return line;
}

function mb(kb) {
  return Math.round((kb / 1024) * 10) / 10;
}

/** A plain-text table with `|` separators (valid Markdown, so it pastes into docs). */
export function formatTable(columns, rows) {
  const cells = rows.map((row) => columns.map((column) => String(row[column.key] ?? '')));
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, 3, ...cells.map((row) => row[i].length)),
  );
  const line = (values) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(columns.map((column) => column.title)),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...cells.map(line),
  ].join('\n');
}

/**
 * Command-line flags through node:util's parseArgs (`--flag value` or `--flag=value`;
 * an unknown flag throws). `numbers` take a positive integer, `counts` a whole number
 * (0 allowed), `strings` any value, `choices` one of the listed strings; returns the
 * flags given, converted.
 */
export function parseFlags(
  argv,
  { booleans = [], numbers = [], counts = [], strings = [], choices = {} },
) {
  const options = {};
  for (const name of booleans) options[name] = { type: 'boolean' };
  for (const name of [...numbers, ...counts, ...strings, ...Object.keys(choices)]) {
    options[name] = { type: 'string' };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  for (const [names, min, what] of [
    [numbers, 1, 'a positive integer'],
    [counts, 0, 'a whole number'],
  ]) {
    for (const name of names) {
      if (values[name] === undefined) continue;
      const n = Number(values[name]);
      if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be ${what}`);
      values[name] = n;
    }
  }
  for (const [name, allowed] of Object.entries(choices)) {
    if (values[name] !== undefined && !allowed.includes(values[name])) {
      throw new Error(`--${name} takes: ${allowed.join(', ')}`);
    }
  }
  return values;
}

/** A number for the tables: grouped thousands, `digits` decimals, `n/a` if not finite. */
export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
