#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `node bench/run.mjs --cpu-prof` or node --cpu-prof):
// self time by function and by package, so docs/performance.md can quote the top frames.
//
//   node bench/profile-summary.mjs <file.cpuprofile>... [--top N]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;

/** Which package or area a frame's URL belongs to. */
function areaOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `hookgate ${url
      .slice(dist + 6)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  return url.replace(/^file:\/\//, '');
}

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const frames = new Map();
  const areas = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') continue;
    const short = url ? url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '') : '';
    const key = `${name} ${short}${short ? `:${lineNumber + 1}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    const area = areaOf(url, name);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const busy =
    total -
    (selfUs.get([...byId.values()].find((n) => n.callFrame.functionName === '(idle)')?.id) ?? 0);
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  console.log(
    `\n${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s on CPU (not idle); (program) and GC included`,
  );
  console.log(`  by area (self time, share of on-CPU):`);
  for (const [area, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`    ${pct(us)}  ${area}`);
  }
  console.log(`  top ${top} frames (self time):`);
  for (const [key, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`    ${pct(us)}  ${key}`);
  }
}
