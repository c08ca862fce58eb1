package dev.weft.store.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every unary etcd call a gRPC deadline. jetcd sets none and waits for a ready connection, so
 * with every member down a request would otherwise wait forever; with a deadline the server also
 * stops working on it. Streams (watches) are left alone: they are meant to stay open.
 */
final class DeadlineInterceptor implements ClientInterceptor {
  private final long timeoutNanos;

  DeadlineInterceptor(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
    CallOptions withDeadline =
        method.getType() == MethodDescriptor.MethodType.UNARY && options.getDeadline() == null
            ? options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
            : options;
    return next.newCall(method, withDeadline);
  }
}
