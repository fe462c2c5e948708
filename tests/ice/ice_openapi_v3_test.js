// End to end: Alibaba Cloud's @alicloud/openapi-client with signature V3
// (ACS3-HMAC-SHA256), called the way the generated ICE SDK (ice20201109) calls it:
// Params{style RPC, pathname "/", method POST, reqBodyType formData, bodyType json} and
// every action parameter in the query. Run by tests/ice_gateway_test.sh; writes the ids of
// the jobs it submitted as tenant 1 to $ICE_JOB_IDS_FILE.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const OpenApi = require('@alicloud/openapi-client');
const OpenApiUtil = require('@alicloud/openapi-util').default;
const Util = require('@alicloud/tea-util');
const {endpoint, credentials, test, run, expectSdkError, ISO_UTC_SECONDS} =
    require('./ice_test_support');

const host = new URL(endpoint).host;

class IceClient {
  constructor(credential) {
    this.client = new OpenApi.default(new OpenApi.Config(Object.assign(
        {endpoint: host, protocol: 'http', readTimeout: 30000, connectTimeout: 10000},
        credential)));
  }

  // As the generated SDK's <action>WithOptions(request, runtime): returns the body.
  async call(action, query, {version = '2020-11-09', headers, body} = {}) {
    const params = new OpenApi.Params({
      action, version, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK',
      style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
    });
    const request = new OpenApi.OpenApiRequest({
      query: OpenApiUtil.query(query), headers, body,
    });
    const response = await this.client.callApi(params, request, new Util.RuntimeOptions({}));
    assert.equal(response.statusCode, 200);
    assert.equal(typeof response.body.RequestId, 'string');
    return response.body;
  }
}

const t1 = new IceClient(credentials.tenant1);
const t2 = new IceClient(credentials.tenant2);
const readOnly = new IceClient(credentials.readOnly);
const submittedByTenant1 = [];

function dnaJob(primaryKey, extra = {}) {
  return Object.assign({
    DBId: 'db-v3',
    PrimaryKey: primaryKey,
    Input: JSON.stringify({Media: 'oss://bucket/v3/clip (1).mp4', Type: 'OSS'}),
  }, extra);
}
async function submit(query, options) {
  const body = await t1.call('SubmitDNAJob', query, options);
  assert.match(body.JobId, /^[0-9a-f]{32}$/);
  submittedByTenant1.push(body.JobId);
  return body.JobId;
}
async function statusOf(client, jobId) {
  const list = (await client.call('QueryDNAJobList', {JobIds: jobId})).JobList;
  return list.length === 0 ? undefined : list[0].Status;
}

test('submit, query, pause pipeline, cancel, resume over V3', async () => {
  const pipeline = (await t1.call('CreatePipeline',
      {Name: 'v3 pipeline', Speed: 'Standard'})).Pipeline;
  assert.equal(pipeline.Status, 'Active');
  assert.equal(pipeline.Priority, 6);
  const jobId = await submit(dnaJob('v3-1', {PipelineId: pipeline.PipelineId, UserData: 'v3'}));
  const job = (await t1.call('QueryDNAJobList', {JobIds: jobId})).JobList[0];
  assert.equal(job.Status, 'Queuing');
  assert.equal(job.DBId, 'db-v3');
  assert.equal(job.UserData, 'v3');
  assert.deepEqual({...job.Input}, {Media: 'oss://bucket/v3/clip (1).mp4', Type: 'OSS'});
  assert.match(job.CreationTime, ISO_UTC_SECONDS);

  assert.equal((await t1.call('UpdatePipeline',
      {PipelineId: pipeline.PipelineId, Status: 'Paused'})).Success, true);
  assert.equal((await t1.call('GetPipeline', {PipelineId: pipeline.PipelineId}))
      .Pipeline.Status, 'Paused');
  assert.equal((await t1.call('CancelDNAJob', {JobId: jobId})).JobId, jobId);
  assert.equal(await statusOf(t1, jobId), 'Canceled');
  assert.equal((await t1.call('UpdatePipeline',
      {PipelineId: pipeline.PipelineId, Status: 'Active'})).Success, true);
  assert.equal((await t1.call('GetPipeline', {PipelineId: pipeline.PipelineId}))
      .Pipeline.Status, 'Active');
  const list = (await t1.call('ListPipelines', {})).PipelineList;
  assert.ok(list.some((p) => p.PipelineId === pipeline.PipelineId));
});

test('parameters in a form body are covered by x-acs-content-sha256', async () => {
  const jobId = await submit({}, {body: dnaJob('v3-body')});
  assert.equal(await statusOf(t1, jobId), 'Queuing');
});

test('errors: unknown action, wrong version, missing parameter, bad JSON, unknown job',
    async () => {
      await expectSdkError(() => t1.call('NoSuchAction', {}), 404, 'InvalidAction.NotFound');
      await expectSdkError(() => t1.call('QueryDNAJobList', {JobIds: 'x'},
          {version: '2017-01-01'}), 400, 'InvalidVersion');
      const missing = await expectSdkError(() => t1.call('SubmitDNAJob',
          {DBId: 'db', Input: '{"Media":"m","Type":"Media"}'}), 400, 'MissingParameter');
      assert.match(missing.Message, /"PrimaryKey"/);
      await expectSdkError(() => t1.call('SubmitDNAJob', dnaJob('bad', {Input: '{'})), 400,
          'InvalidParameter.JsonFormatInvalid');
      await expectSdkError(() => t1.call('CancelDNAJob',
          {JobId: 'abcdefabcdefabcdefabcdefabcdefab'}), 404,
          'InvalidParameter.ResourceNotFound');
    });

test('another tenant\'s job is not found and unchanged', async () => {
  const jobId = await submit(dnaJob('v3-tenant'));
  await expectSdkError(() => t2.call('CancelDNAJob', {JobId: jobId}), 404,
      'InvalidParameter.ResourceNotFound');
  assert.equal(await statusOf(t2, jobId), undefined);
  assert.equal(await statusOf(t1, jobId), 'Queuing');
});

test('an action not allowed is 403 Forbidden.RAM', async () => {
  await expectSdkError(() => readOnly.call('SubmitDNAJob', dnaJob('v3-ro')), 403,
      'Forbidden.RAM');
  await expectSdkError(() => readOnly.call('UpdatePipeline',
      {PipelineId: 'abcdefabcdefabcdefabcdefabcdefab', Status: 'Paused'}), 403, 'Forbidden.RAM');
});

test('wrong secret is SignatureDoesNotMatch with the server\'s string to sign', async () => {
  const wrong = new IceClient({accessKeyId: credentials.tenant1.accessKeyId,
    accessKeySecret: 'not-the-secret'});
  const body = await expectSdkError(() => wrong.call('QueryDNAJobList', {JobIds: 'a'}), 400,
      'SignatureDoesNotMatch');
  assert.match(body.Message,
      /server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
});

test('a replayed x-acs-signature-nonce is SignatureNonceUsed and does nothing', async () => {
  const nonce = `v3-replay-${Date.now()}`;
  const headers = {'x-acs-signature-nonce': nonce};
  await submit(dnaJob('v3-replay'), {headers});
  await expectSdkError(() => t1.call('SubmitDNAJob', dnaJob('v3-replay'), {headers}), 400,
      'SignatureNonceUsed');
});

test('a stale x-acs-date is InvalidTimeStamp.Expired', async () => {
  const stale = new Date(Date.now() - 20 * 60 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  await expectSdkError(() => t1.call('SubmitDNAJob', dnaJob('v3-stale'),
      {headers: {'x-acs-date': stale}}), 400, 'InvalidTimeStamp.Expired');
  await expectSdkError(() => t1.call('SubmitDNAJob', dnaJob('v3-bad-date'),
      {headers: {'x-acs-date': 'yesterday'}}), 400, 'InvalidTimeStamp.Format');
});

run().then(() => {
  if (process.env.ICE_JOB_IDS_FILE) {
    fs.writeFileSync(process.env.ICE_JOB_IDS_FILE, submittedByTenant1.join('\n') + '\n');
  }
});
