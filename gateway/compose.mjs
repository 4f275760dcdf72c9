#!/usr/bin/env node
// Compose the CPMO supergraph from the subgraph SDL files in ./subgraphs.
//
//   node compose.mjs           -> writes ./supergraph.graphql
//   node compose.mjs --check   -> writes nothing; exits 1 if ./supergraph.graphql
//                                 is missing or differs from a fresh composition
//
// Each ./subgraphs/<name>.graphql is one subgraph; <name> is the subgraph name
// used in the supergraph (join__Graph) and must have a port in SUBGRAPH_PORTS.
// The URLs written here are the local-dev defaults; at runtime the gateway
// can override them per subgraph (see gateway.config.ts).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

const SUBGRAPH_PORTS = {
  programmes: 8101,
  risks: 8102,
  kpis: 8103,
  reporting: 8104,
};

const here = dirname(fileURLToPath(import.meta.url));
const subgraphsDir = join(here, 'subgraphs');
const supergraphPath = join(here, 'supergraph.graphql');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function compareCodePoints(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function loadServices() {
  let entries;
  try {
    entries = await readdir(subgraphsDir, { withFileTypes: true });
  } catch (err) {
    fail(`compose: cannot read ${subgraphsDir}: ${err.message}`);
  }
  // Sorted by code point (not locale) so the order never depends on the machine.
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.graphql'))
    .map((e) => e.name)
    .sort(compareCodePoints);
  if (files.length === 0) {
    fail(`compose: no *.graphql files in ${subgraphsDir}`);
  }

  const services = [];
  for (const file of files) {
    const name = file.slice(0, -'.graphql'.length);
    const port = SUBGRAPH_PORTS[name];
    if (port === undefined) {
      fail(
        `compose: unknown subgraph "${name}" (${file}); known: ${Object.keys(SUBGRAPH_PORTS).join(', ')}. ` +
          'Add its port to SUBGRAPH_PORTS in compose.mjs.',
      );
    }
    const sdl = await readFile(join(subgraphsDir, file), 'utf8');
    let typeDefs;
    try {
      typeDefs = parse(sdl, { noLocation: true });
    } catch (err) {
      fail(`compose: ${file} is not valid GraphQL SDL: ${err.message}`);
    }
    services.push({ name, url: `http://127.0.0.1:${port}/graphql`, typeDefs });
  }
  return services;
}

async function main() {
  const args = process.argv.slice(2);
  const unknownArgs = args.filter((a) => a !== '--check');
  if (unknownArgs.length > 0) {
    fail(`compose: unknown argument(s): ${unknownArgs.join(' ')}\nusage: node compose.mjs [--check]`);
  }
  const check = args.includes('--check');

  const services = await loadServices();
  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    const lines = result.errors.map((e) => {
      const code = e.extensions && e.extensions.code ? `[${e.extensions.code}] ` : '';
      return `  - ${code}${e.message}`;
    });
    fail(`compose: composition failed with ${result.errors.length} error(s):\n${lines.join('\n')}`);
  }

  const supergraph = result.supergraphSdl.trimEnd().replace(/\r\n/g, '\n') + '\n';
  const names = services.map((s) => s.name).join(', ');

  if (check) {
    let committed;
    try {
      committed = await readFile(supergraphPath, 'utf8');
    } catch {
      fail('compose --check: supergraph.graphql is missing; run `npm run compose` in gateway/ and commit it.');
    }
    if (committed !== supergraph) {
      fail(
        'compose --check: supergraph.graphql is out of date with subgraphs/*.graphql; ' +
          'run `npm run compose` in gateway/ and commit the result.',
      );
    }
    process.stdout.write(`compose --check: supergraph.graphql is up to date (${names})\n`);
    return;
  }

  await writeFile(supergraphPath, supergraph, 'utf8');
  process.stdout.write(`compose: wrote supergraph.graphql from ${services.length} subgraph(s) (${names})\n`);
}

await main();
