import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { AuditError } from '../../shared/errors.ts';

// The investigator's pages: a session list and a session page, built with
// Preact and htm as plain ES modules, so there is no build step. The pages
// hold no data; the browser fetches it from /v1 with the investigator's
// bearer token, which is why these routes need no credentials.

const ASSETS_DIR = path.join(import.meta.dirname, 'assets');
const require = createRequire(import.meta.url);

/** Resolves the ES module build beside a package's CommonJS entry, because the packages do not export these paths. */
function resolveModuleBuild(specifier: string, file: string): string {
  return path.join(path.dirname(require.resolve(specifier)), file);
}

/** Vendor modules by the file name the pages import them under. */
const VENDOR_FILES: Record<string, string> = {
  'preact.js': resolveModuleBuild('preact', 'preact.module.js'),
  'preact-hooks.js': resolveModuleBuild('preact/hooks', 'hooks.module.js'),
  'htm.js': resolveModuleBuild('htm', 'htm.module.js'),
};

const IMPORT_MAP = JSON.stringify({
  imports: { preact: '/ui/vendor/preact.js', 'preact/hooks': '/ui/vendor/preact-hooks.js', htm: '/ui/vendor/htm.js' },
});

/** Renders the one page shell. app.js picks the list or a session from the path. */
function renderShell(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent audit trail</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/styles.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/ui/assets/app.js"></script>
</head>
<body><main id="app"><p class="muted">Loading…</p></main></body>
</html>
`;
}

/**
 * Only this origin's scripts run, plus the inline import map, allowed by its
 * hash. Step names and attribute values are rendered as text by Preact, and
 * the policy is a second line of defence against markup in them.
 */
function contentSecurityPolicy(): string {
  const importMapHash = createHash('sha256').update(IMPORT_MAP).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

const ASSET_NAME = /^[a-z0-9-]+\.(js|css)$/;

export function createUiRouter(): express.Router {
  const router = express.Router();
  const shell = renderShell();
  const policy = contentSecurityPolicy();

  const sendShell = (_request: express.Request, response: express.Response) => {
    response.set({ 'Content-Security-Policy': policy, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    response.type('html').send(shell);
  };

  router.get('/ui', (_request, response) => response.redirect(302, '/ui/sessions'));
  router.get('/ui/sessions', sendShell);
  router.get('/ui/sessions/:sessionId', sendShell);

  router.get('/ui/assets/:file', (request, response, next) => {
    const { file } = request.params;
    if (!ASSET_NAME.test(file) || !fs.existsSync(path.join(ASSETS_DIR, file))) {
      next(new AuditError('not_found', `no UI asset named "${file}"`));
      return;
    }
    response.set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    response.sendFile(file, { root: ASSETS_DIR });
  });

  router.get('/ui/vendor/:file', (request, response, next) => {
    const source = VENDOR_FILES[request.params.file];
    if (source === undefined) {
      next(new AuditError('not_found', `no UI vendor module named "${request.params.file}"`));
      return;
    }
    response.set({ 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
    response.type('text/javascript').sendFile(source);
  });

  return router;
}
