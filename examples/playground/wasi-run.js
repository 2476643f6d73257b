/* wasi-run.js: runs a wasm32-wasi command (tests/test.c, say) under Node's WASI, with the
   directory TMP mounted as /tmp for its temporary files. Used by tests/playground.sh:

     node --no-warnings examples/playground/wasi-run.js prog.wasm TMP [args...]

   Each WASI call goes through a JavaScript wrapper: called straight from wasm, Node 20's
   WASI aborted the whole process (SIGABRT, no message) partway through tests/test.c, while
   the same calls through JavaScript run it to the end. */
'use strict';
const { WASI } = require('wasi');
const fs = require('fs');

const [prog, tmp, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [prog, ...args], env: { TMPDIR: '/tmp' },
                        preopens: { '/tmp': tmp }, returnOnExit: true });
const imports = wasi.getImportObject(), calls = imports.wasi_snapshot_preview1;
for (const name of Object.keys(calls)) {
  const f = calls[name];
  calls[name] = (...a) => f(...a);
}
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(prog)), imports);
process.exitCode = wasi.start(instance);
