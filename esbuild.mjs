// Three bundles: the extension (node/cjs, `vscode` external), the CLI (node)
// and the webview script (browser). Type checking is `npm run typecheck`.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Fails the build if a native addon would end up in a bundle. */
const noNativeModules = {
  name: 'no-native-modules',
  setup(build) {
    build.onLoad({ filter: /\.node$/ }, (args) => {
      throw new Error(`native module ${args.path} must never be bundled`);
    });
  },
};

/**
 * X.509 generation (selfsigned and its ASN.1 stack) is most of a bundle's
 * weight and is needed only the first time a TLS server starts. It becomes a
 * bundle of its own, `dist/selfsigned.js`, required lazily from beside the
 * extension and the CLI.
 */
const lazyCertificateGenerator = {
  name: 'lazy-certificate-generator',
  setup(build) {
    build.onResolve({ filter: /^selfsigned$/ }, () => ({ path: './selfsigned.js', external: true }));
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [noNativeModules],
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [noNativeModules, lazyCertificateGenerator],
  },
  {
    ...common,
    entryPoints: ['src/cli/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [noNativeModules, lazyCertificateGenerator],
  },
  {
    ...common,
    entryPoints: ['selfsigned'],
    outfile: 'dist/selfsigned.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] building…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
