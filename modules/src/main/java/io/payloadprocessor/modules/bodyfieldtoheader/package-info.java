/**
 * Module {@code body-field-to-header}: a JSON body field to a request header, with the defaults of
 * the Gateway API Inference Extension body-based router.
 *
 * <pre>{@code
 * processors:
 *   - name: model-to-header
 *     type: payload-processor.io/Module
 *     module:
 *       id: body-field-to-header
 *       config:
 *         field: $.model                  # definite JSONPath: $.a.b, $['a'], $.a[0]; default $.model
 *         header: X-Gateway-Model-Name    # default; a client-sent value is overwritten
 *         onMissing: skip                 # skip (default: client value removed) | reject (400)
 *         loraAdapters:                   # optional: adapter -> base model
 *           sql-lora: meta-llama/Llama-3.1-8B-Instruct
 *         baseModelHeader: X-Gateway-Base-Model-Name   # default; set only with loraAdapters
 *         clearRouteCache: true           # default
 *         scan: whole                     # whole (default) | untilField
 * }</pre>
 *
 * <p>Strings go in verbatim; numbers exactly as written in the body ({@code 1.50} stays {@code
 * 1.50}, {@code 1e3} stays {@code 1e3}: never expanded); booleans as {@code true}/{@code false};
 * JSON null and the empty string count as missing; an object or array, or a string with control
 * characters, is a 400. The body is read decoded (gzip, deflate) by a strict streaming parser: not
 * JSON, duplicate keys or too deep is a 400 from the body itself.
 */
package io.payloadprocessor.modules.bodyfieldtoheader;
