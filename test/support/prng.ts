export { prng } from "../../src/core/random";
