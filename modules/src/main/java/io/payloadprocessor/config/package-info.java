/**
 * Config reading shared by the server and the modules: field-by-field reading with every problem
 * and its path ({@link io.payloadprocessor.config.ConfigReader}), and a module config bound to its
 * typed class ({@link io.payloadprocessor.config.ModuleConfigs}).
 */
package io.payloadprocessor.config;
