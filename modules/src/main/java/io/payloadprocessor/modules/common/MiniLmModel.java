package io.payloadprocessor.modules.common;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.payloadprocessor.runtime.HttpMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The all-MiniLM-L6-v2 sentence embedding model (384 dimensions, mean pooling over the word pieces,
 * unit-length output) in its int8 dynamically quantized form, loaded once per JVM from the ONNX
 * file inside the langchain4j jar of {@link AllMiniLmL6V2QuantizedEmbeddingModel}. Thread-safe;
 * each call runs on the calling thread.
 *
 * <p>One text per ONNX Runtime call, always: the quantized graph quantizes each MatMul's input with
 * one scale computed over the whole input tensor, so in a call holding several texts each text's
 * embedding would depend on the others (measured: cosine 0.994 to the same text embedded alone,
 * bit-identical only when alone). An embedding must depend on its text only, or a cache hit, a
 * route score and a batch run's output would change with whatever else was in flight. Concurrent
 * requests are still drained together ({@link EmbeddingBatcher}) and identical texts computed once.
 *
 * <p>Why not langchain4j's own encoder: it tokenizes each text three times and converts the whole
 * output tensor to nested Java arrays; here the tokenizer (DJL's Hugging Face binding) runs once
 * and the mean is pooled straight from the output buffer.
 *
 * <p>The session runs on the calling thread with ONNX Runtime's full graph optimisations (it fuses
 * LayerNorm, GELU and the quantized MatMuls into its int8 kernels, which use AVX-512 VNNI where the
 * CPU has it) and without an intra-op thread pool: the default pool is as large as the machine and
 * its threads spin while idle, stealing CPU from the server's own threads (on one pinned core it
 * made a 16-token embedding ~10x slower). Parallelism comes from running batches on several threads
 * instead ({@link MiniLmEmbeddings}).
 *
 * <p>DJL, which the tokenizer comes from, would otherwise probe the EC2 metadata endpoint and send
 * telemetry when it loads; offline mode and the tracking opt-out are set unless the operator set
 * them. Its native tokenizer library is unpacked from the jar into {@code DJL_CACHE_DIR} (default
 * {@code ~/.djl.ai}), which must be writable.
 */
public final class MiniLmModel {
  /** Vector length of the model. */
  public static final int DIMENSION = 384;

  /** Longest input in word pieces ([CLS] and [SEP] included); the rest of a text is cut off. */
  public static final int MAX_SEQUENCE_LENGTH = 256;

  /**
   * Longest text tokenized, in characters: far more than {@value #MAX_SEQUENCE_LENGTH} word pieces
   * of any real text, so the cut changes nothing but bounds the tokenizer's work on a huge input.
   */
  public static final int MAX_INPUT_CHARS = 16 * 1024;

  private static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

  private final OrtEnvironment env;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean tokenTypes;
  private final AtomicLong runs = new AtomicLong();

  /** Lazy holder: the JVM's class initialisation guarantees one thread-safe load. */
  private static final class Holder {
    static final MiniLmModel MODEL = new MiniLmModel();
  }

  /** The model of this JVM, loaded on first use (a second or two). */
  public static MiniLmModel get() {
    return Holder.MODEL;
  }

  private MiniLmModel() {
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("OPT_OUT_TRACKING") == null
        && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    ClassLoader loader = AllMiniLmL6V2QuantizedEmbeddingModel.class.getClassLoader();
    try (InputStream model = loader.getResourceAsStream(MODEL_RESOURCE);
        InputStream tokenizerJson = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
      if (model == null || tokenizerJson == null) {
        throw new IllegalStateException("all-MiniLM-L6-v2 (quantized) is not on the classpath");
      }
      this.tokenizer =
          HuggingFaceTokenizer.newInstance(
              tokenizerWithMaxLength(tokenizerJson), Map.of("padding", "false"));
      this.env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        options.addConfigEntry("session.inter_op.allow_spinning", "0");
        this.session = env.createSession(model.readAllBytes(), options);
      }
      this.tokenTypes = session.getInputNames().contains("token_type_ids");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read all-MiniLM-L6-v2 from the classpath", e);
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load all-MiniLM-L6-v2 into ONNX Runtime", e);
    }
  }

  /**
   * The packaged tokenizer truncates (and pads) at 128 word pieces; sentence-transformers runs this
   * model with {@value #MAX_SEQUENCE_LENGTH}, the length its model card documents, so the tokenizer
   * is given that limit. Padding is done here, per batch.
   */
  private static InputStream tokenizerWithMaxLength(InputStream tokenizer) throws IOException {
    JsonNode tree = HttpMessage.JSON.readTree(tokenizer);
    if (tree.path("truncation").isObject()) {
      ((ObjectNode) tree.get("truncation")).put("max_length", MAX_SEQUENCE_LENGTH);
    }
    return new ByteArrayInputStream(HttpMessage.JSON.writeValueAsBytes(tree));
  }

  /** The text the model sees of {@code text}: at most {@value #MAX_INPUT_CHARS} characters. */
  public static String clip(String text) {
    if (text.length() <= MAX_INPUT_CHARS) {
      return text;
    }
    int end = MAX_INPUT_CHARS;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return text.substring(0, end);
  }

  /** How many word pieces the model counts for {@code text}, [CLS] and [SEP] included. */
  public int tokenCount(String text) {
    return tokenizer.encode(clip(text)).getIds().length;
  }

  /** How many ONNX Runtime calls this model has made (each embeds one or more texts). */
  public long runs() {
    return runs.get();
  }

  /** The unit-length embedding of {@code text}. */
  public float[] embed(String text) {
    Encoding encoding = tokenizer.encode(clip(text));
    long[] ids = encoding.getIds();
    long[] shape = {1, ids.length};
    long[] mask = new long[ids.length];
    Arrays.fill(mask, 1);
    runs.incrementAndGet();
    try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
        OnnxTensor maskTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
        OnnxTensor typesTensor =
            OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape)) {
      Map<String, OnnxTensor> inputs =
          tokenTypes
              ? Map.of(
                  "input_ids",
                  idsTensor,
                  "attention_mask",
                  maskTensor,
                  "token_type_ids",
                  typesTensor)
              : Map.of("input_ids", idsTensor, "attention_mask", maskTensor);
      try (OrtSession.Result result = session.run(inputs)) {
        return meanPool(((OnnxTensor) result.get(0)).getFloatBuffer(), ids.length);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("all-MiniLM-L6-v2 inference failed", e);
    }
  }

  /** The unit-length mean of the {@code tokens} vectors in {@code hidden}. */
  private static float[] meanPool(FloatBuffer hidden, int tokens) {
    float[] sum = new float[DIMENSION];
    for (int t = 0; t < tokens; t++) {
      int at = t * DIMENSION;
      for (int d = 0; d < DIMENSION; d++) {
        sum[d] += hidden.get(at + d);
      }
    }
    return Vectors.unit(sum);
  }
}
