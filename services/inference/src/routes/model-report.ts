/**
 * GET /model/report: the served model's evaluation report (HTML with SVG charts), written by
 * training beside the ONNX file. Read once at start, like the model it describes: a report
 * that changes on disk while the old model is served would describe another model.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponseFor } from '../http/schemas.js';
import { sendError } from '../http/errors.js';

/** training/src/output.ts's rule: the report sits next to the model, `.onnx` replaced. */
export function reportPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.report.html';
}

/**
 * The report is static HTML and SVG (no scripts, no external resources): allow its inline
 * <style> and the charts' style attributes, nothing else.
 */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async function readReport(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export const modelReportRoutes: FastifyPluginAsync = async (app) => {
  const path = reportPathFor(app.inference.config.modelPath);
  const report = await readReport(path);
  if (report === undefined) app.log.warn({ path }, 'the served model has no report: GET /model/report answers 404');

  app.get(
    '/model/report',
    {
      schema: {
        summary: 'Model evaluation report',
        description:
          'The served model\'s evaluation report as written by `npm run train`: metrics on the held-out split, ROC and ' +
          'precision-recall curves, confusion matrices, score distributions and the quality on header-less text, as ' +
          'an HTML page with SVG charts. 404 (NOT_FOUND) when the model was trained without one.',
        tags: ['model'],
        response: {
          200: {
            description: 'The report page.',
            content: { 'text/html': { schema: { type: 'string', example: '<!doctype html><html>...<svg>...</svg>...</html>' } } },
          },
          404: errorResponseFor(['NOT_FOUND'], 'Error (NOT_FOUND): the served model has no report.'),
        },
      },
    },
    async (request, reply) => {
      if (report === undefined) return sendError(request, reply, 'NOT_FOUND', 'the served model has no evaluation report');
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', REPORT_CSP)
        .header('cache-control', 'no-cache')
        .send(report);
    },
  );
};
