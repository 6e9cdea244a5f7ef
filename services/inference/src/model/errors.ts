/** Every reason a model file cannot be served, with the file and the problem in the message. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';

  constructor(
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot load model ${path}: ${problem}`, options);
  }
}
