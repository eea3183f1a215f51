import { shortKey } from '../../lambdas/shared/keys';
import type { Context } from '../context';
import { EXIT } from '../errors';
import type { Output } from '../output';
import { rollback } from '../rollback';
import { findStack } from '../stack';

/** `rekey rollback <user> [--reason TEXT] [--force]`. */
export async function rollbackCommand(
  ctx: Context,
  out: Output,
  userName: string,
  flags: { reason?: string; force?: boolean },
): Promise<number> {
  const stack = await findStack(ctx);
  const result = await rollback(ctx.clients, stack, {
    userName,
    reason: flags.reason,
    now: await ctx.now(),
    force: flags.force === true,
    warn: (message) => out.error(message),
  });
  out.data({ ...result, status: 'ROLLED_BACK' });
  const p = out.paint;
  out.line(`${out.tty ? `${p.green('✔')} ` : ''}Rolled back ${p.bold(result.userName)}:`);
  out.line(
    `  old key ${shortKey(result.restoredKeyId)} is active again and AWSCURRENT in ${result.secretId}` +
      (result.exposedKeyReactivated ? p.red(' (the EXPOSED key: deactivate it again soon)') : ''),
  );
  out.line(
    `  new key ${shortKey(result.newKeyId)} stays active (AWSPREVIOUS); rekey deletes neither key`,
  );
  out.line(`  rotation stopped (RolledBack): ${result.executionArn}`);
  out.line(
    p.dim(
      `  ${result.userName} now has two active keys: once the application that broke is fixed, deactivate ` +
        'the one it does not use, then rotate again.',
    ),
  );
  return EXIT.ok;
}
