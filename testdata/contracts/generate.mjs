// Compiles Fixtures.sol with the solc package (solcjs) installed next to
// this script by generate.sh, and writes build/fixtures.json: per contract
// its ABI, runtime bytecode and storage layout. Output is sorted and
// indented so a rerun gives the same bytes.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const here = dirname(new URL(import.meta.url).pathname);
const require = createRequire(process.argv[2] + "/");
const solc = require("solc");

const input = {
  language: "Solidity",
  sources: { "Fixtures.sol": { content: readFileSync(join(here, "Fixtures.sol"), "utf8") } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.deployedBytecode.object", "storageLayout"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contracts = {};
for (const name of Object.keys(out.contracts["Fixtures.sol"]).sort()) {
  const c = out.contracts["Fixtures.sol"][name];
  contracts[name] = {
    abi: c.abi,
    runtime: "0x" + c.evm.deployedBytecode.object,
    storage: c.storageLayout.storage.map((s) => ({ label: s.label, slot: s.slot, offset: s.offset })),
  };
}
mkdirSync(join(here, "build"), { recursive: true });
const doc = { compiler: "solc " + solc.version(), contracts };
writeFileSync(join(here, "build", "fixtures.json"), JSON.stringify(doc, null, 2) + "\n");
console.log("wrote build/fixtures.json with " + Object.keys(contracts).join(", "));
