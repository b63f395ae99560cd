package io.spiremgmt.backend.support;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;

/** A server stream observed into a queue: each message, then the error if the stream fails. */
public final class StreamQueue {
  private StreamQueue() {}

  /** An observer that adds each message, and then the stream's error, to {@code queue}. */
  public static <T> StreamObserver<T> into(BlockingQueue<Object> queue) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        queue.add(value);
      }

      @Override
      public void onError(Throwable t) {
        queue.add(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
