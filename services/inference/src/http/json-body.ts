/**
 * The application/json body parser: Fastify's own (secure-json-parse, prototype poisoning
 * refused) behind two checks it does not make.
 *
 * - The body must be UTF-8 (RFC 8259). Node's Buffer#toString replaces invalid bytes with U+FFFD,
 *   so a broken client would get a prediction for a text it never sent.
 * - Nesting is capped: V8's JSON.parse time grows with the nesting depth, so one body of brackets
 *   within the size limit would stall a worker for seconds (docs/benchmarks.md#json-nesting).
 *   No request schema nests deeper than 3.
 */
import fp from 'fastify-plugin';
import { ApiError } from './errors.js';

export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** True when `text` opens more than `max` arrays/objects at once (brackets inside strings ignored). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export interface StrictJsonOptions {
  maxDepth?: number;
}

/**
 * Only JSON bodies, parsed strictly: Fastify's application/json parser is replaced, and its
 * text/plain parser removed (a text/plain body must be a 415, not a schema error).
 * Register before the routes.
 */
export const strictJsonPlugin = fp<StrictJsonOptions>(
  async (app, { maxDepth = MAX_JSON_DEPTH }) => {
    app.removeContentTypeParser('text/plain');
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      let text: string;
      try {
        text = utf8.decode(body as Buffer);
      } catch {
        done(new ApiError('INVALID_JSON', 'Request body is not valid UTF-8'), undefined);
        return;
      }
      if (nestsDeeperThan(text, maxDepth)) {
        done(new ApiError('INVALID_JSON', `Request body nests deeper than ${maxDepth} levels`), undefined);
        return;
      }
      void parseJson(request, text, done);
    });
  },
  { name: 'strict-json', fastify: '5.x' },
);
