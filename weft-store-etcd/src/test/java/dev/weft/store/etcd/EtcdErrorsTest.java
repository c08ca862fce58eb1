package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class EtcdErrorsTest {

  @Test
  void aDeadlineWhileWaitingForAConnectionIsToldInOneLineWithTheConnectError() {
    Status status =
        Status.DEADLINE_EXCEEDED.withDescription(
            "CallOptions deadline exceeded after 9.828934253s. Name resolution delay 0.000000000"
                + " seconds. [closed=[], open=[[wait_for_ready, Last Pick Failure=Status{code="
                + "UNAVAILABLE, description=io exception, cause=io.netty.channel.AbstractChannel"
                + "$AnnotatedConnectException: Connection refused: /127.0.0.1:1\n"
                + "Caused by: java.net.ConnectException: Connection refused\n"
                + "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)\n"
                + "}, connecting_and_lb_delay=9860100045ns, was_still_waiting]]]");

    assertThat(EtcdErrors.describe(status))
        .isEqualTo(
            "DEADLINE_EXCEEDED: CallOptions deadline exceeded after 9.828934253s"
                + " (last connection error: Connection refused: /127.0.0.1:1)");
  }

  @Test
  void etcdsOwnMessagesArePassedOn() {
    assertThat(EtcdErrors.describe(Status.UNAVAILABLE.withDescription("etcdserver: no leader")))
        .isEqualTo("UNAVAILABLE: etcdserver: no leader");
    assertThat(EtcdErrors.describe(Status.CANCELLED)).isEqualTo("CANCELLED");
  }

  @Test
  void jetcdExceptionsAreReadForTheirCode() {
    Status status =
        EtcdErrors.status(
            new RuntimeException(
                EtcdExceptionFactory.newEtcdException(
                    ErrorCode.INVALID_ARGUMENT, "etcdserver: too many operations in txn request")));

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(EtcdErrors.isPermanent(status)).isTrue();
    assertThat(EtcdErrors.outcomeUnknown(status)).isFalse();
    assertThat(
            EtcdErrors.isCompacted(
                EtcdErrors.status(EtcdExceptionFactory.newCompactedException(7))))
        .isTrue();
  }
}
