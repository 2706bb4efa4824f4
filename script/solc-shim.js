#!/usr/bin/env node
// A native-solc-compatible front for the npm `solc` package (solc-js), so forge can use it
// with `solc = "script/solc"`. forge only needs `--version` and `--standard-json`.
"use strict";

const path = require("path");
const fs = require("fs");
const solc = require(path.join(__dirname, "..", "node_modules", "solc"));

/** Writes `text` to stdout and exits only once every byte has been flushed. */
function writeAndExit(text, code) {
  process.stdout.write(text, () => process.exit(code));
}

function nativeVersionBanner() {
  // Native solc prints e.g. "Version: 0.8.30+commit.73712a01.Linux.g++"; forge parses the semver.
  const full = solc.version().replace(".Emscripten.clang", ".Linux.g++");
  return `solc, the solidity compiler commandline interface\nVersion: ${full}\n`;
}

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function findImports(importPath) {
  // forge passes sources with their content already; this covers `--allow-paths` style lookups.
  try {
    return { contents: fs.readFileSync(importPath, "utf8") };
  } catch (err) {
    return { error: `solc-shim: cannot read import ${importPath}: ${err.message}` };
  }
}

const args = process.argv.slice(2);
if (args.includes("--version") || args.includes("-v")) {
  writeAndExit(nativeVersionBanner(), 0);
} else if (args.includes("--standard-json")) {
  const output = solc.compile(readStdin(), { import: findImports });
  writeAndExit(output, 0);
} else {
  process.stderr.write(`solc-shim: unsupported arguments: ${args.join(" ")}\n`);
  process.exit(2);
}
