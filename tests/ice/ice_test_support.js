// Shared by the ICE gateway's end-to-end tests (tests/ice_gateway_test.sh runs them):
// the endpoint and credentials the daemon was started with, a tiny test runner, and raw
// HTTP requests for what the vendor SDKs cannot send (malformed or replayed requests).
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');

const endpoint = process.env.ICE_ENDPOINT;  // http://127.0.0.1:<port>
if (!endpoint) {
  console.error('ICE_ENDPOINT is not set; run tests/ice_gateway_test.sh');
  process.exit(2);
}

// The credentials file tests/ice_gateway_test.sh writes.
const credentials = {
  tenant1: {accessKeyId: 'ice-test-t1', accessKeySecret: 'ice-test-secret-t1'},
  tenant2: {accessKeyId: 'ice-test-t2', accessKeySecret: 'ice-test-secret-t2'},
  // Tenant 1, may only read (ice:QueryDNAJobList, ice:GetPipeline, ice:ListPipelines).
  readOnly: {accessKeyId: 'ice-test-ro', accessKeySecret: 'ice-test-secret-ro'},
};

const tests = [];
function test(name, body) {
  tests.push({name, body});
}

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

// Sends one raw HTTP request; resolves {status, headers, body (parsed JSON or text)}.
function rawRequest(method, path, {headers = {}, body = ''} = {}) {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: url.hostname, port: url.port, method, path,
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

// Asserts a vendor-shaped error answer: HTTP status, Code, every field of the body, and the
// request id header matching the body's RequestId.
function assertIceError(reply, status, code) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.Code, code, JSON.stringify(reply.body));
  for (const field of ['RequestId', 'HostId', 'Code', 'Message', 'Recommend']) {
    assert.equal(typeof reply.body[field], 'string', `${field} in ${JSON.stringify(reply.body)}`);
    assert.ok(reply.body[field].length > 0, `${field} is empty`);
  }
  assert.equal(reply.headers['x-acs-request-id'], reply.body.RequestId);
  assert.equal(reply.headers['x-request-id'], reply.body.RequestId);
}

// Runs `call`, which must be rejected by an Alibaba SDK with the vendor error `code` and HTTP
// `status`; returns the error body.
async function expectSdkError(call, status, code) {
  let error;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${code}, the call succeeded`);
  const body = error.data || {};
  // pop-core keeps the HTTP exchange in `entry`; the Tea (openapi-client) errors keep the
  // status in `data.statusCode`.
  const httpStatus = error.entry ? error.entry.response.statusCode :
                                   (error.data && error.data.statusCode);
  assert.equal(error.code, code, `${error.message}`);
  assert.equal(httpStatus, status, `${error.message}`);
  return body;
}

const ISO_UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

module.exports = {
  endpoint, credentials, test, run, rawRequest, assertIceError, expectSdkError,
  ISO_UTC_SECONDS,
};
