import { IdleExit } from '../../lambda/spot-fleet-autoscaler/worker/idle-exit';

describe('IdleExit', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('exits once after idleSeconds without work, never while a job runs', () => {
    const onIdle = jest.fn();
    const idle = new IdleExit({ idleSeconds: 180, onIdle });
    idle.start();
    jest.advanceTimersByTime(170_000);
    idle.busy(); // a message arrived
    jest.advanceTimersByTime(10 * 60_000); // a long job
    expect(onIdle).not.toHaveBeenCalled();
    idle.done();
    jest.advanceTimersByTime(179_000);
    expect(onIdle).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(idle.exited).toBe(true);
    idle.busy();
    idle.done();
    jest.advanceTimersByTime(10 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('counts parallel jobs and waits for the last one', () => {
    const onIdle = jest.fn();
    const idle = new IdleExit({ idleSeconds: 60, onIdle });
    idle.start();
    idle.busy();
    idle.busy();
    idle.done();
    jest.advanceTimersByTime(120_000);
    expect(onIdle).not.toHaveBeenCalled();
    idle.done();
    jest.advanceTimersByTime(60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does nothing before start or after stop', () => {
    const onIdle = jest.fn();
    const idle = new IdleExit({ idleSeconds: 1, onIdle });
    jest.advanceTimersByTime(5_000);
    idle.start();
    idle.stop();
    jest.advanceTimersByTime(5_000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it.each([0, -1, NaN, Infinity])('rejects idleSeconds %p', (idleSeconds) => {
    expect(() => new IdleExit({ idleSeconds, onIdle: () => undefined })).toThrow(/idleSeconds must be a number > 0/);
  });
});
