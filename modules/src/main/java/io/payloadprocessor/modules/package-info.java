/**
 * The built-in modules, one package each, found by the server through {@code
 * META-INF/services/io.payloadprocessor.spi.ModuleFactory}; {@code common} holds what several share
 * (guards' body reading, SSE hold-back, the embedding model), {@code store} the shared state
 * (memory or Redis). docs/modules.md documents each module and what a new one needs.
 */
package io.payloadprocessor.modules;
