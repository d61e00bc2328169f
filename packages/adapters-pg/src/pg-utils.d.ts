// pg's parameter conversion, which its own types do not declare (see pipeline.ts).
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
