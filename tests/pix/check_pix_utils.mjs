// Reads JSON lines {"code": "..."} on stdin and prints, for each, one JSON line with what the npm
// package pix-utils makes of it, for tests/pix/pix_utils_test.cpp to compare field by field with
// our encoder's input. One node process for the whole batch: starting node costs far more than
// parsing a code.
import { createRequire } from 'node:module';
import readline from 'node:readline';

// pix-utils is CommonJS; require it relative to this file so node_modules is found from the
// repository root whatever the working directory.
const require = createRequire(import.meta.url);
const { parsePix, hasError } = require('pix-utils');

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const results = [];
for await (const line of lines) {
  if (line.trim() === '') continue;
  const { code } = JSON.parse(line);
  const pix = parsePix(code);
  if (hasError(pix)) {
    results.push({ ok: false, error: String(pix.message) });
    continue;
  }
  results.push({
    ok: true,
    type: pix.type,
    key: pix.pixKey ?? null,
    url: pix.url ?? null,
    txid: pix.txid ?? null,
    // pix-utils holds the amount as a JS number; 2 decimals are exact for amounts below 2^53 / 100
    // (our maximum is 9999999999.99), and 0 means "no amount".
    amount: pix.transactionAmount ? pix.transactionAmount.toFixed(2) : null,
    description: pix.infoAdicional ?? null,
    merchantName: pix.merchantName ?? null,
    merchantCity: pix.merchantCity ?? null,
  });
}
process.stdout.write(results.map((result) => JSON.stringify(result)).join('\n') + '\n');
