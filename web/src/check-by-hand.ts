/**
 * Check it by hand: in the explain panel a learner picks a number's line (a v,
 * a delta, a gradient) and sees the operands the line's formula used, each a
 * button back to the line that computed it. Lines carry `data-defines` (the
 * quantities they compute) and `data-uses` (their operands), keys such as
 * `v:1:0`, `x:0:1`, `delta:2:0`, `grad:1:0:1` (layer, then 0-based indices).
 *
 * @module
 */

/** A key's name in the notes' notation, as plain text for a button. */
function nameOf(key: string): string {
  const [kind, n, a, b] = key.split(':');
  const sub = (k: string) => String(Number(k) + 1);
  if (kind === 'x') return n === '0' ? `input x${sub(a)}` : `x(${n})out,${sub(a)}`;
  if (kind === 'v') return `v(${n})${sub(a)}`;
  if (kind === 'delta') return `δ(${n})${sub(a)}`;
  if (kind === 'grad') return b === 'b' ? `∂J/∂b(${n})${sub(a)}` : `∂J/∂w(${n})${sub(b)}${sub(a)}`;
  return key;
}

/** The line that computes `key`, if it is shown. */
function lineOf(host: HTMLElement, key: string): HTMLElement | null {
  for (const e of host.querySelectorAll<HTMLElement>('[data-defines]'))
    if (e.dataset.defines!.split(' ').includes(key)) return e;
  return null;
}

/** Selects a line: marks it and shows its operands as buttons under it. */
function pick(host: HTMLElement, line: HTMLElement): void {
  host.querySelector('.operands')?.remove();
  for (const e of host.querySelectorAll('.picked')) e.classList.remove('picked');
  line.classList.add('picked');
  const box = document.createElement('div');
  box.className = 'operands';
  const uses = (line.dataset.uses ?? '').split(' ').filter((k) => k && lineOf(host, k));
  const summed = Number(line.dataset.summed ?? 1);
  box.append(
    uses.length === 0
      ? 'Computed from the data and the weights only.'
      : summed > 1
        ? `A sum over the ${summed} examples of the batch; for the example shown, from: `
        : 'Computed from: ',
  );
  for (const key of uses) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'ghost small';
    b.dataset.goto = key;
    b.textContent = nameOf(key);
    b.setAttribute('aria-label', `Go to where ${nameOf(key)} is computed`);
    b.onclick = () => {
      const to = lineOf(host, key);
      if (!to) return;
      pick(host, to);
      to.scrollIntoView({ block: 'nearest' });
      to.focus();
    };
    box.append(b);
  }
  line.after(box);
}

/** Makes the rendered lines pickable by pointer and keyboard (called after each render). */
export function makeCheckable(host: HTMLElement): void {
  for (const line of host.querySelectorAll<HTMLElement>('[data-defines]')) {
    line.tabIndex = 0;
    line.setAttribute('role', 'button');
    line.title = `${line.dataset.defines!.split(' ').map(nameOf).join(', ')}: show what it is computed from`;
    line.onclick = () => pick(host, line);
    line.onkeydown = (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      e.stopPropagation();
      pick(host, line);
    };
  }
}
