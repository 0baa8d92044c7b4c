import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { describeCapabilities } from '@app/core';

/**
 * The console keeps no copy of what core knows (issue 22): it builds its preset, signature,
 * identity and rule choices from `GET /api/v1/capabilities`. This reads every string
 * literal of apps/console/src with TypeScript's parser and fails on
 * - any literal that is a word of a distinctive vocabulary of core (a preset, a rule
 *   action, an operator, a signed part kind, an identity policy, …), so neither a list
 *   nor a `rule.action === 'forward'` can come back; and
 * - any list (array literal, or `new Set([...])`) holding three or more words of one
 *   vocabulary, which catches copies of the lists made of ordinary words too (condition
 *   sources like `payload`, transforms like `string`, which the console also uses for
 *   other things one at a time).
 * The vocabularies are read from core's own description, so a preset or action added
 * later is covered with no edit here.
 */
const ROOT = join(__dirname, '..');
const CONSOLE = join(ROOT, 'apps/console/src');

/**
 * Words of the distinctive vocabularies that mean something else in the console, each
 * with what. The list may only shrink: an entry the console no longer uses fails.
 */
const OTHER_MEANINGS: Record<string, string> = {
  done: 'an event and delivery state (events, deliveries views)',
  dead_letter: 'an event and delivery state (events, deliveries views)',
  cancel: 'the deliveries view’s bulk action',
  none: 'the “no signature” choice, an outbound signing or auth type, an execution-log mode',
  path: 'a form and filter field name (identity policy field, event path)',
  header: 'a form field name (identity policy field, API key placement)',
  method: "an outbound endpoint's field name",
  'standard-webhooks': 'an outbound signing type (the outbound endpoint form)',
};

type Vocabularies = Record<string, readonly string[]>;

function vocabularies(): { distinctive: Vocabularies; ordinary: Vocabularies } {
  const c = describeCapabilities();
  const { inbound, outbound } = c.rules;
  return {
    distinctive: {
      preset: c.signature.presets.map((p) => p.name),
      'rule action': [...inbound.actions, ...outbound.actions].map((a) => a.name),
      'condition operator': c.rules.operators.map((o) => o.operator),
      'signed part kind': c.signature.partKinds.map((k) => k.value),
      'identity policy': [...c.identity.delivery, ...c.identity.replay].map((p) => p.value),
      'header format': c.signature.headerFormats.map((f) => f.value),
      'timestamp format': c.freshness.timestampFormats,
      digest: c.signature.digests,
      'signature encoding': c.signature.encodings,
      'secret encoding': c.signature.secretEncodings,
      'HTTP method': c.request.methods,
      handshake: c.handshakes.map((h) => h.name),
    },
    ordinary: {
      'inbound condition source': inbound.conditionSources,
      'outbound condition source': outbound.conditionSources,
      'inbound value source': inbound.valueSources,
      'outbound value source': outbound.valueSources,
      'body mode': c.request.bodyModes,
      transform: c.rules.transforms,
    },
  };
}

interface Literal {
  file: string;
  line: number;
  text: string;
  /** The string literals of the list it is an element of (itself included), and its line. */
  list?: { texts: string[]; line: number };
}

function literalsOf(file: string, source: string): Literal[] {
  const tsx = file.endsWith('.tsx');
  const sf = ts.createSourceFile(
    file,
    source,
    ts.ScriptTarget.Latest,
    true,
    tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found: Literal[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const parent = node.parent;
      const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
      const list = ts.isArrayLiteralExpression(parent)
        ? {
            texts: parent.elements.filter(ts.isStringLiteralLike).map((e) => e.text),
            line: lineOf(parent),
          }
        : undefined;
      found.push({
        file,
        line: lineOf(node),
        text: node.text,
        list,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** What the rules find wrong in some sources: one line per offence. */
function offences(files: Array<{ file: string; source: string }>): string[] {
  const { distinctive, ordinary } = vocabularies();
  const found: string[] = [];
  for (const { file, source } of files) {
    for (const literal of literalsOf(file, source)) {
      const at = `${literal.file}:${literal.line}`;
      for (const [name, words] of Object.entries(distinctive)) {
        if (words.includes(literal.text) && !(literal.text in OTHER_MEANINGS)) {
          found.push(`${at}: "${literal.text}" is a ${name} (core's capabilities)`);
        }
      }
      if (!literal.list) continue;
      for (const [name, words] of Object.entries({ ...distinctive, ...ordinary })) {
        const copied = [...new Set(literal.list.texts.filter((text) => words.includes(text)))];
        if (copied.length >= 3) {
          found.push(
            `${literal.file}:${literal.list.line}: a list of ${copied.length} ${name}s (${copied.join(', ')})`,
          );
        }
      }
    }
  }
  return [...new Set(found)];
}

function consoleSources(dir = CONSOLE): Array<{ file: string; source: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return consoleSources(path);
    if (!/\.tsx?$/.test(name)) return [];
    return [{ file: relative(ROOT, path), source: readFileSync(path, 'utf8') }];
  });
}

describe('the console keeps no copy of core’s vocabularies', () => {
  const sources = consoleSources();

  it('reads the console’s sources', () => {
    expect(sources.map((s) => s.file)).toEqual(
      expect.arrayContaining([
        'apps/console/src/views/inbound-endpoint-form.tsx',
        'apps/console/src/components/rule-form.tsx',
        'apps/console/src/views/outbound-endpoint-form.tsx',
      ]),
    );
  });

  it('holds no preset, action, operator or other word of core’s vocabularies, and no list of them', () => {
    expect(offences(sources)).toEqual([]);
  });

  it('uses each word it excuses, with the other meaning it names', () => {
    const used = new Set(
      sources.flatMap(({ file, source }) => literalsOf(file, source)).map((l) => l.text),
    );
    expect(Object.keys(OTHER_MEANINGS).filter((word) => !used.has(word))).toEqual([]);
  });

  it('catches the copies the console used to keep', () => {
    const old = `
      const PRESETS = [{ value: 'github', label: 'GitHub' }, { value: 'custom', label: 'Custom' }];
      const ACTIONS = { inbound: ['done', 'dead_letter', 'retry'] };
      const SOURCES = { outbound: ['payload', 'event', 'context', 'endpoint'] };
      const NO_VALUE = new Set(['exists', 'not exists']);
      const RECORD = new Set(['create_record', 'update_record', 'upsert_record']);
      const show = (rule: { action: string }) => rule.action === 'forward';
    `;
    const found = offences([{ file: 'old.tsx', source: old }]);
    expect(found.sort()).toEqual(
      [
        'old.tsx:2: "github" is a preset (core\'s capabilities)',
        'old.tsx:3: "retry" is a rule action (core\'s capabilities)',
        'old.tsx:3: a list of 3 rule actions (done, dead_letter, retry)',
        'old.tsx:4: a list of 4 outbound condition sources (payload, event, context, endpoint)',
        'old.tsx:4: a list of 3 outbound value sources (payload, event, context)',
        'old.tsx:5: "exists" is a condition operator (core\'s capabilities)',
        'old.tsx:5: "not exists" is a condition operator (core\'s capabilities)',
        'old.tsx:6: "create_record" is a rule action (core\'s capabilities)',
        'old.tsx:6: "update_record" is a rule action (core\'s capabilities)',
        'old.tsx:6: "upsert_record" is a rule action (core\'s capabilities)',
        'old.tsx:6: a list of 3 rule actions (create_record, update_record, upsert_record)',
        'old.tsx:7: "forward" is a rule action (core\'s capabilities)',
      ].sort(),
    );
  });
});
