// Bundles the upload page: src/upload.js (+ Uppy and its CSS) -> ../static/dist/upload.js and
// ../static/dist/upload.css. `node build.mjs --dev` adds source maps and skips minifying.
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const dev = process.argv.includes('--dev');
const here = fileURLToPath(new URL('.', import.meta.url));

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { upload: 'src/upload.js' },
  outdir: '../static/dist',
  bundle: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
  minify: !dev,
  sourcemap: dev,
  legalComments: 'none',
  // Uppy's CSS inlines its few icons; anything else would need a copy step we do not want.
  loader: { '.svg': 'dataurl', '.png': 'dataurl' },
  logLevel: 'warning',
});
