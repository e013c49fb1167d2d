// Krint loads a third-party engine package by name and takes its default export (or `engine`).
export { exampleEngine as default, exampleEngine as engine } from './example-engine.js';
