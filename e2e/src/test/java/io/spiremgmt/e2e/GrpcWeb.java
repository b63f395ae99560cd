package io.spiremgmt.e2e;

import static io.restassured.RestAssured.given;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.restassured.config.EncoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gRPC-Web wire format of grpc/grpc PROTOCOL-WEB.md, as a browser client writes and reads it:
 * every message and the trailers travel in the body as frames of one flag byte (0x00 data, 0x80
 * trailers), a 4-byte big-endian length and the payload; text mode base64-encodes the body, chunk
 * by chunk, so a streamed body is a concatenation of padded base64 pieces.
 */
final class GrpcWeb {
  static final String BINARY = "application/grpc-web+proto";
  static final String TEXT = "application/grpc-web-text";

  private GrpcWeb() {}

  /** One data frame holding {@code message}. */
  static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /** {@link #frame} in text mode. */
  static String textFrame(byte[] message) {
    return Base64.getEncoder().encodeToString(frame(message));
  }

  /**
   * Decodes a text-mode body read so far: each complete 4-character group on its own (a padded
   * piece may stand in the middle of a streamed body); an incomplete last group is left for later.
   */
  static byte[] decodeText(String text) {
    String chars = text.replaceAll("\\s", "");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i + 4 <= chars.length(); i += 4) {
      out.writeBytes(Base64.getDecoder().decode(chars.substring(i, i + 4)));
    }
    return out.toByteArray();
  }

  /** The complete frames of a (binary) body read so far. */
  static Frames parse(byte[] body) {
    List<byte[]> messages = new ArrayList<>();
    Map<String, String> trailers = new LinkedHashMap<>();
    ByteBuffer in = ByteBuffer.wrap(body);
    while (in.remaining() >= 5) {
      byte flag = in.get();
      int length = in.getInt();
      if (in.remaining() < length) {
        break;
      }
      byte[] payload = new byte[length];
      in.get(payload);
      if ((flag & 0x80) == 0) {
        messages.add(payload);
      } else {
        for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            trailers.put(
                line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
          }
        }
      }
    }
    return new Frames(messages, trailers);
  }

  /**
   * A gRPC-Web request in {@code contentType} as a browser client sends it, to {@code baseUri} (an
   * Envoy listener), with REST Assured.
   */
  static RequestSpecification request(String baseUri, String contentType) {
    return given()
        .config(
            RestAssuredConfig.config()
                .encoderConfig(
                    EncoderConfig.encoderConfig()
                        .appendDefaultContentCharsetToContentTypeIfUndefined(false)))
        .baseUri(baseUri)
        .contentType(contentType)
        .accept(contentType)
        .header("x-grpc-web", "1")
        .header("x-user-agent", "grpc-web-javascript/0.1");
  }

  /**
   * The call's grpc-status, grpc-message and grpc-status-details-bin: from the trailer frame, or
   * from the response headers when the backend (or Envoy) answered with trailers only (a browser
   * client reads both).
   */
  static Map<String, String> status(Response r) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : List.of("grpc-status", "grpc-message", "grpc-status-details-bin")) {
      if (r.header(name) != null) {
        out.put(name, r.header(name));
      }
    }
    byte[] body = r.asByteArray();
    String type = r.contentType() == null ? "" : r.contentType();
    out.putAll(
        parse(
                type.startsWith(TEXT)
                    ? decodeText(new String(body, StandardCharsets.US_ASCII))
                    : body)
            .trailers());
    // grpc-message is percent-encoded (gRPC over HTTP/2); '+' stays as it is.
    out.computeIfPresent(
        "grpc-message", (k, v) -> URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8));
    return out;
  }

  /** The ErrorInfo in a grpc-status-details-bin value (a base64 google.rpc.Status). */
  static ErrorInfo errorInfo(String detailsBin) throws InvalidProtocolBufferException {
    if (detailsBin == null) {
      throw new AssertionError("no grpc-status-details-bin");
    }
    com.google.rpc.Status status =
        com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(detailsBin));
    for (com.google.protobuf.Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        return detail.unpack(ErrorInfo.class);
      }
    }
    throw new AssertionError("no ErrorInfo in " + status);
  }

  /** The data frames' messages and the trailer frame's headers (lower-case names), if any. */
  record Frames(List<byte[]> messages, Map<String, String> trailers) {}
}
