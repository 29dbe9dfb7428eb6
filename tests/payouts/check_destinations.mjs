// Prints, one JSON line each, payout addresses made by reference implementations (ethers, tronweb,
// bech32, bs58), single-character corruptions of them with the verdict of the same references, and
// Keccak-256 digests from ethers, for tests/payouts/destination_cross_check_test.cpp to hold our
// validator to. Deterministic: a seeded generator (argv[2]) picks every byte and position.
//   {"network", "address", "valid", "normalized"?, "corrupted", "guaranteed"}
//   {"keccak_input_hex", "keccak_hex"}
// "guaranteed": the corruption is one the format's checksum always detects (bech32 substitutions,
// EIP-55 case flips), so not only must we agree with the reference, both must refuse it.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

// The packages are CommonJS or dual; require them relative to this file so that node_modules is
// found from the repository root whatever the working directory.
const require = createRequire(import.meta.url);
const { ethers } = require('ethers');
const { bech32, bech32m } = require('bech32');
const bs58module = require('bs58');
const bs58 = bs58module.default ?? bs58module;
const tronweb = require('tronweb');
const TronWeb = tronweb.TronWeb ?? tronweb.default;

const seed = Number(process.argv[2] ?? 1);
const count = Number(process.argv[3] ?? 40);

// xorshift32: the same sequence on every run for a seed.
let state = seed >>> 0 || 1;
function next() {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state;
}
const below = (n) => next() % n;
const randomBytes = (n) => Uint8Array.from({ length: n }, () => below(256));
const hex = (bytes) => Buffer.from(bytes).toString('hex');

const lines = [];
const emit = (line) => lines.push(JSON.stringify(line));

// Replaces the character at a random position in [from, text.length) by another one of `alphabet`.
function substitute(text, alphabet, from) {
  const position = from + below(text.length - from);
  const others = [...alphabet].filter((c) => c !== text[position]);
  return text.slice(0, position) + others[below(others.length)] + text.slice(position + 1);
}
function verdict(check, address) {
  try {
    const normalized = check(address);
    return normalized === null ? { valid: false } : { valid: true, normalized };
  } catch {
    return { valid: false };
  }
}

// EVM: ethers.getAddress is the reference for both validity and the EIP-55 normal form.
function evm(network) {
  const checksummed = ethers.getAddress('0x' + hex(randomBytes(20)));
  for (const spelling of [checksummed, checksummed.toLowerCase(), '0x' + checksummed.slice(2).toUpperCase()]) {
    emit({ network, address: spelling, valid: true, normalized: checksummed, corrupted: false });
  }
  const letters = [...checksummed].map((c, i) => (i >= 2 && /[a-fA-F]/.test(c) ? i : -1)).filter((i) => i >= 0);
  const lettersLower = letters.filter((i) => /[a-f]/.test(checksummed[i])).length;
  if (letters.length >= 2 && lettersLower > 0 && lettersLower < letters.length) {
    // A flipped case keeps the address mixed-case (both cases stay present): always detected.
    const i = letters[below(letters.length)];
    const c = checksummed[i];
    const flipped = checksummed.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + checksummed.slice(i + 1);
    const stillMixed = /[a-f]/.test(flipped.slice(2)) && /[A-F]/.test(flipped.slice(2));
    emit({ network, address: flipped, ...verdict(ethers.getAddress, flipped), corrupted: true, guaranteed: stillMixed });
  }
  const substituted = substitute(checksummed, '0123456789abcdefABCDEFg', 2);
  emit({ network, address: substituted, ...verdict(ethers.getAddress, substituted), corrupted: true, guaranteed: false });
}

function tron() {
  const address = TronWeb.address.fromHex('41' + hex(randomBytes(20)));
  emit({ network: 'TRON', address, valid: true, normalized: address, corrupted: false });
  const corrupted = substitute(address, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl', 1);
  const check = (text) => (TronWeb.isAddress(text) ? text : null);
  emit({ network: 'TRON', address: corrupted, ...verdict(check, corrupted), corrupted: true, guaranteed: false });
}

// Bitcoin segwit: bech32 for v0, bech32m for v1+, with BIP-173/350's program rules.
function segwitCheck(text) {
  for (const [codec, v0] of [[bech32, true], [bech32m, false]]) {
    let decoded;
    try { decoded = codec.decode(text); } catch { continue; }
    if (decoded.prefix !== 'bc' || decoded.words.length === 0) return null;
    const version = decoded.words[0];
    if (version > 16 || (version === 0) !== v0) return null;
    const program = codec.fromWordsUnsafe(decoded.words.slice(1));
    if (!program || program.length < 2 || program.length > 40) return null;
    if (version === 0 && program.length !== 20 && program.length !== 32) return null;
    return text.toLowerCase();
  }
  return null;
}
function segwit() {
  const version = [0, 0, 1, 1, 2 + below(15)][below(5)];
  const size = version === 0 ? [20, 32][below(2)] : version === 1 ? 32 : 2 + below(39);
  const codec = version === 0 ? bech32 : bech32m;
  const address = codec.encode('bc', [version, ...codec.toWords(randomBytes(size))]);
  emit({ network: 'BTC', address, valid: true, normalized: address, corrupted: false });
  emit({ network: 'BTC', address: address.toUpperCase(), valid: true, normalized: address, corrupted: false });
  const corrupted = substitute(address, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l', 4);
  emit({ network: 'BTC', address: corrupted, ...verdict(segwitCheck, corrupted), corrupted: true, guaranteed: true });
}

// Bitcoin Base58Check (P2PKH 0x00, P2SH 0x05): bs58 plus node's SHA-256.
const sha256d = (bytes) => createHash('sha256').update(createHash('sha256').update(bytes).digest()).digest();
function base58CheckBitcoin(text) {
  const bytes = Buffer.from(bs58.decode(text));
  if (bytes.length !== 25) return null;
  if (!sha256d(bytes.subarray(0, 21)).subarray(0, 4).equals(bytes.subarray(21))) return null;
  return bytes[0] === 0x00 || bytes[0] === 0x05 ? text : null;
}
function bitcoinBase58() {
  const payload = Buffer.concat([Buffer.from([[0x00, 0x05][below(2)]]), Buffer.from(randomBytes(20))]);
  const address = bs58.encode(Buffer.concat([payload, sha256d(payload).subarray(0, 4)]));
  emit({ network: 'BTC', address, valid: true, normalized: address, corrupted: false });
  const corrupted = substitute(address, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', 1);
  emit({ network: 'BTC', address: corrupted, ...verdict(base58CheckBitcoin, corrupted), corrupted: true, guaranteed: false });
}

// Solana: Base58 of exactly 32 bytes (no checksum: a corruption may decode to another key).
function solanaCheck(text) {
  const bytes = bs58.decode(text);
  return bytes.length === 32 && bytes.some((b) => b !== 0) ? text : null;
}
function solana() {
  const address = bs58.encode(randomBytes(32));
  emit({ network: 'SOL', address, valid: true, normalized: address, corrupted: false });
  for (const size of [31, 33]) {
    const wrong = bs58.encode(randomBytes(size));
    emit({ network: 'SOL', address: wrong, ...verdict(solanaCheck, wrong), corrupted: true, guaranteed: false });
  }
  const corrupted = substitute(address, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl', 0);
  emit({ network: 'SOL', address: corrupted, ...verdict(solanaCheck, corrupted), corrupted: true, guaranteed: false });
}

for (let i = 0; i < count; ++i) {
  evm(['ETH', 'POLYGON', 'BSC'][i % 3]);
  tron();
  segwit();
  bitcoinBase58();
  solana();
  const input = randomBytes(below(400));
  emit({ keccak_input_hex: hex(input), keccak_hex: ethers.keccak256(input).slice(2) });
}
process.stdout.write(lines.join('\n') + '\n');
