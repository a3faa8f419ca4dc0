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

/**
 * The PostgreSQL store and the Redis bus (with their clients, pg and ioredis)
 * serve only a CLI server started with --store or --bus. Each becomes a bundle
 * of its own, `dist/postgresStore.js` and `dist/redisBus.js`, which openStore
 * and openBus import on first use from beside cli.js. So cli.js stays small,
 * `npm start` and a packaged CLI (dist/ without node_modules) still find
 * them, and the extension's bundle never holds them.
 */
const lazyClusterModules = {
  name: 'lazy-cluster-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\/(postgresStore|redisBus)(\.js)?$/ }, (args) => {
      if (!/[\\/](openStore|openBus)\.ts$/.test(args.importer)) return undefined;
      return { path: `./${args.path.replace(/^\.\/|\.js$/g, '')}.js`, external: true };
    });
  },
};

/**
 * The chat server (Chat: Start Server) is a bundle of its own too,
 * `dist/hostedServer.js`: most windows only connect, and the server with its
 * codecs and stores would otherwise be most of `dist/extension.js`.
 * ServerHost imports it on the first start.
 */
const lazyHostedServer = {
  name: 'lazy-hosted-server',
  setup(build) {
    build.onResolve({ filter: /[\\/]hostedServer(\.js)?$/ }, (args) => {
      if (!/[\\/]serverHost\.ts$/.test(args.importer)) return undefined;
      return { path: './hostedServer.js', external: true };
    });
  },
};

/** Fails the extension build if a server-only client library would end up in it. */
const noServerClients = {
  name: 'no-server-clients',
  setup(build) {
    build.onResolve({ filter: /^(pg|ioredis)$/ }, (args) => {
      throw new Error(`${args.path} (imported by ${args.importer}) belongs to the CLI server and must never be in the extension bundle`);
    });
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
    plugins: [noNativeModules, lazyCertificateGenerator, lazyClusterModules, lazyHostedServer, noServerClients],
  },
  {
    ...common,
    entryPoints: ['src/cli/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [noNativeModules, lazyCertificateGenerator, lazyClusterModules],
  },
  {
    ...common,
    entryPoints: ['src/engine/server/hostedServer.ts'],
    outfile: 'dist/hostedServer.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [noNativeModules, lazyCertificateGenerator, lazyClusterModules, noServerClients],
  },
  {
    ...common,
    entryPoints: ['src/engine/stores/postgresStore.ts'],
    outfile: 'dist/postgresStore.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // pg's optional native binding, reached only through `pg.native`, which we never touch.
    external: ['pg-native'],
  },
  {
    ...common,
    entryPoints: ['src/engine/buses/redisBus.ts'],
    outfile: 'dist/redisBus.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
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
