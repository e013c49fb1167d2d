export { valkeyEngine, valkeyEngine as default } from './valkey-engine.js';
