/**
 * Each function's own environment in one process. Every handler runs here and reads its
 * configuration and credentials from process.env (the SDK's default provider chain included),
 * so process.env becomes a Proxy that, inside a function's async context (its module load and
 * its invocations), answers that function's variables: its template Environment, its region and
 * endpoint, and the temporary credentials of its own role. Outside any function it is the
 * process's environment, untouched. Like Lambda, a function sees no AWS_, REKEY_ or POWERTOOLS_
 * variable it was not given, so no handler can pick up another's credentials or settings.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Environment = Record<string, string>;

const storage = new AsyncLocalStorage<Environment>();
const OWN_PREFIXES = ['AWS_', 'REKEY_', 'POWERTOOLS_'];

function own(name: string): boolean {
  return OWN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

const installed = new WeakSet<object>();

/** Replaces process.env by the per-function Proxy (once per `process` object). */
export function installFunctionEnvironments(): void {
  if (installed.has(process.env)) return;
  const base = process.env;
  const proxy = new Proxy(base, {
    get(target, name) {
      const env = storage.getStore();
      if (env && typeof name === 'string' && (name in env || own(name))) return env[name];
      return Reflect.get(target, name) as unknown;
    },
    has(target, name) {
      const env = storage.getStore();
      if (env && typeof name === 'string' && (name in env || own(name))) return name in env;
      return Reflect.has(target, name);
    },
    set(target, name, value) {
      const env = storage.getStore();
      if (env && typeof name === 'string') {
        env[name] = String(value);
        return true;
      }
      return Reflect.set(target, name, String(value));
    },
    deleteProperty(target, name) {
      const env = storage.getStore();
      if (env && typeof name === 'string') return delete env[name];
      return Reflect.deleteProperty(target, name);
    },
    ownKeys(target) {
      const env = storage.getStore();
      if (!env) return Reflect.ownKeys(target);
      const keys = Reflect.ownKeys(target).filter((k) => typeof k !== 'string' || !own(k));
      return [...new Set([...keys, ...Object.keys(env)])];
    },
    getOwnPropertyDescriptor(target, name) {
      const env = storage.getStore();
      if (env && typeof name === 'string' && (name in env || own(name))) {
        return name in env
          ? { value: env[name], writable: true, enumerable: true, configurable: true }
          : undefined;
      }
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
  });
  installed.add(proxy);
  process.env = proxy;
}

/** Runs `work` (and everything it starts) with `environment` as the function's process.env. */
export function withFunctionEnvironment<T>(environment: Environment, work: () => T): T {
  return storage.run(environment, work);
}
