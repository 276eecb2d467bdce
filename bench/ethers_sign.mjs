// Baseline for eth_bench's BM_SignEip1559Transfer: ethers 6 in Node building, signing and
// serialising the same EIP-1559 transfer (prefunded account 1 -> account 0, 1 gwei, chain
// 1337, max fee 30 gwei, tip 1 gwei, gas 21000) with increasing nonces.
// Usage: node bench/ethers_sign.mjs [seconds]   (ethers from ${BNET_E2E_CACHE:-~/.cache/bnet-e2e}/npm)
// Prints one JSON line: {"signed": n, "seconds": s, "per_second": r, "first_raw": "0x02..."}.
import { createRequire } from "node:module";
import path from "node:path";
import os from "node:os";

const cache = process.env.BNET_E2E_CACHE || path.join(os.homedir(), ".cache", "bnet-e2e");
const require = createRequire(path.join(cache, "npm", "package.json"));
const { Wallet, Transaction, parseUnits } = require("ethers");

// Prefunded account 1 of the test mnemonic ("test test ... junk"): a public test key.
const wallet = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const to = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const seconds = Number(process.argv[2] || 5);

function signOne(nonce) {
  const tx = Transaction.from({
    type: 2, chainId: 1337n, nonce, to, value: parseUnits("1", "gwei"), gasLimit: 21000n,
    maxFeePerGas: parseUnits("30", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei"), data: "0x",
  });
  tx.signature = wallet.signingKey.sign(tx.unsignedHash);
  return tx.serialized;
}

const firstRaw = signOne(0);  // compared with eth_bench's first_raw: the same bytes
// Warm-up for a whole second, so V8's optimising compiler (a background thread, slow to
// finish on a busy core) has compiled the hot path before the clock starts.
{
  const warm = process.hrtime.bigint() + 1_000_000_000n;
  for (let n = 0; process.hrtime.bigint() < warm; ++n) signOne(n);
}
let nonce = 0;
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(seconds * 1e9));
let now = start;
while (now < end) {
  for (let k = 0; k < 50; ++k) signOne(nonce++);
  now = process.hrtime.bigint();
}
const elapsed = Number(now - start) / 1e9;
console.log(JSON.stringify({ signed: nonce, seconds: elapsed, per_second: nonce / elapsed, first_raw: firstRaw }));
