// Shared by the Node end-to-end tests of the gateway dialects (tests/ice/, tests/mpc/): a
// tiny sequential test runner, and one raw HTTP request for what the vendors' SDKs cannot
// send (malformed or unsigned requests).
'use strict';

const http = require('node:http');

const tests = [];

// Registers a test; run() runs them in order.
function test(name, body) {
  tests.push({name, body});
}

// Runs every registered test, prints "ok - name" / "not ok - name" with the error, then a
// count; the exit code is 1 if any failed.
async function run() {
  let passed = 0;
  let failed = 0;
  for (const {name, body} of tests) {
    try {
      await body();
      passed++;
      console.log(`ok - ${name}`);
    } catch (error) {
      failed++;
      console.log(`not ok - ${name}`);
      console.log(String(error && error.stack || error).replace(/^/gm, '    '));
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

// Sends one raw HTTP request to `endpoint` (http://host:port) with `target` (path and
// query, as sent); resolves {status, headers, body (parsed JSON, or the text)}.
function rawRequestTo(endpoint, method, target, {headers = {}, body = ''} = {}) {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: url.hostname, port: url.port, method, path: target,
      headers: Object.assign({'content-length': Buffer.byteLength(body)}, headers),
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          // left as text
        }
        resolve({status: response.statusCode, headers: response.headers, body: parsed});
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

module.exports = {test, run, rawRequestTo};
