/**
 * `constant(x)` means `x as const` - a deeply readonly value with literal types - written so
 * that mutation testing sees it. StrykerJS never mutates inside a TypeScript `as` expression, so
 * a table written `{ ... } as const` (the settings, the AWS limits, the capacity figures) would be
 * left out of every mutation score without a word. A `const` type parameter infers the same type.
 */
export function constant<const T>(value: T): T {
  return value;
}
