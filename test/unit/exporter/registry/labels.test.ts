/**
 * The exporter's closed label sets (services/exporter/src/registry/labels.ts): known values map
 * to their own series, anything else to the set's fallback, so no publisher can add a series.
 */
import t from 'tap';
import {
  CODE_DIM,
  CODE_FALLBACK,
  codeIndex,
  IS_PREDICTION_ROUTE,
  labelIndex,
  reasonIndex,
  REASON_DIM,
  RESULT_DIM,
  ROUTE_DIM,
  ROUTE_FALLBACK,
  routeIndex,
  STATUS_DIM,
  statusIndex,
  typeIndex,
  TYPE_DIM,
} from '../../../../services/exporter/src/registry/labels.js';
import { ERROR_CODES } from '../../../../shared/error-codes.js';
import { CHANNEL_EVENT_TYPES, EVENT_ROUTES, MALFORMED_REASONS, PREDICTION_ROUTES } from '../../../../shared/events.js';

t.test('route: every event route has its series; anything else is unmatched', async (t) => {
  t.same(ROUTE_DIM.values, EVENT_ROUTES);
  for (const [i, r] of EVENT_ROUTES.entries()) t.equal(routeIndex(r), i, r);
  t.equal(ROUTE_DIM.values[ROUTE_FALLBACK], 'unmatched');
  for (const r of ['/predict/', '/PREDICT', '/etc/passwd', '', 'x'.repeat(10_000)]) t.equal(routeIndex(r), ROUTE_FALLBACK, JSON.stringify(r.slice(0, 20)));
  t.same(
    EVENT_ROUTES.filter((_, i) => IS_PREDICTION_ROUTE[i]),
    PREDICTION_ROUTES,
    'prediction routes are flagged, and only they',
  );
});

t.test('status_code: the catalogue statuses and the usual ones; everything else is other', async (t) => {
  const other = STATUS_DIM.values.indexOf('other');
  t.equal(other, STATUS_DIM.values.length - 1, 'other is last');
  for (const { status } of Object.values(ERROR_CODES)) t.equal(STATUS_DIM.values[statusIndex(status)], String(status), `${status} (error catalogue)`);
  for (const s of [200, 204, 304, 404, 503]) t.equal(STATUS_DIM.values[statusIndex(s)], String(s));
  for (const s of [100, 299, 418, 599, 600, 1000, -1]) t.equal(statusIndex(s), other, `${s} -> other`);
  t.equal(new Set(STATUS_DIM.values).size, STATUS_DIM.values.length, 'no status twice');
});

t.test('code: the error catalogue; an unknown or missing code is INTERNAL_ERROR', async (t) => {
  t.same(CODE_DIM.values, Object.keys(ERROR_CODES));
  t.equal(CODE_DIM.values[CODE_FALLBACK], 'INTERNAL_ERROR');
  t.equal(CODE_DIM.values[codeIndex('INVALID_TEXT')], 'INVALID_TEXT');
  t.equal(codeIndex('NO_SUCH_CODE'), CODE_FALLBACK);
  t.equal(codeIndex(undefined), CODE_FALLBACK);
});

t.test('labels, types and reasons index their sets', async (t) => {
  t.equal(RESULT_DIM.values[labelIndex('ham')], 'ham');
  t.equal(RESULT_DIM.values[labelIndex('spam')], 'spam');
  for (const type of CHANNEL_EVENT_TYPES) t.equal(TYPE_DIM.values[typeIndex(type)], type);
  for (const reason of MALFORMED_REASONS) t.equal(REASON_DIM.values[reasonIndex(reason)], reason);
});
