import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Python example (examples/publish.py) cannot be run here (no PyPI), so its job data is
 * checked where it matters: against the JSON Schema the package ships. DELIVER and PUBLISH
 * are written as JSON-compatible dict literals, one `NAME = {` line to a closing `}` line.
 */
const example = readFileSync(join(__dirname, '..', 'examples', 'publish.py'), 'utf8');
const schema = JSON.parse(
  readFileSync(join(__dirname, '..', 'src', 'job-contract.schema.json'), 'utf8'),
) as Record<string, unknown>;

function dictLiteral(name: string): unknown {
  const lines = example.split('\n');
  const start = lines.indexOf(`${name} = {`);
  const end = lines.indexOf('}', start);
  if (start < 0 || end < 0) throw new Error(`${name} = { … } not found in publish.py`);
  return JSON.parse(['{', ...lines.slice(start + 1, end), '}'].join('\n'));
}

describe('the Python bullmq example', () => {
  const ajv = new Ajv({ allErrors: true });
  ajv.addSchema(schema, 'job-contract');

  it.each([
    ['DELIVER', 'deliver'],
    ['PUBLISH', 'publish'],
  ])('%s is a valid %s job', (name, kind) => {
    const data = dictLiteral(name);
    const valid = ajv.validate(`job-contract#/definitions/${kind}`, data);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // …and not by accident: the same data under the other job name is refused.
    const other = kind === 'deliver' ? 'publish' : 'deliver';
    expect(ajv.validate(`job-contract#/definitions/${other}`, data)).toBe(false);
  });

  it('adds them to the queue and with the job names the dispatcher handles', () => {
    expect(example).toContain('Queue(\n        "outbound-requests"');
    expect(example).toContain('queue.add("deliver", DELIVER, JOB_OPTIONS)');
    expect(example).toContain('queue.add("publish", PUBLISH, JOB_OPTIONS)');
    expect(example).toContain('"removeOnFail": False');
  });
});
