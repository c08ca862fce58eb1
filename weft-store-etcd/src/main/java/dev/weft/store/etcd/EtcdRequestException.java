package dev.weft.store.etcd;

import dev.weft.store.StoreException;
import io.grpc.Status;

/** An etcd request that failed, with the gRPC status it failed with. */
final class EtcdRequestException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final transient Status status;

  EtcdRequestException(String message, Status status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  Status status() {
    return status;
  }
}
