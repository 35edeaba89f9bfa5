package io.payloadprocessor.bench;

import com.google.protobuf.MessageLite;
import java.nio.ByteBuffer;

/**
 * The gRPC length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length, then
 * the message), for tools that speak HTTP/2 but not gRPC, such as h2load. Written by hand because
 * grpc-java keeps its framer internal and it is five bytes.
 */
public final class GrpcFrames {
  private GrpcFrames() {}

  /** The frames of {@code messages}, one after the other. */
  public static byte[] frames(java.util.List<? extends MessageLite> messages) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (MessageLite m : messages) {
      out.writeBytes(frame(m));
    }
    return out.toByteArray();
  }

  /** One uncompressed frame holding {@code message}. */
  public static byte[] frame(MessageLite message) {
    byte[] payload = message.toByteArray();
    return ByteBuffer.allocate(5 + payload.length)
        .put((byte) 0)
        .putInt(payload.length)
        .put(payload)
        .array();
  }
}
