package dev.weft.api.config;

/**
 * A request the config API refuses, with the HTTP status to answer and a message a person can act
 * on.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public ApiException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  public static ApiException methodNotAllowed(String message) {
    return new ApiException(405, message);
  }

  public static ApiException conflict(String message) {
    return new ApiException(409, message);
  }

  public static ApiException notImplemented(String message) {
    return new ApiException(501, message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, message);
  }
}
