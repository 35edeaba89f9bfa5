package io.payloadprocessor.modules.common;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.payloadprocessor.spi.HttpMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The all-MiniLM-L6-v2 sentence embedding model (384 dimensions, mean pooling, L2-normalised
 * output), loaded once per JVM on first use from the ONNX file inside the langchain4j jar of {@link
 * AllMiniLmL6V2EmbeddingModel}, and shared by every processor. Thread-safe.
 *
 * <p>The ONNX Runtime session is built here rather than by {@code AllMiniLmL6V2EmbeddingModel}
 * because its default options give every session an intra-op thread pool as large as the machine,
 * whose threads spin while idle: in a sidecar, where concurrent requests already use the cores,
 * they only steal CPU from the gRPC threads (on one pinned core they made a 16-token embedding ~10x
 * slower). Here each embedding runs entirely on the calling thread, without spinning.
 *
 * <p>DJL, which the tokenizer comes from, would otherwise probe the EC2 metadata endpoint and send
 * telemetry when it loads; offline mode and the tracking opt-out are set unless the operator set
 * them. Its native tokenizer library is unpacked from the jar into {@code DJL_CACHE_DIR} (default
 * {@code ~/.djl.ai}), which must be writable.
 *
 * <p>Latency: milliseconds for a short prompt on one core, growing with the number of tokens; text
 * past {@value #MAX_SEQUENCE_LENGTH} word pieces is ignored.
 */
public final class MiniLmEmbeddings {
  /** Vector length of the model. */
  public static final int DIMENSION = 384;

  /** Longest input in word pieces ([CLS] and [SEP] included); the rest of a text is cut off. */
  public static final int MAX_SEQUENCE_LENGTH = 256;

  private static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
  private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

  private MiniLmEmbeddings() {}

  /** Lazy holder: the JVM's class initialisation guarantees one thread-safe load. */
  private static final class Holder {
    static final SingleThreadMiniLm MODEL = new SingleThreadMiniLm();
  }

  /** The embedding of {@code text}, unit length. */
  public static float[] embed(String text) {
    return Holder.MODEL.embed(text).content().vector();
  }

  /** How many word pieces the model counts for {@code text} (for benchmarks and limits). */
  public static int tokenCount(String text) {
    Integer n = Holder.MODEL.embed(text).tokenUsage().inputTokenCount();
    return n == null ? 0 : n;
  }

  /** all-MiniLM-L6-v2 on an ONNX session that runs on the caller's thread. */
  private static final class SingleThreadMiniLm extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    SingleThreadMiniLm() {
      // Several segments are embedded one after the other on the caller's thread.
      super(Runnable::run);
      if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
        System.setProperty("ai.djl.offline", "true");
      }
      if (System.getProperty("OPT_OUT_TRACKING") == null
          && System.getenv("OPT_OUT_TRACKING") == null) {
        System.setProperty("OPT_OUT_TRACKING", "true");
      }
      ClassLoader loader = AllMiniLmL6V2EmbeddingModel.class.getClassLoader();
      try (InputStream model = loader.getResourceAsStream(MODEL_RESOURCE);
          InputStream tokenizer = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
        if (model == null || tokenizer == null) {
          throw new IllegalStateException("all-MiniLM-L6-v2 is not on the classpath");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
          options.setIntraOpNumThreads(1);
          options.setInterOpNumThreads(1);
          options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
          options.addConfigEntry("session.intra_op.allow_spinning", "0");
          options.addConfigEntry("session.inter_op.allow_spinning", "0");
          OrtSession session = env.createSession(model.readAllBytes(), options);
          this.encoder =
              new OnnxBertBiEncoder(
                  env, session, tokenizerWithMaxLength(tokenizer), PoolingMode.MEAN);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read all-MiniLM-L6-v2 from the classpath", e);
      } catch (OrtException e) {
        throw new IllegalStateException("cannot load all-MiniLM-L6-v2 into ONNX Runtime", e);
      }
    }

    /**
     * The packaged tokenizer truncates at 128 word pieces; sentence-transformers runs this model
     * with {@value #MAX_SEQUENCE_LENGTH}, the length its model card documents, so the tokenizer is
     * given that limit.
     */
    private static InputStream tokenizerWithMaxLength(InputStream tokenizer) throws IOException {
      JsonNode tree = HttpMessage.JSON.readTree(tokenizer);
      if (tree.path("truncation").isObject()) {
        ((ObjectNode) tree.get("truncation")).put("max_length", MAX_SEQUENCE_LENGTH);
      }
      return new ByteArrayInputStream(HttpMessage.JSON.writeValueAsBytes(tree));
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSION;
    }
  }
}
