package dev.weft.control;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The kernel's choice of a service backend, computed in Java: nftables' {@code jhash ip saddr . th
 * sport . ip daddr . th dport mod N seed S} is Bob Jenkins' lookup3 {@code jhash()} over the
 * concatenation as it sits in nftables registers (each field in network byte order, padded with
 * zeros to 4 bytes), scaled to {@code [0, N)} by {@code reciprocal_scale}. Knowing it lets the
 * forwarding model pick, for a 5-tuple, exactly the backend every node's kernel picks (the seed is
 * fixed, {@link #SEED}: left out, the kernel would draw a random one per rule and nodes would
 * disagree), and lets tests predict which backend answers. The one implementation of the choice:
 * the forwarding model, the nftables renderer and the gateway all call it.
 */
public final class Jhash {
  /** The seed of every service's hash: "Weft". */
  public static final int SEED = 0x57656674;

  /**
   * The seed of the gateway router's choice of a node for a floating IP ("Gate"): another seed than
   * the nodes' so that the node's choice among its local backends is independent of the gateway's.
   */
  public static final int GATEWAY_SEED = 0x47617465;

  private static final int INIT = 0xdeadbeef;

  private Jhash() {}

  /**
   * The index of the backend, out of {@code n}, the kernel picks for the flow: source address and
   * port, destination address (the VIP) and port, before translation.
   */
  public static int backend(
      String source, int sourcePort, String destination, int destinationPort, int n) {
    return backend(source, sourcePort, destination, destinationPort, n, SEED);
  }

  /** {@link #backend(String, int, String, int, int)} with another seed. */
  public static int backend(
      String source, int sourcePort, String destination, int destinationPort, int n, int seed) {
    boolean v6 = source.indexOf(':') >= 0;
    int addr = v6 ? 16 : 4;
    byte[] key = new byte[2 * addr + 8];
    put(key, 0, bytes(source), addr);
    key[addr] = (byte) (sourcePort >>> 8);
    key[addr + 1] = (byte) sourcePort;
    put(key, addr + 4, bytes(destination), addr);
    key[2 * addr + 4] = (byte) (destinationPort >>> 8);
    key[2 * addr + 5] = (byte) destinationPort;
    return scale(hash(key, seed), n);
  }

  /** The index, out of {@code n}, for the addresses alone: floating IPs' ECMP, with no ports. */
  public static int backend(String source, String destination, int n) {
    return backend(source, destination, n, SEED);
  }

  /** {@link #backend(String, String, int)} with another seed. */
  public static int backend(String source, String destination, int n, int seed) {
    boolean v6 = source.indexOf(':') >= 0;
    int addr = v6 ? 16 : 4;
    byte[] key = new byte[2 * addr];
    put(key, 0, bytes(source), addr);
    put(key, addr, bytes(destination), addr);
    return scale(hash(key, seed), n);
  }

  private static void put(byte[] key, int at, byte[] raw, int len) {
    int n = Math.min(raw.length, len);
    System.arraycopy(raw, raw.length - n, key, at + len - n, n);
  }

  /** An address literal's bytes (never a name lookup: the address is validated upstream). */
  private static byte[] bytes(String address) {
    if (!Character.isDigit(address.charAt(0)) && address.indexOf(':') < 0) {
      throw new IllegalArgumentException("not an address literal: " + address);
    }
    try {
      return InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address literal: " + address, e);
    }
  }

  /** {@code reciprocal_scale}: {@code (h * n) >> 32}, unsigned. */
  public static int scale(int h, int n) {
    return (int) (((h & 0xffffffffL) * n) >>> 32);
  }

  /**
   * lookup3's {@code jhash()} as in the kernel's {@code <linux/jhash.h>}, on a little-endian CPU.
   */
  public static int hash(byte[] k, int initval) {
    int length = k.length;
    int a = INIT + length + initval;
    int b = a;
    int c = a;
    int i = 0;
    while (length > 12) {
      a += word(k, i);
      b += word(k, i + 4);
      c += word(k, i + 8);
      // __jhash_mix
      a -= c;
      a ^= Integer.rotateLeft(c, 4);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 6);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 8);
      b += a;
      a -= c;
      a ^= Integer.rotateLeft(c, 16);
      c += b;
      b -= a;
      b ^= Integer.rotateLeft(a, 19);
      a += c;
      c -= b;
      c ^= Integer.rotateLeft(b, 4);
      b += a;
      length -= 12;
      i += 12;
    }
    if (length == 0) {
      return c;
    }
    // The tail, byte by byte, as the kernel's fall-through switch adds it.
    for (int j = length - 1; j >= 0; j--) {
      int v = (k[i + j] & 0xff) << (8 * (j % 4));
      if (j >= 8) {
        c += v;
      } else if (j >= 4) {
        b += v;
      } else {
        a += v;
      }
    }
    // __jhash_final
    c ^= b;
    c -= Integer.rotateLeft(b, 14);
    a ^= c;
    a -= Integer.rotateLeft(c, 11);
    b ^= a;
    b -= Integer.rotateLeft(a, 25);
    c ^= b;
    c -= Integer.rotateLeft(b, 16);
    a ^= c;
    a -= Integer.rotateLeft(c, 4);
    b ^= a;
    b -= Integer.rotateLeft(a, 14);
    c ^= b;
    c -= Integer.rotateLeft(b, 24);
    return c;
  }

  private static int word(byte[] k, int i) {
    return (k[i] & 0xff)
        | (k[i + 1] & 0xff) << 8
        | (k[i + 2] & 0xff) << 16
        | (k[i + 3] & 0xff) << 24;
  }
}
