/**
 * The runner's side of the SPI, shared by the server and the built-in modules, and no part of the
 * public contract: {@link io.payloadprocessor.runtime.MutableExchange} (the exchange the state
 * machine fills in and the runner mutates; processors see it as an {@link
 * io.payloadprocessor.spi.Exchange}), {@link io.payloadprocessor.runtime.HttpMessage} (a message
 * with its body decoded and parsed once, and the one JSON mapper with the project's parsing rules),
 * {@link io.payloadprocessor.runtime.SseParser} (server-sent events cut from byte chunks, bytes
 * kept).
 */
package io.payloadprocessor.runtime;
