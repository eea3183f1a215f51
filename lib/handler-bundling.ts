import * as path from 'node:path';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every rekey handler is bundled, the one source for the three bundlers: NodejsFunction
 * (a deployment from this repository's sources), the package build that pre-bundles the handlers
 * (`npm pack`), and the benchmark that measures what deploys.
 */
export const HANDLER_BUNDLING = {
  minify: true,
  sourceMap: true,
  format: OutputFormat.CJS,
  target: 'node22',
  // The nodejs22.x runtime provides AWS SDK v3; bundling it would put every function over 400 KB.
  externalModules: ['@aws-sdk/*'],
} satisfies BundlingOptions;

/** What esbuild needs to bundle one handler; esbuild's `BuildOptions` accepts it as it is. */
export interface HandlerBuildOptions {
  readonly entryPoints: string[];
  readonly outfile: string;
  readonly bundle: true;
  readonly platform: 'node';
  readonly target: string;
  readonly format: `${OutputFormat}`;
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly external: string[];
}

/**
 * HANDLER_BUNDLING as the esbuild options NodejsFunction derives from it (bundle for Node, the
 * handler as `index.js` with its source map beside it), for a build that runs esbuild itself.
 */
export function handlerBuildOptions(entry: string, outDir: string): HandlerBuildOptions {
  return {
    entryPoints: [entry],
    outfile: path.join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    format: HANDLER_BUNDLING.format,
    minify: HANDLER_BUNDLING.minify,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    external: [...HANDLER_BUNDLING.externalModules],
  };
}
