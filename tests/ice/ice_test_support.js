// Shared by the ICE gateway's end-to-end tests (tests/ice_gateway_test.sh runs them):
// the endpoint and credentials the daemon was started with, a tiny test runner, and raw
// HTTP requests for what the vendor SDKs cannot send (malformed or replayed requests).
'use strict';

const assert = require('node:assert/strict');
const {test, run, rawRequestTo} = require('../node_test_support.js');

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

// One raw HTTP request to the gateway under test (node_test_support.js).
function rawRequest(method, target, options) {
  return rawRequestTo(endpoint, method, target, options);
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
