// Shared by the MPC gateway's end-to-end tests (tests/mpc_gateway_test.sh runs them): the
// endpoint and credentials the daemon was started with, Huawei Cloud's Node SDK core set up
// the way the generated MPC SDK uses it, raw HTTP for what the SDK cannot send (malformed
// requests), and gRPC calls through buf curl.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {execFileSync} = require('node:child_process');
const {test, run, rawRequestTo} = require('../node_test_support.js');
const path = require('node:path');

const {BasicCredentials} = require('@huaweicloud/huaweicloud-sdk-core');
const {ClientBuilder} = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder');
const {AKSKSigner} = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner');
const {Logger4jInstance} = require('@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger');

// The SDK core logs every failed call, request headers and all, to the console; these tests
// fail calls on purpose, and report their own failures.
Logger4jInstance.level = 'off';

const endpoint = process.env.MPC_ENDPOINT;  // http://127.0.0.1:<port>
const grpcAddress = process.env.MPC_GRPC_ADDRESS;  // 127.0.0.1:<port>
if (!endpoint || !grpcAddress) {
  console.error('MPC_ENDPOINT or MPC_GRPC_ADDRESS is not set; run tests/mpc_gateway_test.sh');
  process.exit(2);
}

// The credentials file tests/mpc_gateway_test.sh writes (tokens come from the environment).
const credentials = {
  p1: {ak: 'mpc-test-p1', sk: 'mpc-test-secret-p1', project: 'p1', token: process.env.MPC_TOKEN_P1},
  p2: {ak: 'mpc-test-p2', sk: 'mpc-test-secret-p2', project: 'p2', token: process.env.MPC_TOKEN_P2},
  // Project p3, for the leased (running) job: no other job of p3 is ever queued.
  p3: {ak: 'mpc-test-p3', sk: 'mpc-test-secret-p3', project: 'p3', token: process.env.MPC_TOKEN_P3},
  // Project p1, may only view (mpc:editingTask:view).
  viewer: {ak: 'mpc-test-viewer', sk: 'mpc-test-secret-viewer', project: 'p1'},
};

// X-Request-Id: <uuid>-<yyyyMMddHHmmss>-<hostname>.
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]{14}-[^\s]+$/;

// An HcClient of the SDK core, built as the generated MPC SDK builds its client: AK/SK
// BasicCredentials with the project id, or any credential object given.
function sdkClient({ak, sk, project}, credential) {
  const basic = credential ||
      new BasicCredentials().withAk(ak).withSk(sk).withProjectId(project);
  return new ClientBuilder((hcClient) => hcClient).withCredential(basic)
      .withEndpoint(endpoint).build();
}

// X-Auth-Token for the SDK core's HTTP client: the SDK core has no token credential, so this
// does what BasicCredentials does for the path and sets the token header instead of signing.
class TokenCredential {
  constructor(token, projectId) {
    this.token = token;
    this.projectId = projectId;
  }
  async processAuthRequest(hcClient, httpRequest) {
    httpRequest.url = httpRequest.url.replace('{project_id}', this.projectId);
    httpRequest.headers = Object.assign({}, httpRequest.headers, {'X-Auth-Token': this.token});
    return httpRequest;
  }
}

// The generated MPC SDK's requests (CreateEditingJobs, ListEditingJobs, DeleteEditingJobs).
function createEditingJob(client, body, extraHeaders = {}) {
  return client.sendRequest({
    method: 'POST', url: '/v2/{project_id}/editing/jobs', contentType: 'application/json',
    queryParams: {}, pathParams: {}, headers: Object.assign({}, extraHeaders), data: body,
    responseHeaders: ['X-Request-Id'],
  });
}
function listEditingJobs(client, jobIds, extraHeaders = {}) {
  return client.sendRequest({
    method: 'GET', url: '/v2/{project_id}/editing/jobs', queryParams: {job_id: jobIds},
    pathParams: {}, headers: Object.assign({}, extraHeaders), data: {},
    responseHeaders: ['X-Request-Id'],
  });
}
function deleteEditingJob(client, jobId, extraHeaders = {}) {
  return client.sendRequest({
    method: 'DELETE', url: '/v2/{project_id}/editing/jobs/{job_id}', queryParams: {},
    pathParams: {job_id: jobId}, headers: Object.assign({}, extraHeaders), data: {},
    responseHeaders: ['X-Request-Id'],
  });
}

// A CreateEditingJobsReq body, as in the vendor's documentation.
function editingJobBody(overrides = {}) {
  return Object.assign({
    inputs: [
      {input: {bucket: 'media', location: 'cn-north-4', object: 'in/a b.mp4'},
       timeline_start: '10', timeline_end: '20.5'},
      {input: {bucket: 'media', location: 'cn-north-4', object: 'in/b.mp4'}},
    ],
    output: {bucket: 'media', location: 'cn-north-4', object: 'out/', file_name: 'clip.mp4'},
    editing_settings: {resolution_adaptation: 'OPEN', format: 'MP4', width: 1280, height: 0},
    user_data: 'user data: 中文 & more',
    editing_type: 1,
  }, overrides);
}

// Expects `promise` (an SDK call) to fail with this HTTP status and error_code.
async function expectSdkError(promise, status, code, message) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected HTTP ${status} ${code}, the call succeeded`);
  assert.equal(error.httpStatusCode, status, `${error.errorCode}: ${error.errorMsg}`);
  assert.equal(error.errorCode, code, error.errorMsg);
  assert.equal(typeof error.errorMsg, 'string');
  assert.ok(error.errorMsg.length > 0);
  if (message !== undefined) assert.equal(error.errorMsg, message);
  assert.match(error.requestId || '', REQUEST_ID);
  return error;
}

// One raw HTTP request to the gateway under test (node_test_support.js).
function rawRequest(method, target, options) {
  return rawRequestTo(endpoint, method, target, options);
}

// A raw request signed by the SDK core's own AKSKSigner: `target` as sent (path and query),
// `query` the same parameters decoded for the signer, `body` any bytes, whose SHA-256 goes
// into X-Sdk-Content-Sha256 (the SDK's way to sign a body it does not serialize itself).
function signedRawRequest(credential, method, target, query, {headers = {}, body = ''} = {}) {
  const url = new URL(endpoint);
  const pathOnly = target.split('?')[0];
  // X-Project-Id unless the caller sends the documented X-Project_Id: the SDK core orders the
  // canonical headers with localeCompare ('_' before '-') but SignedHeaders by code point, so
  // it cannot sign both spellings at once.
  const project = 'X-Project_Id' in headers ? {} : {'X-Project-Id': credential.project};
  const unsigned = Object.assign({
    'host': url.host,
    'X-Sdk-Content-Sha256': crypto.createHash('sha256').update(body).digest('hex'),
  }, project, headers);
  const signed = AKSKSigner.sign({
    method, endpoint: `${endpoint}${pathOnly}`, headers: unsigned, queryParams: query,
  }, new BasicCredentials().withAk(credential.ak).withSk(credential.sk));
  return rawRequest(method, target, {headers: signed, body});
}

// Asserts a vendor-shaped MPC error answer: HTTP status, error_code, error_msg, and the
// X-Request-Id header in the vendor's shape.
function assertMpcError(reply, status, code) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(typeof reply.body, 'object', String(reply.body));
  assert.equal(reply.body.error_code, code, JSON.stringify(reply.body));
  assert.equal(typeof reply.body.error_msg, 'string');
  assert.ok(reply.body.error_msg.length > 0);
  assert.match(reply.headers['x-request-id'] || '', REQUEST_ID);
}

// One jobcontrol.v1 call over gRPC with buf curl (server reflection), as `token`'s caller.
function grpcCall(method, request, token) {
  const buf = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'buf');
  const out = execFileSync(buf, [
    'curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--timeout', '30s',
    '-H', `authorization: Bearer ${token}`, '-d', JSON.stringify(request),
    `http://${grpcAddress}/jobcontrol.v1.${method}`,
  ], {encoding: 'utf8'});
  return JSON.parse(out);
}

module.exports = {
  assert, credentials, REQUEST_ID, test, run, sdkClient, TokenCredential, createEditingJob,
  listEditingJobs, deleteEditingJob, editingJobBody, expectSdkError, rawRequest,
  signedRawRequest, assertMpcError, grpcCall,
};
