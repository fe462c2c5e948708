// End to end: Alibaba Cloud's own Node client @alicloud/pop-core (signature V1, GET and POST)
// against jobcontrold's ICE gateway. Run by tests/ice_gateway_test.sh, which starts the
// daemon; writes the ids of the jobs it submitted as tenant 1 to $ICE_JOB_IDS_FILE so the
// script can check them over gRPC.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const RPCClient = require('@alicloud/pop-core');
const {
  endpoint, credentials, test, run, rawRequest, assertIceError, expectSdkError,
  ISO_UTC_SECONDS,
} = require('./ice_test_support');

function client(credential, apiVersion = '2020-11-09', verbose = false) {
  return new RPCClient(Object.assign({endpoint, apiVersion}, credential), verbose);
}
const t1 = client(credentials.tenant1);
const t2 = client(credentials.tenant2);
const readOnly = client(credentials.readOnly);
const POST = {method: 'POST'};

const submittedByTenant1 = [];
function dnaJob(primaryKey) {
  return {
    DBId: 'db-e2e',
    PrimaryKey: primaryKey,
    Input: JSON.stringify({Media: 'oss://bucket/video/a b.mp4', Type: 'OSS'}),
    Config: JSON.stringify({SaveType: 'save', MediaType: 'video'}),
    UserData: 'user data: 中文 & more',
  };
}
async function submit(params, opts = POST) {
  const reply = await t1.request('SubmitDNAJob', params, opts);
  assert.match(reply.JobId, /^[0-9a-f]{32}$/);
  assert.equal(typeof reply.RequestId, 'string');
  submittedByTenant1.push(reply.JobId);
  return reply.JobId;
}
async function queryOne(rpcClient, jobId) {
  const reply = await rpcClient.request('QueryDNAJobList', {JobIds: jobId});
  assert.equal(typeof reply.RequestId, 'string');
  return reply.JobList;
}

test('submit (POST), query (GET), pause, cancel, resume: the vendor flow', async () => {
  const created = await t1.request(
      'CreatePipeline', {Name: 'e2e pipeline', Speed: 'Standard', Priority: 7}, POST);
  const pipeline = created.Pipeline;
  assert.match(pipeline.PipelineId, /^[0-9a-f]{32}$/);
  assert.equal(pipeline.Name, 'e2e pipeline');
  assert.equal(pipeline.Priority, 7);
  assert.equal(pipeline.Speed, 'Standard');
  assert.equal(pipeline.Status, 'Active');
  assert.match(pipeline.CreateTime, ISO_UTC_SECONDS);
  assert.match(pipeline.ModifiedTime, ISO_UTC_SECONDS);

  const jobId = await submit(Object.assign(dnaJob('video-1'), {PipelineId: pipeline.PipelineId}));
  let list = await queryOne(t1, jobId);
  assert.equal(list.length, 1);
  const job = list[0];
  assert.equal(job.Id, jobId);
  assert.equal(job.DBId, 'db-e2e');
  assert.equal(job.PrimaryKey, 'video-1');
  assert.equal(job.Status, 'Queuing');
  assert.deepEqual({...job.Input}, {Media: 'oss://bucket/video/a b.mp4', Type: 'OSS'});
  assert.deepEqual(JSON.parse(job.Config), {SaveType: 'save', MediaType: 'video'});
  assert.equal(job.UserData, 'user data: 中文 & more');
  assert.match(job.CreationTime, ISO_UTC_SECONDS);
  assert.equal(job.FinishTime, undefined);

  // The vendor's advice: pause the pipeline, cancel, resume.
  assert.equal((await t1.request('UpdatePipeline',
      {PipelineId: pipeline.PipelineId, Status: 'Paused'}, POST)).Success, true);
  assert.equal((await t1.request('GetPipeline', {PipelineId: pipeline.PipelineId}))
      .Pipeline.Status, 'Paused');
  const canceled = await t1.request('CancelDNAJob', {JobId: jobId}, POST);
  assert.equal(canceled.JobId, jobId);
  list = await queryOne(t1, jobId);
  assert.equal(list[0].Status, 'Canceled');
  assert.match(list[0].FinishTime, ISO_UTC_SECONDS);
  // Cancelling again changes nothing and is not an error.
  assert.equal((await t1.request('CancelDNAJob', {JobId: jobId})).JobId, jobId);
  assert.equal((await t1.request('UpdatePipeline',
      {PipelineId: pipeline.PipelineId, Status: 'Active', Name: 'renamed', Priority: 9},
      POST)).Success, true);
  const resumed = (await t1.request('GetPipeline', {PipelineId: pipeline.PipelineId})).Pipeline;
  assert.equal(resumed.Status, 'Active');
  assert.equal(resumed.Name, 'renamed');
  assert.equal(resumed.Priority, 9);

  const all = (await t1.request('ListPipelines', {})).PipelineList;
  assert.ok(all.some((p) => p.PipelineId === pipeline.PipelineId), JSON.stringify(all));
  assert.deepEqual((await t1.request('ListPipelines', {Speed: 'Boost'})).PipelineList, []);
});

test('GET form: submit, query and cancel with query-string parameters', async () => {
  const jobId = await submit({
    DBId: 'db-e2e', PrimaryKey: 'video-get',
    Input: JSON.stringify({Media: 'media-asset-1', Type: 'Media'}),
  }, {});
  const job = (await queryOne(t1, jobId))[0];
  assert.deepEqual({...job.Input}, {Media: 'media-asset-1', Type: 'Media'});
  assert.equal(job.Status, 'Queuing');
  assert.equal((await t1.request('CancelDNAJob', {JobId: jobId})).JobId, jobId);
});

test('query of several ids leaves out unknown ones', async () => {
  const a = await submit(dnaJob('several-a'));
  const b = await submit(dnaJob('several-b'));
  const list = (await t1.request('QueryDNAJobList',
      {JobIds: `${a},ffffffffffffffffffffffffffffffff,not-an-id,${b}`})).JobList;
  assert.deepEqual(list.map((j) => j.Id), [a, b]);
});

test('pipeline create / delete and an unknown pipeline', async () => {
  const created = (await t1.request('CreatePipeline', {Name: 'short-lived', Speed: 'Boost'},
      POST)).Pipeline;
  assert.equal(created.Priority, 6);
  assert.equal((await t1.request('DeletePipeline', {PipelineId: created.PipelineId}, POST))
      .Success, true);
  await expectSdkError(() => t1.request('GetPipeline', {PipelineId: created.PipelineId}),
      404, 'InvalidParameter.ResourceNotFound');
  await expectSdkError(() => t1.request('DeletePipeline', {PipelineId: created.PipelineId}),
      404, 'InvalidParameter.ResourceNotFound');
  await expectSdkError(() => t1.request('CreatePipeline', {Name: 'x', Speed: 'Fast'}),
      400, 'InvalidParameter');
  await expectSdkError(() => t1.request('CreatePipeline', {Name: 'x'}),
      400, 'MissingParameter');
});

test('unknown Action is 404 InvalidAction.NotFound', async () => {
  await expectSdkError(() => t1.request('SubmitSomethingElse', {}), 404,
      'InvalidAction.NotFound');
});

test('wrong Version is 400 InvalidVersion', async () => {
  await expectSdkError(() => client(credentials.tenant1, '2019-01-01').request(
      'QueryDNAJobList', {JobIds: 'x'}), 400, 'InvalidVersion');
});

test('missing parameter is 400 MissingParameter naming it', async () => {
  const params = dnaJob('missing');
  delete params.DBId;
  const body = await expectSdkError(() => t1.request('SubmitDNAJob', params, POST), 400,
      'MissingParameter');
  assert.match(body.Message, /"DBId"/);
  const noJobId = await expectSdkError(() => t1.request('CancelDNAJob', {}), 400,
      'MissingParameter');
  assert.match(noJobId.Message, /"JobId"/);
});

test('malformed Input JSON is 400 InvalidParameter.JsonFormatInvalid', async () => {
  const params = Object.assign(dnaJob('bad-json'), {Input: '{"Media": "oss://b/a.mp4", '});
  const body = await expectSdkError(() => t1.request('SubmitDNAJob', params, POST), 400,
      'InvalidParameter.JsonFormatInvalid');
  assert.match(body.Message, /"Input"/);
  await expectSdkError(() => t1.request('SubmitDNAJob',
      Object.assign(dnaJob('bad-type'), {Input: '{"Media":"m","Type":"Ftp"}'}), POST),
      400, 'InvalidParameter');
  await expectSdkError(() => t1.request('SubmitDNAJob',
      Object.assign(dnaJob('bad-config'), {Config: '[1,2'}), POST),
      400, 'InvalidParameter.JsonFormatInvalid');
});

test('unknown job is 404 InvalidParameter.ResourceNotFound', async () => {
  const body = await expectSdkError(() => t1.request('CancelDNAJob',
      {JobId: '0123456789abcdef0123456789abcdef'}, POST), 404,
      'InvalidParameter.ResourceNotFound');
  assert.match(body.Message, /0123456789abcdef0123456789abcdef/);
});

test('another tenant\'s job is not found, and stays as it was', async () => {
  const jobId = await submit(dnaJob('tenant-1-only'));
  await expectSdkError(() => t2.request('CancelDNAJob', {JobId: jobId}, POST), 404,
      'InvalidParameter.ResourceNotFound');
  assert.deepEqual(await queryOne(t2, jobId), []);
  assert.equal((await queryOne(t1, jobId))[0].Status, 'Queuing');
});

test('an action the credential may not perform is 403 Forbidden.RAM', async () => {
  await expectSdkError(() => readOnly.request('SubmitDNAJob', dnaJob('ro'), POST), 403,
      'Forbidden.RAM');
  const jobId = await submit(dnaJob('ro-target'));
  await expectSdkError(() => readOnly.request('CancelDNAJob', {JobId: jobId}, POST), 403,
      'Forbidden.RAM');
  // The same credential may query: tenant 1's job, still queued.
  assert.equal((await queryOne(readOnly, jobId))[0].Status, 'Queuing');
});

test('wrong secret is 400 SignatureDoesNotMatch with the server\'s string to sign', async () => {
  const wrong = client({accessKeyId: credentials.tenant1.accessKeyId, accessKeySecret: 'nope'});
  const body = await expectSdkError(() => wrong.request('QueryDNAJobList', {JobIds: 'a'}),
      400, 'SignatureDoesNotMatch');
  assert.match(body.Message,
      /^Specified signature is not matched with our calculation\. server string to sign is:GET&%2F&AccessKeyId%3Dice-test-t1%26Action%3DQueryDNAJobList%26/);
  const wrongPost = await expectSdkError(
      () => wrong.request('SubmitDNAJob', dnaJob('wrong-secret'), POST), 400,
      'SignatureDoesNotMatch');
  assert.match(wrongPost.Message, /server string to sign is:POST&%2F&/);
});

test('unknown AccessKeyId is 404 InvalidAccessKeyId.NotFound', async () => {
  await expectSdkError(() => client({accessKeyId: 'nobody', accessKeySecret: 's'})
      .request('QueryDNAJobList', {JobIds: 'a'}), 404, 'InvalidAccessKeyId.NotFound');
});

test('a replayed request is 400 SignatureNonceUsed and does nothing', async () => {
  const verbose = client(credentials.tenant1, '2020-11-09', true);
  const [first, entry] = await verbose.request('SubmitDNAJob', dnaJob('replayed'));
  submittedByTenant1.push(first.JobId);
  const url = new URL(entry.url);
  const replay = await rawRequest('GET', url.pathname + url.search);
  assertIceError(replay, 400, 'SignatureNonceUsed');
});

test('a stale timestamp is 400 InvalidTimeStamp.Expired', async () => {
  const RealDate = Date;
  const skew = 20 * 60 * 1000;
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) {
        super(RealDate.now() - skew);
      } else {
        super(...args);
      }
    }
    static now() {
      return RealDate.now() - skew;
    }
  };
  try {
    await expectSdkError(() => t1.request('SubmitDNAJob', dnaJob('stale'), POST), 400,
        'InvalidTimeStamp.Expired');
  } finally {
    global.Date = RealDate;
  }
});

test('malformed requests get vendor-shaped 4xx answers', async () => {
  const q = '/?Action=QueryDNAJobList&Version=2020-11-09';
  assertIceError(await rawRequest('GET', `${q}&JobIds=%zz`), 400, 'InvalidParameter');
  assertIceError(await rawRequest('GET', `${q}&JobIds=%FF%FE`), 400, 'InvalidParameter');
  assertIceError(await rawRequest('GET', `${q}&JobIds=a&JobIds=b`), 400, 'InvalidParameter');
  assertIceError(await rawRequest('POST', `${q}&JobIds=a`, {
    headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'JobIds=b',
  }), 400, 'InvalidParameter');
  assertIceError(await rawRequest('GET', q, {body: 'JobIds=a'}), 400, 'InvalidParameter');
  assertIceError(await rawRequest('POST', q, {
    headers: {'content-type': 'application/json'}, body: '{"JobIds":"a"}',
  }), 415, 'UnsupportedMediaType');
  assertIceError(await rawRequest('PUT', q), 403, 'UnsupportedHTTPMethod');
  assertIceError(await rawRequest('GET', '/?Version=2020-11-09'), 400, 'MissingParameter');
  assertIceError(await rawRequest('GET', `${q}&JobIds=a`), 400, 'MissingParameter');
  assertIceError(await rawRequest('GET', `/other${q}`), 404, 'InvalidAction.NotFound');
  assertIceError(await rawRequest('POST', q, {
    headers: {'content-type': 'application/x-www-form-urlencoded'},
    body: 'JobIds=' + 'a'.repeat((1 << 20) + 1),
  }), 413, 'InvalidParameter.BodyTooLarge');
});

run().then(() => {
  if (process.env.ICE_JOB_IDS_FILE) {
    fs.writeFileSync(process.env.ICE_JOB_IDS_FILE, submittedByTenant1.join('\n') + '\n');
  }
});
