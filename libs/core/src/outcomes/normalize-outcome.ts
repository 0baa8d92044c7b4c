import type { Direction } from '../rules/rule.types';
import { BODY_MODES, HTTP_METHODS, type OutboundRequest } from '../request/request.types';
import type { InboundOutcome, Outcome, OutboundOutcome } from './outcome.types';

/**
 * Turns whatever a callback returned into a valid outcome. A callback is user code: it
 * may return nothing, a hand-built object with a typo, or `send` from an inbound handler.
 * None of these may crash the worker or be applied half-understood, so each becomes a
 * `dead_letter` whose reason tells the operator what the callback returned. (A callback
 * that throws is different: the app stores the error and its stack.)
 *
 * The result is always a fresh object holding only the known fields of its variant.
 */
export function normalizeOutcome(value: unknown, direction: 'inbound'): InboundOutcome;
export function normalizeOutcome(value: unknown, direction: 'outbound'): OutboundOutcome;
export function normalizeOutcome(value: unknown, direction: Direction): Outcome;
export function normalizeOutcome(value: unknown, direction: Direction): Outcome {
  if (value === undefined || value === null) {
    return { type: 'dead_letter', reason: 'callback returned no outcome' };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return invalid(`callback returned ${describe(value)} instead of an outcome`);
  }
  const candidate = value as Record<string, unknown>;
  const type = candidate.type;
  switch (type) {
    case 'done':
      if (candidate.note !== undefined && typeof candidate.note !== 'string') {
        return invalid('done outcome has a non-string note');
      }
      return candidate.note === undefined ? { type } : { type, note: candidate.note };
    case 'dead_letter':
      if (typeof candidate.reason !== 'string' || candidate.reason === '') {
        return invalid('dead_letter outcome needs a reason');
      }
      return { type, reason: candidate.reason };
    case 'retry': {
      const seconds = candidate.seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return invalid(`retry outcome needs seconds ≥ 0, got ${describe(seconds)}`);
      }
      return { type, seconds };
    }
    case 'cancel':
      if (candidate.reason !== undefined && typeof candidate.reason !== 'string') {
        return invalid('cancel outcome has a non-string reason');
      }
      return candidate.reason === undefined ? { type } : { type, reason: candidate.reason };
    case 'send': {
      if (direction === 'inbound') {
        return invalid(
          'send is an outbound outcome; inbound callbacks return done, deadLetter, retry or cancel',
        );
      }
      if (candidate.request === undefined) return { type };
      const problem = requestProblem(candidate.request);
      return problem
        ? invalid(`send outcome has an invalid request: ${problem}`)
        : { type, request: candidate.request as OutboundRequest };
    }
    default:
      return invalid(`callback returned an outcome of unknown type ${describe(type)}`);
  }
}

function invalid(reason: string): Outcome {
  return { type: 'dead_letter', reason };
}

const METHODS = new Set<string>(HTTP_METHODS);
const MODES = new Set<string>(BODY_MODES);

function requestProblem(request: unknown): string | null {
  if (request === null || typeof request !== 'object') return 'not an object';
  const r = request as Record<string, unknown>;
  if (typeof r.method !== 'string' || !METHODS.has(r.method)) return `method ${describe(r.method)}`;
  if (typeof r.url !== 'string' || r.url === '') return 'url must be a non-empty string';
  if (typeof r.bodyMode !== 'string' || !MODES.has(r.bodyMode))
    return `bodyMode ${describe(r.bodyMode)}`;
  if (!Buffer.isBuffer(r.body)) return 'body must be a Buffer';
  if (r.headers === null || typeof r.headers !== 'object') return 'headers must be an object';
  for (const [name, value] of Object.entries(r.headers)) {
    if (typeof value !== 'string') return `header "${name}" must be a string`;
  }
  return null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}
