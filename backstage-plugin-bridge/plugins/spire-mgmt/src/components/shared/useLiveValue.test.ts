import { act, renderHook, waitFor } from '@testing-library/react';
import { PushStream } from '../../__testUtils__/PushStream';
import { LiveValueSource, useLiveValue } from './useLiveValue';

/** A value of sites and their states; an update sets one site's state. */
type States = Record<string, string>;
type Update = { site: string; state: string };

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

function source(
  reads: Array<Promise<States>>,
  stream: PushStream<Update, { signal: AbortSignal }>,
) {
  let read = 0;
  const calls = { reads: 0 };
  const src: LiveValueSource<States, Update> = {
    read: () => {
      calls.reads++;
      return reads[read++] ?? Promise.reject(new Error('no more reads'));
    },
    follow: signal => stream.iterate({ signal }),
    apply: (value, u) =>
      value[u.site] === u.state ? value : { ...value, [u.site]: u.state },
    settled: value => Object.values(value).every(s => s === 'synced'),
  };
  return { src, calls };
}

describe('useLiveValue', () => {
  it('reads an unsettled value once more, so a change the stream missed before it was registered shows', async () => {
    // Given a first read with west pending, a stream that never brings west's change, and a second read
    const stream = new PushStream<Update, { signal: AbortSignal }>();
    const { src, calls } = source(
      [
        Promise.resolve({ east: 'synced', west: 'pending' }),
        Promise.resolve({ east: 'synced', west: 'synced' }),
      ],
      stream,
    );

    // When
    const { result } = renderHook(() => useLiveValue('k', src, 20));

    // Then the second read settles it, and the stream closes
    await waitFor(() =>
      expect(result.current.value).toEqual({ east: 'synced', west: 'synced' }),
    );
    expect(calls.reads).toBe(2);
    expect(stream.open).toBe(false);
  });

  it('applies a change that arrives during the second read over its answer', async () => {
    // Given a second read held back, and an older answer than a change the stream brings meanwhile
    const stream = new PushStream<Update, { signal: AbortSignal }>();
    const second = deferred<States>();
    const { src, calls } = source(
      [Promise.resolve({ east: 'pending', west: 'pending' }), second.promise],
      stream,
    );
    const { result } = renderHook(() => useLiveValue('k', src, 20));
    await waitFor(() => expect(calls.reads).toBe(2));

    // When
    await stream.push({ site: 'east', state: 'synced' });
    await act(async () => second.resolve({ east: 'pending', west: 'synced' }));

    // Then the change stands over the second read
    await waitFor(() =>
      expect(result.current.value).toEqual({ east: 'synced', west: 'synced' }),
    );
  });

  it('reads a settled value only once', async () => {
    // Given
    const stream = new PushStream<Update, { signal: AbortSignal }>();
    const { src, calls } = source(
      [Promise.resolve({ east: 'synced' })],
      stream,
    );

    // When
    const { result } = renderHook(() => useLiveValue('k', src, 20));
    await waitFor(() =>
      expect(result.current.value).toEqual({ east: 'synced' }),
    );
    await act(() => new Promise(resolve => setTimeout(resolve, 60)));

    // Then
    expect(calls.reads).toBe(1);
  });
});
