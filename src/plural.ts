/**
 * A count and its noun, singular for exactly one: `plural(1, 'input')` is
 * '1 input', `plural(3, 'input')` '3 inputs', `plural(2, 'class', 'classes')`
 * '2 classes'. The one home of that rule for every message.
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
