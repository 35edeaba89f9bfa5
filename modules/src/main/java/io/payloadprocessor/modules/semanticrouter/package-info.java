/**
 * Module {@code semantic-router}: routes by meaning with the all-MiniLM-L6-v2 embedding model
 * running in-process (ONNX, loaded once per JVM from the classpath; nothing is downloaded).
 *
 * <pre>{@code
 * processors:
 *   - name: route-by-topic
 *     type: payload-processor.io/Module
 *     timeout: 200ms
 *     module:
 *       id: semantic-router
 *       config:
 *         match: centroid          # centroid (default) | nearest
 *         input: lastUser          # lastUser (default) | allUser
 *         threshold: 0.3           # cosine similarity; default 0.3
 *         maxInputChars: 2000      # default
 *         routes:
 *           - name: math
 *             examples: ["What is the derivative of x^2?", "Solve 3x + 5 = 20"]
 *             target:
 *               headers: {x-gateway-destination: math-pool}
 *               model: qwen2.5-math-7b      # rewrites the body's "model"
 *           - name: cooking
 *             examples: ["How long do I boil an egg?", "A good pizza dough recipe"]
 *             target: {headers: {x-gateway-destination: general-pool}}
 *         defaultRoute:
 *           name: default          # default "default"
 *           target: {model: llama-3.1-8b-instruct}
 * }</pre>
 *
 * <p>Every request gets {@code x-payload-processor-route} (the route name) and {@code
 * x-payload-processor-route-score} (best cosine similarity, 4 decimals), overwriting client values,
 * and dynamic metadata {@code io.payload_processor.semantic_route: {route, score, decision}}.
 */
package io.payloadprocessor.modules.semanticrouter;
