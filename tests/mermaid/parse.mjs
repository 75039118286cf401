// Parse each file named on the command line with Mermaid's own parser (mermaid.parse), as GitHub's and
// GitLab's renderers do first; print "ok FILE" or "error FILE: message", and exit 1 if any failed.
// jsdom gives Mermaid the window and document it expects from a browser (DOMPurify needs them).
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(`ok ${file}`);
  } catch (error) {
    failed = true;
    console.log(`error ${file}: ${String(error.message).split('\n').join(' ')}`);
  }
}
process.exit(failed ? 1 : 0);
