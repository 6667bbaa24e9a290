/**
 * The Python that the comparison tests run: the first of $BACKPROP_PYTHON,
 * Debian's /usr/bin/python3 and the python3 on PATH that can import the
 * modules asked for. Debian's python3-torch and python3-sklearn install for
 * /usr/bin/python3, which a pyenv or venv python3 on PATH does not see.
 */
import { execFileSync } from 'node:child_process';

const found = new Map<string, string | null>();

/** A Python that imports every module of `modules`, or null (the caller skips, saying so). */
export function findPython(modules: readonly string[]): string | null {
  const key = modules.join(',');
  if (found.has(key)) return found.get(key) ?? null;
  const candidates = [process.env.BACKPROP_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string =>
    Boolean(p),
  );
  let hit: string | null = null;
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
        stdio: 'ignore',
        timeout: 60_000,
      });
      hit = python;
      break;
    } catch {
      // not this one
    }
  }
  if (!hit) {
    process.stderr.write(
      `skipped: no Python with ${modules.join(', ')} (apt-get install -y python3-torch python3-sklearn)\n`,
    );
  }
  found.set(key, hit);
  return hit;
}

/** A Python with PyTorch, or null. */
export function findTorchPython(): string | null {
  return findPython(['torch']);
}
