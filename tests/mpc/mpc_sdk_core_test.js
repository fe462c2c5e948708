// End to end: Huawei Cloud's Node SDK core (@huaweicloud/huaweicloud-sdk-core: its AK/SK
// signer and HTTP client, used the way the generated MPC SDK uses them) against jobcontrold's
// MPC dialect. tests/mpc_gateway_test.sh starts the daemon and runs this file; the job ids
// created are appended to $MPC_JOB_IDS_FILE so the script can check, over gRPC, that nothing
// else was created.
'use strict';

const fs = require('node:fs');
const {
  assert, credentials, REQUEST_ID, test, run, sdkClient, TokenCredential, createEditingJob,
  listEditingJobs, deleteEditingJob, editingJobBody, expectSdkError, rawRequest,
  signedRawRequest, assertMpcError, grpcCall,
} = require('./mpc_test_support');

const idsFile = process.env.MPC_JOB_IDS_FILE;
const p1 = sdkClient(credentials.p1);
const CANCEL_REFUSED = 'The task is in progress or has been completed.';

async function create(client, body = editingJobBody(), headers = {}) {
  const reply = await createEditingJob(client, body, headers);
  assert.equal(reply.httpStatusCode, 200);
  assert.match(reply.job_id, /^[0-9a-f]{32}$/);
  assert.match(reply['X-Request-Id'], REQUEST_ID);
  if (idsFile) fs.appendFileSync(idsFile, `${reply.job_id}\n`);
  return reply.job_id;
}

async function statusOf(client, jobId) {
  const reply = await listEditingJobs(client, [jobId]);
  assert.equal(reply.job_array.length, 1, JSON.stringify(reply));
  return reply.job_array[0].status;
}

function p1JobCount() {
  const listed = grpcCall('JobService/ListJobs', {pageSize: 1000}, credentials.p1.token);
  return (listed.jobs || []).length;
}

test('create, query (fields of QueryEditingJob), cancel 204, cancel again 204', async () => {
  const first = await create(p1);
  const second = await create(p1, editingJobBody({user_data: 'second'}));
  const listed = await listEditingJobs(p1, [first, second]);
  assert.equal(listed.httpStatusCode, 200);
  assert.match(listed['X-Request-Id'], REQUEST_ID);
  assert.equal(listed.job_array.length, 2);
  const job = listed.job_array.find((j) => j.job_id === first);
  assert.equal(job.status, 'WAITING');
  assert.equal(job.progress, 0);
  assert.match(job.create_time, /^[0-9]{14}$/);
  assert.equal(job.start_time, undefined);
  assert.equal(job.user_data, 'user data: 中文 & more');
  assert.deepEqual(job.output,
      {bucket: 'media', location: 'cn-north-4', object: 'out/', file_name: 'clip.mp4'});
  assert.equal(listed.job_array.find((j) => j.job_id === second).user_data, 'second');

  const canceled = await deleteEditingJob(p1, first);
  assert.equal(canceled.httpStatusCode, 204);  // (the SDK exposes no headers of a 204)
  assert.equal(await statusOf(p1, first), 'CANCELED');
  const again = await deleteEditingJob(p1, first);
  assert.equal(again.httpStatusCode, 204);
  const ended = (await listEditingJobs(p1, [first])).job_array[0];
  assert.match(ended.end_time, /^[0-9]{14}$/);
});

test('204 has no body and no Content-Type; X-Request-Id on it', async () => {
  const id = await create(p1);
  const reply = await signedRawRequest(credentials.p1, 'DELETE',
      `/v2/p1/editing/jobs/${id}`, {});
  assert.equal(reply.status, 204);
  assert.equal(reply.body, '');
  assert.equal(reply.headers['content-type'], undefined);
  assert.match(reply.headers['x-request-id'], REQUEST_ID);
});

test('the documented cancel forms: /v2/.../editing/job?job_id= and /v1/.../editing/jobs?job_id=',
    async () => {
      for (const form of ['/v2/p1/editing/job', '/v1/p1/editing/jobs']) {
        const id = await create(p1);
        const reply = await signedRawRequest(credentials.p1, 'DELETE', `${form}?job_id=${id}`,
            {job_id: id});
        assert.equal(reply.status, 204, `${form}: ${JSON.stringify(reply.body)}`);
        assert.equal(await statusOf(p1, id), 'CANCELED');
      }
    });

test('cancel of a running job (leased over the WorkerService): 403 MPC.10213', async () => {
  const p3 = sdkClient(credentials.p3);
  const id = await create(p3);
  const leased = grpcCall('WorkerService/LeaseJob',
      {workerId: 'mpc-e2e-worker', kinds: ['JOB_KIND_EDITING']}, credentials.p3.token);
  assert.equal(leased.job.id, id, JSON.stringify(leased));
  assert.equal(await statusOf(p3, id), 'PROCESSING');
  const running = (await listEditingJobs(p3, [id])).job_array[0];
  assert.match(running.start_time, /^[0-9]{14}$/);
  await expectSdkError(deleteEditingJob(p3, id), 403, 'MPC.10213', CANCEL_REFUSED);
  assert.equal(await statusOf(p3, id), 'PROCESSING');
  // Finished: still refused, and SUCCEEDED with progress 100.
  grpcCall('WorkerService/CompleteJob',
      {jobId: id, leaseId: leased.lease.leaseId, result: {outputUri: 'obs://media/out/clip.mp4'}},
      credentials.p3.token);
  const done = (await listEditingJobs(p3, [id])).job_array[0];
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.progress, 100);
  await expectSdkError(deleteEditingJob(p3, id), 403, 'MPC.10213', CANCEL_REFUSED);
});

test('unknown job: cancel 404 MPC.10202, query leaves it out', async () => {
  const unknown = '0123456789abcdef0123456789abcdef';
  await expectSdkError(deleteEditingJob(p1, unknown), 404, 'MPC.10202');
  const listed = await listEditingJobs(p1, [unknown]);
  assert.deepEqual(listed.job_array, []);
});

test('a DNA job (submitted over gRPC) is unknown to MPC cancel: 404 MPC.10202, stays queued',
    async () => {
      const submitted = grpcCall('JobService/SubmitJob', {job: {dnaAnalysis: {
        input: {uri: 'oss://bucket/in.mp4'}, dbId: 'db-1', primaryKey: 'pk-1'}}},
      credentials.p2.token);
      assert.equal(submitted.kind, 'JOB_KIND_DNA_ANALYSIS', JSON.stringify(submitted));
      await expectSdkError(deleteEditingJob(sdkClient(credentials.p2), submitted.id), 404,
          'MPC.10202');
      const after = grpcCall('JobService/GetJob', {jobId: submitted.id}, credentials.p2.token);
      assert.equal(after.state, 'QUEUED', JSON.stringify(after));
      assert.equal(after.version, submitted.version);
    });

test('wrong project: another project in the path or X-Project-Id is 401 MPC.10208', async () => {
  const id = await create(p1);
  // p1's key on p2's path (the SDK sends X-Project-Id: p2, matching the path).
  const p1AsP2 = sdkClient({ak: credentials.p1.ak, sk: credentials.p1.sk, project: 'p2'});
  await expectSdkError(listEditingJobs(p1AsP2, [id]), 401, 'MPC.10208');
  await expectSdkError(deleteEditingJob(p1AsP2, id), 401, 'MPC.10208');
  // X-Project-Id that differs from the path.
  const mismatch = await signedRawRequest(credentials.p1, 'GET',
      `/v2/p1/editing/jobs?job_id=${id}`, {job_id: id}, {headers: {'X-Project-Id': 'p2'}});
  assertMpcError(mismatch, 401, 'MPC.10208');
  // The documented spelling X-Project_Id is checked too.
  const underscore = await signedRawRequest(credentials.p1, 'GET',
      `/v2/p1/editing/jobs?job_id=${id}`, {job_id: id}, {headers: {'X-Project_Id': 'p2'}});
  assertMpcError(underscore, 401, 'MPC.10208');
  const accepted = await signedRawRequest(credentials.p1, 'GET',
      `/v2/p1/editing/jobs?job_id=${id}`, {job_id: id}, {headers: {'X-Project_Id': 'p1'}});
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  // p2, in its own project, does not see p1's job.
  const p2 = sdkClient(credentials.p2);
  assert.deepEqual((await listEditingJobs(p2, [id])).job_array, []);
  await expectSdkError(deleteEditingJob(p2, id), 404, 'MPC.10202');
  assert.equal(await statusOf(p1, id), 'WAITING');
});

test('wrong secret, unknown key, stale or malformed X-Sdk-Date: 401 APIG.0301', async () => {
  const before = p1JobCount();
  const wrongSecret = sdkClient({ak: credentials.p1.ak, sk: 'not-the-secret', project: 'p1'});
  const error = await expectSdkError(createEditingJob(wrongSecret, editingJobBody()), 401,
      'APIG.0301');
  assert.ok(!error.errorMsg.includes(credentials.p1.sk), 'the secret leaked');
  const unknownKey = sdkClient({ak: 'no-such-key', sk: 'x', project: 'p1'});
  await expectSdkError(listEditingJobs(unknownKey, ['a']), 401, 'APIG.0301');
  const basic = (date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (const minutes of [-16, 16]) {
    const date = basic(new Date(Date.now() + minutes * 60 * 1000));
    await expectSdkError(createEditingJob(p1, editingJobBody(), {'X-Sdk-Date': date}), 401,
        'APIG.0301');
  }
  // Within the window is fine.
  await create(p1, editingJobBody(), {'X-Sdk-Date': basic(new Date(Date.now() - 5 * 60000))});
  const malformed = await signedRawRequest(credentials.p1, 'GET', '/v2/p1/editing/jobs?job_id=a',
      {job_id: 'a'}, {headers: {'X-Sdk-Date': '2024-01-02T03:04:05Z'}});
  assertMpcError(malformed, 401, 'APIG.0301');
  assert.equal(malformed.body.request_id, malformed.headers['x-request-id']);
  const unsigned = await rawRequest('GET', '/v2/p1/editing/jobs?job_id=a');
  assertMpcError(unsigned, 401, 'APIG.0301');
  // A body changed after signing.
  const tampered = await signedRawRequest(credentials.p1, 'POST', '/v2/p1/editing/jobs', {}, {
    headers: {'content-type': 'application/json', 'X-Sdk-Content-Sha256': 'ab'.repeat(32)},
    body: JSON.stringify(editingJobBody()),
  });
  assertMpcError(tampered, 401, 'APIG.0301');
  assert.equal(p1JobCount(), before + 1);
});

test('X-Auth-Token: create, query and cancel; an unknown token is 401 APIG.0301', async () => {
  const byToken = sdkClient({}, new TokenCredential(credentials.p1.token, 'p1'));
  const id = await create(byToken);
  assert.equal(await statusOf(byToken, id), 'WAITING');
  const canceled = await deleteEditingJob(byToken, id);
  assert.equal(canceled.httpStatusCode, 204);
  assert.equal(await statusOf(p1, id), 'CANCELED');
  const badToken = sdkClient({}, new TokenCredential('not-a-token-at-all', 'p1'));
  await expectSdkError(listEditingJobs(badToken, [id]), 401, 'APIG.0301');
  const otherProject = sdkClient({}, new TokenCredential(credentials.p1.token, 'p2'));
  await expectSdkError(listEditingJobs(otherProject, [id]), 401, 'MPC.10208');
});

test('authorization: a view-only credential may list but not create or cancel (403 MPC.10212)',
    async () => {
      const viewer = sdkClient(credentials.viewer);
      const id = await create(p1);
      assert.equal(await statusOf(viewer, id), 'WAITING');
      await expectSdkError(createEditingJob(viewer, editingJobBody()), 403, 'MPC.10212');
      await expectSdkError(deleteEditingJob(viewer, id), 403, 'MPC.10212');
      assert.equal(await statusOf(p1, id), 'WAITING');
    });

test('a job created over MPC is an editing job over gRPC, and cancelled there', async () => {
  const id = await create(p1);
  const job = grpcCall('JobService/GetJob', {jobId: id}, credentials.p1.token);
  assert.equal(job.kind, 'JOB_KIND_EDITING');
  assert.equal(job.state, 'QUEUED');
  assert.equal(job.userData, 'user data: 中文 & more');
  assert.equal(job.editing.inputs[0].media.uri, 'obs://media/in/a b.mp4');
  assert.equal(job.editing.inputs[0].media.region, 'cn-north-4');
  assert.equal(job.editing.inputs[0].timelineStart, '10s');
  assert.equal(job.editing.inputs[0].timelineEnd, '20.500s');
  assert.equal(job.editing.output.uri, 'obs://media/out/');
  assert.equal(job.editing.output.fileName, 'clip.mp4');
  assert.deepEqual(job.editing.settings, {resolution_adaptation: 'OPEN', format: 'MP4',
    width: '1280', height: '0', editing_type: '1'});
  const canceled = grpcCall('JobService/CancelJob', {jobId: id}, credentials.p1.token);
  assert.equal(canceled.state, 'CANCELED');
  assert.equal(await statusOf(p1, id), 'CANCELED');
});

test('wrong method 400 MPC.10204, wrong content type 400 MPC.10205, unknown API 404', async () => {
  const before = p1JobCount();
  assertMpcError(await signedRawRequest(credentials.p1, 'PUT', '/v2/p1/editing/jobs', {}),
      400, 'MPC.10204');
  assertMpcError(await signedRawRequest(credentials.p1, 'GET',
      '/v2/p1/editing/jobs/0123456789abcdef0123456789abcdef', {}), 400, 'MPC.10204');
  assertMpcError(await signedRawRequest(credentials.p1, 'POST', '/v2/p1/editing/jobs', {}, {
    headers: {'content-type': 'text/plain'}, body: JSON.stringify(editingJobBody()),
  }), 400, 'MPC.10205');
  assertMpcError(await signedRawRequest(credentials.p1, 'POST', '/v2/p1/editing/jobs', {}, {
    body: JSON.stringify(editingJobBody()),
  }), 400, 'MPC.10205');
  assertMpcError(await rawRequest('GET', '/v2/p1/transcodings'), 404, 'APIG.0101');
  assertMpcError(await rawRequest('POST', '/v1/p1/editing/jobs'), 404, 'APIG.0101');
  assert.equal(p1JobCount(), before);
});

test('bad ids: path traversal, encoded slashes, bad escapes, over 10 ids (4xx, nothing changed)',
    async () => {
      const id = await create(p1);
      const before = p1JobCount();
      for (const target of [
        '/v2/p1/editing/jobs/..', '/v2/p1/editing/jobs/%2E%2E', `/v2/p1/editing/jobs/a%2F${id}`,
        `/v2/p1/editing/jobs/${id}%2F..%2F..`, '/v2/p1/editing/jobs/%zz', '/v2/..%2Fp2/editing/jobs/x',
        `/v2/p1/editing/job?job_id=..%2F${id}`, '/v2/p1/editing/job', `/v2/p1/editing/job?job_id=${id}&job_id=${id}`,
      ]) {
        const reply = await signedRawRequest(credentials.p1, 'DELETE', target, {});
        assertMpcError(reply, 400, 'MPC.10202');
      }
      for (const target of [`/v2/p1/editing/jobs/../jobs/${id}`, `/v2/p1/editing/jobs/${id}/x`]) {
        assertMpcError(await signedRawRequest(credentials.p1, 'DELETE', target, {}), 404,
            'APIG.0101');
      }
      const eleven = Array.from({length: 11}, (_, i) => `id${i}`);
      await expectSdkError(listEditingJobs(p1, eleven), 400, 'MPC.10202');
      const ten = await listEditingJobs(p1, [id, ...eleven.slice(0, 9)]);
      assert.deepEqual(ten.job_array.map((j) => j.job_id), [id]);
      await expectSdkError(listEditingJobs(p1, []), 400, 'MPC.10202');
      assertMpcError(await signedRawRequest(credentials.p1, 'GET', '/v2/p1/editing/jobs', {}),
          400, 'MPC.10202');
      assert.equal(await statusOf(p1, id), 'WAITING');
      assert.equal(p1JobCount(), before);
    });

test('bad bodies: non-JSON, oversized, wrong types, missing inputs/output, bad timelines',
    async () => {
      const before = p1JobCount();
      const post = (body) => signedRawRequest(credentials.p1, 'POST', '/v2/p1/editing/jobs', {},
          {headers: {'content-type': 'application/json;charset=UTF-8'}, body});
      const input = {bucket: 'b', location: 'l', object: 'o'};
      const output = {bucket: 'b', location: 'l', object: 'out/'};
      const bodies = {
        'not JSON': 'inputs=1',
        'a JSON array': '[]',
        'empty': '',
        'inputs missing': JSON.stringify({output}),
        'inputs empty': JSON.stringify({inputs: [], output}),
        'inputs an object': JSON.stringify({inputs: {input}, output}),
        'input missing': JSON.stringify({inputs: [{timeline_start: '1'}], output}),
        'bucket a number': JSON.stringify({inputs: [{input: {...input, bucket: 7}}], output}),
        'object missing': JSON.stringify({inputs: [{input: {bucket: 'b', location: 'l'}}], output}),
        'output missing': JSON.stringify({inputs: [{input}]}),
        'output a string': JSON.stringify({inputs: [{input}], output: 'obs://b/out/'}),
        'file_name a number': JSON.stringify({inputs: [{input}], output: {...output, file_name: 1}}),
        'timeline a number': JSON.stringify({inputs: [{input, timeline_start: 10}], output}),
        'timeline negative': JSON.stringify({inputs: [{input, timeline_start: '-1'}], output}),
        'timeline not a number': JSON.stringify({inputs: [{input, timeline_end: 'ten'}], output}),
        'timeline exponent': JSON.stringify({inputs: [{input, timeline_end: '1e3'}], output}),
        'timeline end before start': JSON.stringify(
            {inputs: [{input, timeline_start: '20', timeline_end: '10'}], output}),
        'timeline end equal to start': JSON.stringify(
            {inputs: [{input, timeline_start: '5.5', timeline_end: '5.50'}], output}),
        'format unknown': JSON.stringify(
            {inputs: [{input}], output, editing_settings: {format: 'AVI'}}),
        'width a string': JSON.stringify(
            {inputs: [{input}], output, editing_settings: {width: '1280'}}),
        'width fractional': JSON.stringify(
            {inputs: [{input}], output, editing_settings: {width: 12.5}}),
        'editing_type 2': JSON.stringify({inputs: [{input}], output, editing_type: 2}),
        'user_data a number': JSON.stringify({inputs: [{input}], output, user_data: 5}),
        'user_data too long': JSON.stringify({inputs: [{input}], output, user_data: 'u'.repeat(2000)}),
      };
      for (const [name, body] of Object.entries(bodies)) {
        const reply = await post(body);
        assert.equal(reply.status, 400, `${name}: ${JSON.stringify(reply.body)}`);
        assertMpcError(reply, 400, 'MPC.10202');
      }
      const oversized = await post(JSON.stringify(
          {inputs: [{input}], output, user_data: 'x'.repeat(1100000)}));
      assertMpcError(oversized, 413, 'MPC.10202');
      assert.equal(p1JobCount(), before);
      // The same request, well formed, is accepted (the tests above failed for their reason).
      const ok = await post(JSON.stringify({inputs: [{input}], output}));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      if (idsFile) fs.appendFileSync(idsFile, `${ok.body.job_id}\n`);
    });

run();
