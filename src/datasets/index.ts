/**
 * Data sets: the seeded generators of the notes' kinds of examples (line, XOR,
 * circles, moons, spirals, blobs) and the two bundled sets (iris, digits).
 *
 * @module
 */
export * from './bundled.js';
export * from './generators.js';
