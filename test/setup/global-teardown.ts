import { removeDefaultAssembly } from './default-assembly';

export default function globalTeardown(): void {
  removeDefaultAssembly();
}
