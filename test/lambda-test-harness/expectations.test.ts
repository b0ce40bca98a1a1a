import { judge, valueAt } from '../../lambda/lambda-test-harness/expectations';

const http = (statusCode: number, body: unknown) => JSON.stringify({ statusCode, body: JSON.stringify(body) });

describe('judge', () => {
  it('passes an answer without expectations unless it failed or has a status ≥ 400', () => {
    expect(judge({ invokeStatus: 200, payload: '{"ok":true}', durationMs: 5 })).toEqual({ passed: true, statusCode: 200 });
    expect(judge({ invokeStatus: 200, payload: http(502, {}), durationMs: 5 })).toEqual({ passed: false, reason: 'status code 502', statusCode: 502 });
    expect(judge({ invokeStatus: 200, errorType: 'Unhandled', errorMessage: 'boom', payload: '', durationMs: 5 })).toMatchObject({ passed: false, reason: 'Unhandled: boom' });
  });

  it('checks the status code of an HTTP-shaped answer', () => {
    expect(judge({ invokeStatus: 200, payload: http(400, {}), durationMs: 1 }, { statusCode: 400 })).toMatchObject({ passed: true, statusCode: 400 });
    expect(judge({ invokeStatus: 200, payload: http(200, {}), durationMs: 1 }, { statusCode: 201 })).toMatchObject({ passed: false, reason: 'status code 200, expected 201' });
  });

  it('checks JSON paths (equals, contains) inside a JSON body, and says what it found', () => {
    const payload = http(200, { message: 'pong', items: [{ id: 1 }, { id: 2 }], size: { width: 10 } });
    expect(
      judge({ invokeStatus: 200, payload, durationMs: 1 }, {
        json: [
          { path: '$.body.message', equals: 'pong' },
          { path: '$.body.items', contains: { id: 2 } },
          { path: '$.body.items[0].id', equals: 1 },
          { path: '$.body.size', contains: { width: 10 } },
          { path: '$.body.message', contains: 'on' },
        ],
      }),
    ).toEqual({ passed: true, statusCode: 200 });
    expect(
      judge({ invokeStatus: 200, payload, durationMs: 1 }, { json: [{ path: '$.body.message', equals: 'ping' }, { path: '$.body.nope', equals: 1 }, { path: '$.body.items', contains: { id: 3 } }] }),
    ).toEqual({
      passed: false,
      statusCode: 200,
      reason: '$.body.message is "pong", expected "ping"; $.body.nope is missing from the answer; $.body.items is [{"id":1},{"id":2}], which does not contain {"id":3}',
    });
  });

  it('fails JSON expectations on an answer that is not JSON', () => {
    expect(judge({ invokeStatus: 200, payload: '<html>', durationMs: 1 }, { json: [{ path: '$', equals: 1 }] })).toMatchObject({
      passed: false,
      reason: 'the answer is not JSON, so its JSON expectations cannot hold',
    });
  });

  it('fails a test slower than its latency bound', () => {
    expect(judge({ invokeStatus: 200, payload: '{}', durationMs: 250.4 }, { maxLatencyMs: 200 })).toMatchObject({ passed: false, reason: 'took 250 ms, more than maxLatencyMs 200' });
  });

  it('reads bracketed names', () => {
    expect(valueAt({ 'a b': [0, { c: 3 }] }, '$["a b"][1].c')).toEqual({ found: true, value: 3 });
  });
});
