/** Sort order of names and keys: by UTF-16 code unit, as `<` compares strings (locale-independent, stable across machines). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
