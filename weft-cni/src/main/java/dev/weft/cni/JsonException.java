package dev.weft.cni;

/** A JSON text that does not parse, with the 1-based line and column where parsing stopped. */
public final class JsonException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;

  JsonException(String problem, int line, int column) {
    super("line " + line + ", column " + column + ": " + problem);
    this.line = line;
    this.column = column;
  }

  /** The 1-based line of the offending character. */
  public int line() {
    return line;
  }

  /** The 1-based column (in UTF-16 code units) of the offending character. */
  public int column() {
    return column;
  }
}
