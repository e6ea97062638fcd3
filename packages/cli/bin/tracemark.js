#!/usr/bin/env node
// The installed `tracemark` command: runs the compiled CLI (`pnpm build` writes dist/).
import('../dist/bin.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    console.error('tracemark: the CLI is not built yet; run `npx -y pnpm@9 build` first');
    process.exit(1);
  }
  throw e;
});
