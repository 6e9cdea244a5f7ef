/**
 * The one preprocessing step done outside the ONNX graph, shared by training and serving so
 * that both feed the graph (and the TypeScript reference) exactly the same string.
 */

/**
 * Cuts a text to at most maxChars UTF-16 code units and turns NUL characters into spaces.
 * The cap: the graph pads a batch to its longest text, so an uncapped email would make a
 * whole batch expensive; training applies the same cap so the model learns from what it will
 * see in serving. NUL: onnxruntime's string tensors are C strings and would silently end the
 * text at the first NUL.
 */
export function prepareText(text: string, maxChars: number): string {
  const capped = text.length <= maxChars ? text : text.slice(0, maxChars);
  return capped.includes('\0') ? capped.replaceAll('\0', ' ') : capped;
}
