/**
 * Which top-level keys of a JSON object text hold a number written as a float (with a fraction or an
 * exponent: `2.0`, `1e3`). JSON.parse gives 2.0 and 2 the same value; TFDV types Python's 2.0 FLOAT, and the
 * request log writes float inputs that way, so the JSON lines reader asks this before calling 2.0 an INT.
 */
export function floatTextKeys(text: string): Set<string> {
  const keys = new Set<string>();
  let depth = 0;
  let key: string | undefined;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      if (depth === 1 && expectKey) {
        key = JSON.parse(text.slice(start, i + 1)) as string;
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (c === 0x7b && depth === 1) expectKey = true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x2c /* , */ && depth === 1) expectKey = true;
    else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let float = false;
      for (; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x2e /* . */ || d === 0x65 /* e */ || d === 0x45 /* E */) float = true;
        else if (!(d === 0x2d || d === 0x2b || (d >= 0x30 && d <= 0x39))) break;
      }
      i--;
      if (float && key !== undefined) keys.add(key);
    }
  }
  return keys;
}
