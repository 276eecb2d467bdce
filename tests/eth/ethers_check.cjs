// Independent check of framework/eth with ethers v6 (run by eth_integration_test).
// Usage: node ethers_check.cjs header <input.json> | txs <input.json>
//   header: {"key": "0x..", "body_file": "..", "our_header": "addr:0xsig"}
//     -> {"header": ethers' header for the body, "recovered": signer of our_header's sig}
//   txs: {"raws": ["0x..", ...]} -> [{hash, from, type, chainId, nonce, ...}, ...]
// Prints one line "RESULT <json>" on success; exits 1 with a message otherwise.
'use strict';
const fs = require('fs');
const { ethers } = require('ethers');

function header(input) {
  const body = fs.readFileSync(input.body_file);
  // The signed message is the string "0x" + lowercase hex of keccak256(body bytes).
  const bodyHash = ethers.keccak256(body);
  const wallet = new ethers.Wallet(input.key);
  const signature = wallet.signMessage(bodyHash);
  const colon = input.our_header.indexOf(':');
  const recovered = ethers.verifyMessage(bodyHash, input.our_header.slice(colon + 1));
  return Promise.resolve(signature).then((sig) => ({
    header: `${wallet.address}:${sig}`,
    body_hash: bodyHash,
    recovered,
  }));
}

function txs(input) {
  return input.raws.map((raw) => {
    const tx = ethers.Transaction.from(raw);
    const str = (v) => (v === null || v === undefined ? null : v.toString());
    return {
      hash: tx.hash,
      from: tx.from,
      type: tx.type,
      chainId: str(tx.chainId),
      nonce: tx.nonce,
      to: tx.to,
      value: str(tx.value),
      gasLimit: str(tx.gasLimit),
      gasPrice: str(tx.gasPrice),
      maxFeePerGas: str(tx.maxFeePerGas),
      maxPriorityFeePerGas: str(tx.maxPriorityFeePerGas),
      data: tx.data,
      serialized: tx.serialized,
    };
  });
}

async function main() {
  const [mode, file] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(file, 'utf8'));
  let result;
  if (mode === 'header') result = await header(input);
  else if (mode === 'txs') result = txs(input);
  else throw new Error(`unknown mode '${mode}' (header or txs)`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`ethers_check: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
