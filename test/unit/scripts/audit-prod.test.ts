/**
 * scripts/audit-prod.ts reads npm audit's JSON: a report with high or critical advisories fails,
 * a clean one passes, and the error object npm prints when the registry refuses the audit
 * endpoint (405 on the development VMs) is "unavailable", never "clean".
 */
import t from 'tap';
import { classifyAudit } from '../../../scripts/audit-prod.js';

const report = (vulns: Record<string, string>, counts: Record<string, number>): string =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(Object.entries(vulns).map(([name, severity]) => [name, { name, severity, via: [], range: '*' }])),
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts }, dependencies: { prod: 120, total: 120 } },
  });

t.test('high or critical advisories fail, naming the packages', async (t) => {
  const v = classifyAudit(report({ 'left-pad': 'critical', minimist: 'high', debug: 'low' }, { critical: 1, high: 1, low: 1 }));
  t.same(v, { kind: 'vulnerable', counts: { info: 0, low: 1, moderate: 0, high: 1, critical: 1 }, packages: ['left-pad (critical)', 'minimist (high)'] });
});

t.test('low and moderate advisories alone pass', async (t) => {
  const v = classifyAudit(report({ debug: 'moderate' }, { moderate: 1 }));
  t.equal(v.kind, 'clean');
});

t.test('a refused endpoint is unavailable, not clean', async (t) => {
  const refused = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    method: 'POST',
    statusCode: 405,
    body: '',
    error: { summary: '', detail: '' },
  });
  t.same(classifyAudit(refused), { kind: 'unavailable', reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk' });
  t.equal(classifyAudit('').kind, 'unavailable', 'no output at all');
  t.equal(classifyAudit('npm ERR! network').kind, 'unavailable', 'text instead of JSON');
});
