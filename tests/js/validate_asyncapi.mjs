// Parses an AsyncAPI document with the official parser; prints its diagnostics as JSON.
// usage: node validate_asyncapi.mjs FILE
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const [file] = process.argv.slice(2);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
console.log(JSON.stringify({
  parsed: document !== undefined,
  operations: document ? document.operations().length : 0,
  diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: d.code,
                                         message: d.message, path: d.path })),
}));
